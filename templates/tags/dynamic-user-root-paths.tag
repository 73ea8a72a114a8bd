Tag: dynamic-user-root-paths
Severity: error
Explanation: The root daemon writes where only root can (a PID file
 directly in /run), which a transient user cannot.
 .
 Point the daemon's PID file into its own runtime directory (for example
 /run/foo/foo.pid with RuntimeDirectory=foo), then run the dynamic-user
 tier again. The unit is hardened with the strict tier meanwhile.
See-Also: systemd.exec(5), systemd.service(5)
