Tag: dynamic-user-capabilities
Severity: error
Explanation: The unit grants itself capabilities that change identity or
 ownership (CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_SYS_ADMIN, CAP_CHOWN,
 CAP_DAC_OVERRIDE, CAP_FOWNER), which a transient user should not hold.
 .
 A daemon that needs them switches users or manages files for others: it
 needs a real identity. The unit is hardened with the strict tier instead.
See-Also: systemd.exec(5), capabilities(7)
