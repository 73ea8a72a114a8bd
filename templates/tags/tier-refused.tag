Tag: tier-refused
Severity: warning
Explanation: The requested tier could not be applied to this unit, so a weaker
 tier was applied instead.
 .
 A tier is refused when something in the package blocks it. The
 dynamic-user tier, for example, is blocked by a D-Bus name the service
 owns, a setuid helper, files owned by the service's user outside the
 StateDirectory=, CacheDirectory= and LogsDirectory= hierarchies, or an
 explicit User=root. The detail names the tier applied and every reason
 for the refusal; the unit is still hardened with the strongest tier that
 is not refused.
 .
 To reach the requested tier, remove the blockers (for example move the
 state files into a directory systemd manages, or give up the D-Bus name
 for a socket). If the weaker tier is the right one for this unit, say so
 in the package's systemd-harden configuration:
 .
  override tier-refused foo.service because it must run as root
See-Also: systemd.exec(5), systemd-harden(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#DynamicUser=
