Tag: dynamic-user-explicit-root
Severity: error
Explanation: The unit states User=root explicitly, so it cannot run as a
 dynamic user.
 .
 An explicit User=root says the daemon needs full root privileges; a
 transient user has none. The unit is hardened with the strict tier
 instead. If the daemon in fact drops its privileges itself, consider a
 static or dynamic user in the unit and remove User=root.
See-Also: systemd.exec(5)
