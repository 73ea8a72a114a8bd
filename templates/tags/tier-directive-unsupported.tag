Tag: tier-directive-unsupported
Severity: info
Explanation: A directive of the tier is not understood by the targeted systemd
 version, so it is not emitted.
 .
 systemd ignores settings it does not know with only a log line ("Unknown
 key name ..., ignoring"), and an unknown value of a known setting (for
 example PrivateTmp=disconnected on systemd 252) is ignored the same way.
 The protection is then silently off: it fails open. systemd-harden
 therefore never writes a directive for a systemd that would ignore it. The
 detail names the directive and the first systemd version that supports
 it.
 .
 The target version is the systemd installed in the build environment,
 unless --systemd-version (also through dh's -O option; -V for the
 %systemd_harden macro) or a systemd-version statement in the package's
 configuration says otherwise.
 If the package is only meant for a release with a newer systemd, target
 that version, and the directive will be applied.
See-Also: systemd.exec(5), systemd-harden(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html
