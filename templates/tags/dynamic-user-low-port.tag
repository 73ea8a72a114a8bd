Tag: dynamic-user-low-port
Severity: info
Explanation: The service listens on a port below 1024, so the converted
 unit keeps CAP_NET_BIND_SERVICE as an ambient capability.
See-Also: systemd.exec(5), capabilities(7)
