Tag: package-rpm-rewrite-refused
Severity: error
Explanation: A built .rpm is not rewritten; the changes to make in the spec are
 printed instead.
 .
 An RPM's immutable header holds digests of every file and of the
 payload, and the signatures cover that header. Adding a drop-in would mean
 rebuilding the file lists, digests and dependencies that rpmbuild
 generates, and the result would carry no valid signature; rpm 6 refuses
 unsigned packages by default. So "systemd-harden apply" on an .rpm exits
 with status 2, and prints on standard output the drop-ins and the spec
 lines that would give the same result.
 .
 Harden at build time instead: call %systemd_harden at the end of
 %install (or add the printed drop-ins and %files lines to the spec) and
 rebuild the package.
See-Also: rpmbuild(8), systemd-harden(1),
 https://rpm-software-management.github.io/rpm/manual/signatures_digests.html
