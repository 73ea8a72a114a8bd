Tag: dynamic-user-owned-files
Severity: error
Explanation: The package ships (or its maintainer scripts chown) files
 owned by the service's user outside the directories systemd manages for a
 dynamic user.
 .
 A dynamic user's UID is allocated at start and recycled later, so files
 owned by it anywhere else would end up with no owner, or a stranger's.
 Move such files below /var/lib/<name>, /var/cache/<name> or
 /var/log/<name> (StateDirectory=, CacheDirectory=, LogsDirectory=), which
 systemd chowns at start, or make configuration readable through a group
 (SupplementaryGroups=) or a credential (LoadCredential=).
See-Also: systemd.exec(5)
