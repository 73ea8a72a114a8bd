Tag: tier-directive-skipped
Severity: info
Explanation: A directive of the requested tier was not applied to this unit,
 because something in the package says it would break the service.
 .
 Each tier directive lists the signals that rule it out, for example: a
 setuid or setgid helper rules out NoNewPrivileges=, a socket shared in
 /tmp rules out PrivateTmp=, a device node the daemon opens rules out
 PrivateDevices=, a JIT rules out MemoryDenyWriteExecute=. The
 detail names the directive, the signal and the evidence (the file, and
 the line when there is one) that raised it. A skipped directive still
 counts towards meeting the tier, because the gap is explained.
 .
 Nothing needs to be done when the evidence is right. If the signal is a
 false alarm (the helper is never run by the service, the socket is not
 used), remove the cause from the package, or add the directive yourself,
 in the unit or with an add statement in the package's systemd-harden
 configuration:
 .
  unit foo.service add PrivateTmp=yes
 .
 and test that the service still starts.
See-Also: systemd.exec(5), systemd-harden(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html
