Tag: unit-exposure-high
Severity: info
Explanation: The service's exposure, as "systemd-analyze security" would score
 it after hardening, is still above the threshold.
 .
 The exposure runs from 0.0 to 10.0; systemd rates 9.0 and above UNSAFE
 and 7.5 to 8.9 EXPOSED. The detail gives the predicted exposure and the
 threshold. This is information, not a failure: the tier applied may be
 the right one for the service. To lower the exposure, try a stronger
 tier (strict, dynamic-user) and look at "systemd-harden score" for the
 items that weigh most; "systemd-analyze security" lists the same items.
See-Also: systemd-analyze(1), systemd-harden(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd-analyze.html
