Tag: dynamic-user-dbus-name
Severity: error
Explanation: The service owns a D-Bus name (BusName=, Type=dbus, or a
 D-Bus policy granting its user), which a dynamic user cannot do.
 .
 D-Bus policies name users that must exist when the bus reads them, but a
 dynamic user exists only while the service runs (systemd.exec(5): a
 service using DynamicUser= "may currently not allocate a D-Bus service
 name"). systemd itself backed DynamicUser= out of three of its daemons
 for this reason. The unit is hardened with the strict tier instead.
See-Also: systemd.exec(5), https://github.com/systemd/systemd/issues/9503
