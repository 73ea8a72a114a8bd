Tag: dynamic-user-shared-directory
Severity: error
Explanation: The service writes a directory the package ships, and the
 package has other services that may use the same directory.
 .
 Under DynamicUser=yes the directory would become a StateDirectory=,
 CacheDirectory= or LogsDirectory=, which systemd moves below
 /var/lib/private (or its cache and log counterparts) and chowns
 recursively to the transient user at the first start: the other services
 lose access to their own files (a cache cleaner would take apache2's cache
 away from apache2). Give the service a directory of its own, or convert
 all the services that share it together, under one User= name.
See-Also: systemd.exec(5)
