Tag: tier-directive-explicit
Severity: info
Explanation: The unit sets this directive itself, so the tier's value is not
 written over it.
 .
 systemd applies drop-ins after the main unit file, so a hardening drop-in
 would silently replace a value the packager or upstream chose on
 purpose. systemd-harden keeps the unit's own setting instead, and reports
 it here with the unit's value and the tier's value in the detail.
 .
 Usually nothing needs to be done. If the unit's value is weaker than the
 tier asks for, check whether it is still needed: upstream units often
 carry settings from a time before a daemon was fixed. Remove it from the
 unit to let the tier apply, or keep it and note the reason in a comment
 next to it, so the next maintainer knows it is deliberate.
See-Also: systemd.exec(5), systemd.unit(5),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html
