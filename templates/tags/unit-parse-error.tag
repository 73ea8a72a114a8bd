Tag: unit-parse-error
Severity: error
Explanation: A unit file or drop-in could not be parsed the way systemd would
 load it.
 .
 The detail says what is wrong, and the path and line point at it: for
 example a section header without its closing bracket, which makes
 systemd refuse the whole file. The unit is left out of scoring and
 hardening, because its effective settings are unknown; the other units
 of the package are still processed, and the run ends with status 1.
 .
 Fix the file, then run "systemd-analyze verify" on it to see what systemd
 itself makes of it. There is no reason to override this tag: a unit
 systemd cannot load does not run.
See-Also: systemd.unit(5), systemd-analyze(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.syntax.html
