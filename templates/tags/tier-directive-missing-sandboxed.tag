Tag: tier-directive-missing-sandboxed
Severity: warning
Explanation: A directive of the requested hardening tier is not in effect
 for this unit, and the unit carries a sandbox its maintainers wrote (it
 sets at least 8 of the 27 sandboxing settings; the finding points at the
 first of them).
 .
 What such a sandbox leaves out is presumed deliberate: systemd-hostnamed
 has no ProtectHostname= because setting the host name is its job. So
 "systemd-harden apply" (and dh_systemd_harden, and %systemd_harden) do
 not add the directive, and "check" reports the gap as a warning rather
 than an error: a package that apply produced passes the default check.
 .
 If the directive fits the service, set it yourself in the unit or in a
 drop-in of your own, or ask for it in the package's systemd-harden
 configuration:
 .
  unit foo.service add ProtectClock=yes
 .
 If it does not, keep the decision on record:
 .
  override tier-directive-missing-sandboxed foo.service ProtectClock because the service sets the clock
See-Also: systemd.exec(5), systemd-harden(1)
