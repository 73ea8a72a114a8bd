Tag: sysv-init-script-with-unit
Severity: info
Explanation: The package ships a SysV init script next to a systemd unit of the
 same name.
 .
 Under systemd the unit wins and the script is never run; since systemd
 260 it cannot be run at all. The script only serves systems booted with
 another init system. Debian Policy makes the script optional when a unit
 is shipped; Fedora's packaging guidelines forbid it, and openSUSE's
 rpmlint configuration rejects it.
 .
 If the package no longer supports other init systems, drop the script in
 the next source upload. That is a source change, not something to do
 during the binary build (debhelper has already generated the
 update-rc.d calls for it): remove debian/<package>.init, remove the
 conffile on upgrade with rm_conffile in debian/<package>.maintscript,
 handle /etc/default/<package> if the script read it, and tell users in
 NEWS.Debian. "systemd-harden migrate-sysv" makes this change in a source
 tree (or prints it as a diff), and "systemd-harden sysv-notes" prints
 the steps for a built package.
 .
 For RPM: Fedora's packaging guidelines do not allow a SysV init script
 in a package that ships a unit, and openSUSE's rpmlint reports it as
 systemd-shadowed-initscript. Remove the script from %files and drop its
 chkconfig --add/--del scriptlets (use the %systemd_post, %systemd_preun
 and %systemd_postun macros for the unit instead). If
 /etc/sysconfig/<name> held settings, keep reading it with
 EnvironmentFile=-/etc/sysconfig/<name>.
 .
 To keep the script on purpose, override the tag:
 .
  override sysv-init-script-with-unit foo.service because we support sysvinit
See-Also: dpkg-maintscript-helper(1), dh_installinit(1), systemd-harden(1),
 https://www.debian.org/doc/debian-policy/ch-opersys.html#starting-system-services
