Tag: config-unknown-statement
Severity: error
Explanation: A line of the package's systemd-harden configuration is not a
 statement systemd-harden knows.
 .
 The configuration (debian/<package>.systemd-harden, or the file given to
 %systemd_harden -c) holds one statement per line, with # comments:
 tier, systemd-version, unit ... add, unit ... drop and override. A typo
 must not silently weaken the policy, so an unknown statement is an error;
 the path and line point at it.
 .
 Fix the line; systemd-harden(1) describes the statements. This tag cannot
 be overridden from the file it is about.
See-Also: systemd-harden(1)
