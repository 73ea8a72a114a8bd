Tag: package-signed
Severity: error
Explanation: The .deb carries signature members, so it is not rewritten.
 .
 Members whose names start with _gpg (as written by debsigs) sign the
 other members of the archive. Adding a drop-in changes data.tar, so the
 signatures would no longer verify and debsig-verify would reject the
 package. "systemd-harden apply" therefore refuses such a package and
 writes nothing.
 .
 The better fix is to harden at build time (dh_systemd_harden, or
 %systemd_harden for RPM), so the package is signed after hardening. To
 rewrite the built package anyway, pass --strip-signatures, which drops
 the signature members, and sign the result again, for example with
 "debsigs --sign=origin".
See-Also: debsigs(1), debsig-verify(1), deb(5), systemd-harden(1)
