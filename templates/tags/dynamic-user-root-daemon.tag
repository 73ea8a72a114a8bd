Tag: dynamic-user-root-daemon
Severity: info
Explanation: The service ran as root; converted, it runs as a dynamic user
 named after the unit.
 .
 Test that the daemon does not need root for anything but what the drop-in
 grants (a low port gets CAP_NET_BIND_SERVICE as an ambient capability).
See-Also: systemd.exec(5)
