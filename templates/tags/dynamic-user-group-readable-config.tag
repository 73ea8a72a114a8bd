Tag: dynamic-user-group-readable-config
Severity: info
Explanation: Configuration is readable only by the service's group, so the
 converted unit keeps the group with SupplementaryGroups=.
 .
 A fresh UID would otherwise get "Permission denied" (redis-server's
 /etc/redis/redis.conf, 0640 redis:redis, is the tested case).
 LoadCredential= is the alternative for a single secret.
See-Also: systemd.exec(5)
