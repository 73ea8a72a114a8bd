Tag: sysv-default-file-not-read-by-unit
Severity: info
Explanation: The package ships a settings file for its init script
 (/etc/default/<name> on Debian, /etc/sysconfig/<name> on RPM), but the
 systemd unit that replaces the script does not read it with
 EnvironmentFile=.
 .
 Under systemd the unit runs and the script does not, so whatever an
 administrator sets in that file (daemon options, ENABLED=, ulimits) has
 no effect. Administrators who edited it believe a setting is active when
 it is not.
 .
 When the init script is dropped, decide what becomes of the file. If
 only the script read it, remove it as a conffile on upgrade
 (rm_conffile /etc/default/<name> <version>~ in
 debian/<package>.maintscript) and say in NEWS.Debian where its settings
 go now (a drop-in made with systemctl edit). If the daemon's options
 still belong there, make the unit read it with
 EnvironmentFile=-/etc/default/<name> and use the variables in
 ExecStart=, and keep the file.
 .
 The detail names the file and the unit.
See-Also: systemd.exec(5), dpkg-maintscript-helper(1),
 https://www.debian.org/doc/debian-policy/ch-opersys.html#starting-system-services
