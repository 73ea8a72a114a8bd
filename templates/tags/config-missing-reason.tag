Tag: config-missing-reason
Severity: error
Explanation: A drop or override statement in the package's systemd-harden
 configuration gives no reason.
 .
 Each removal of a tier directive and each override must say why, after
 the word "because", so that the next maintainer (and a reviewer reading
 the report) can judge whether it still holds:
 .
  unit foo.service drop MemoryDenyWriteExecute because the daemon embeds a JIT
  override tier-directive-missing foo.service PrivateNetwork because it serves the LAN
 .
 Add the reason on the line the path and line point at.
See-Also: systemd-harden(1)
