Tag: sysv-init-script-without-unit
Severity: warning
Explanation: The package ships a SysV init script, but no systemd unit with the
 same name.
 .
 systemd 260 removed support for SysV init scripts (systemd-sysv-generator
 is gone), so on a current system this service is never started. Debian
 Policy (since 4.7.0, section 9.3.1) requires packages that start system
 services to include systemd units; Fedora retired the packages that
 relied on init scripts, and openSUSE's rpmlint configuration rejects
 them. The detail names the script; the finding's unit is the name the
 missing unit would have (foo.service for /etc/init.d/foo).
 .
 Write a native unit named after the script, so that systemd ignores the
 script where it still reads them. Do not wrap the script in
 ExecStart=/etc/init.d/foo start: describe the daemon directly (Type=,
 ExecStart= of the daemon in the foreground, User=), and harden it with a
 tier. Keep the script only if the package supports other init systems.
 .
 If the script is not a service at all (it only runs once at boot, or is
 only meant for other init systems), override the tag:
 .
  override sysv-init-script-without-unit foo.service because only for sysvinit
See-Also: systemd.service(5), systemd-sysv-generator(8),
 https://www.debian.org/doc/debian-policy/ch-opersys.html#starting-system-services
