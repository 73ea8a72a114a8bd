Tag: dynamic-user-setuid-helper
Severity: error
Explanation: The service needs setuid or setgid helpers (an MTA's
 sendmail/postdrop, su, a setuid program the package ships), and
 DynamicUser=yes forces NoNewPrivileges=yes, under which those helpers
 cannot gain their privileges.
 .
 The unit is hardened with the strict tier instead. The evidence names
 the helper or the dependency that brings it.
See-Also: systemd.exec(5), https://github.com/systemd-cron/systemd-cron/issues/75
