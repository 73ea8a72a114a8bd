#!/usr/bin/perl
# dh add-on "systemd-harden" (Build-Depends: dh-sequence-systemd-harden).
# dh_systemd_harden must see the units dh_installsystemd installed and must
# run before dh_installdeb, dh_md5sums and dh_builddeb, which then record
# its drop-ins like any other file of the package.
use strict;
use warnings;
use Debian::Debhelper::Dh_Lib;

insert_after('dh_installsystemd', 'dh_systemd_harden');

1;
