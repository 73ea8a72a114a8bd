Tag: dynamic-user-state-directory
Severity: info
Explanation: A directory the service writes becomes a StateDirectory=,
 CacheDirectory=, LogsDirectory= or RuntimeDirectory=.
 .
 systemd creates it below /var/lib/private (and its siblings) and, at the
 first start, moves an existing directory there and chowns it recursively
 to the dynamic user (systemd 257 maps the owner instead). Large state
 makes that first start slow.
See-Also: systemd.exec(5)
