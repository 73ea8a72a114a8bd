Tag: tier-directive-missing
Severity: error
Explanation: A directive of the requested hardening tier is not in effect for
 this unit, and nothing in the package explains why.
 .
 Gaps in a sandbox the unit's maintainers wrote are reported as
 tier-directive-missing-sandboxed warnings instead.
 .
 The detail names the directive, the value the tier asks for and the
 tier, for example "ProtectSystem=full (tier baseline)". A unit meets a
 tier only when every directive of the tier is in effect at least as
 strictly, after the unit is merged with its drop-ins (ProtectSystem=strict
 satisfies full; a narrower allow-list satisfies a wider one; settings
 implied by DynamicUser= count), was skipped for a signal recorded in the
 package, or is overridden with a reason. A gap with none of these is an
 error, so "check" and "dh_systemd_harden --check-only" fail the build
 only for gaps nobody has explained.
 .
 To fix it, let "systemd-harden apply" (or dh_systemd_harden, or the
 %systemd_harden macro) add the directive in its drop-in
 10-systemd-harden.conf, or set it yourself in the unit or in a drop-in of
 your own, at least as strictly as the tier asks.
 .
 If the service cannot work with the directive, say why in the package's
 systemd-harden configuration (debian/<package>.systemd-harden, or the
 file given to %systemd_harden -c). Either drop the directive for the unit,
 which also keeps apply from adding it:
 .
  unit foo.service drop PrivateNetwork because it serves the LAN
 .
 or keep the finding on record as overridden:
 .
  override tier-directive-missing foo.service PrivateNetwork because it serves the LAN
See-Also: systemd.exec(5), systemd-analyze(1), systemd-harden(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html
