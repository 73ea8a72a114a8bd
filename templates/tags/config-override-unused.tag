Tag: config-override-unused
Severity: info
Explanation: An override in the package's systemd-harden configuration matched
 no finding.
 .
 The finding it was written for is gone: upstream may have fixed the
 unit, the unit may have been renamed, or the tag or its context is
 misspelled. A stale override hides nothing today but would hide a new
 problem tomorrow. Remove it, or correct it; the path and line point at
 it.
See-Also: systemd-harden(1)
