Tag: dynamic-user-static-user
Severity: info
Explanation: The package creates a static system user for the service
 (adduser or useradd in a maintainer script, or a sysusers.d entry).
 .
 If the dynamic user had the same name, systemd would silently reuse the
 static account, so the converted unit names a different user. Once the
 conversion is released, the user creation can go; see the migration
 notes for the upgrade of installed systems.
See-Also: systemd.exec(5), sysusers.d(5)
