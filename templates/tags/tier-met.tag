Tag: tier-met
Severity: pedantic
Explanation: The unit meets the requested tier.
 .
 Every directive of the tier is in effect at least as strictly, was
 skipped for a signal recorded in the package, or is overridden with a
 reason. The detail names the tier. Nothing needs to be done; the tag is
 shown only when pedantic findings are asked for, as a record of what was
 checked.
See-Also: systemd-harden(1)
