Tag: config-directive-removed
Severity: info
Explanation: A directive of the tier was dropped for this unit by the package's
 systemd-harden configuration.
 .
 The detail names the directive and repeats the reason given after
 "because", so the decision stays visible in every report and not only in
 the configuration file. Nothing needs to be done while the reason holds;
 when it no longer does (the daemon lost its JIT, the LAN service moved to
 a socket), remove the drop statement and let the tier apply again.
See-Also: systemd-harden(1), systemd.exec(5)
