Tag: dynamic-user-shared-account
Severity: error
Explanation: The service runs as one of the distribution's static system
 accounts (Debian's base-passwd: daemon, man, lp, mail, proxy, www-data,
 backup, …; Fedora's setup: adm, ftp, …), which the package does not
 create.
 .
 Such an account is shared by design. Other programs, often run by
 ordinary users, read and write the files it owns: man(1) reads the index
 man-db.service builds in /var/cache/man. Under DynamicUser=yes systemd
 moves the service's directories below /var/lib/private,
 /var/cache/private or /var/log/private (readable by root only) and chowns
 them to a transient UID, so those programs lose them. Keep the static
 account, or give the service an account and directories of its own
 first. User=nobody is not reported: by convention it owns no files.
See-Also: systemd.exec(5), sysusers.d(5)
