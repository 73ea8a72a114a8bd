// Package rpmface holds the end-to-end tests of the RPM face: the
// %systemd_harden macro (rpmmacros/macros.systemd_harden) expanded by rpm
// and run by Debian's rpmbuild over the specs in testdata/rpmmacro/; the
// built RPMs read back with rpm -qlp, rpm2cpio and systemd-harden's own
// reader (score, check); rpmlint on RPMs built from the same spec with and
// without the macro; and the build-host hooks the README documents
// (%_build_pkgcheck). The package has no code of its own.
package rpmface
