package signals

import (
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// rule is one signal: its name (the contract with the tier files), its
// documentation and its evaluation, which returns the evidence (none when
// the signal does not fire). Rules run in this order; a derived rule
// reads the signals fired before it.
type rule struct {
	name string
	doc  string
	eval func(c *ctx) []finding.Evidence
}

// rules is never modified after initialisation.
var rules = []rule{
	{"early-boot", "The unit sets DefaultDependencies=no: it is system plumbing that runs before local file systems, /tmp and /var are ready (or during shutdown) — remounting, checking file systems, loading modules, writing /sys and /proc/sys, powering off — so file-system namespacing can fail or pin mounts, and the kernel protections, capability bounds and system-call filters take away exactly what it exists to do (systemd-remount-fs needs mount(), modprobe@ CAP_SYS_MODULE, systemd-hibernate a writable /sys/power). Every tier directive is skipped for it (its upstream already sandboxes what can be) except three that plumbing never needs: RestrictRealtime=, LockPersonality= and SystemCallArchitectures=native. Evidence: the assignment.", earlyBoot},
	{"setuid-helper", "The service may run a setuid or setgid program, which NoNewPrivileges= (explicit, or implied by any seccomp-based directive for a service without CAP_SYS_ADMIN) turns into an ordinary program: the package ships setuid/setgid regular files, or its maintainer scripts make a file setuid/setgid (dpkg-statoverride --add with a 4xxx/2xxx mode, chmod u+s/g+s; Debian's postfix ships postdrop 0755 and sets it there); its Depends, Pre-Depends or Recommends (RPM: Requires) name a mail transport agent or sendmail provider (default-mta, mail-transport-agent, postfix, exim4*, sendmail*, nullmailer, msmtp-mta, opensmtpd, ssmtp, dma), whose sendmail/postdrop the daemon runs to send mail; or an Exec*= line runs sendmail, postdrop, postqueue, exim, su, sudo, newgrp, sg, pkexec or mail/mailx.", setuidHelper},
	{"setuid-helper-nnp", "setuid-helper, and the service's processes lack CAP_SYS_ADMIN (User= or DynamicUser= without ambient CAP_SYS_ADMIN, or root with CAP_SYS_ADMIN already out of its bounding set): systemd then implies NoNewPrivileges= for every seccomp-based directive (LockPersonality=, PrivateDevices=, RestrictRealtime=, SystemCallArchitectures=, SystemCallFilter=, …; notes/systemd-analyze.md §6), which breaks the setuid helper. Evidence: setuid-helper's and the User=/DynamicUser= assignment.", setuidHelperNNP},
	{"setuid-helper-root", "setuid-helper, and the service's processes hold CAP_SYS_ADMIN (root, or ambient CAP_SYS_ADMIN): seccomp-based directives leave setuid working, but a CapabilityBoundingSet= without CAP_SYS_ADMIN would imply NoNewPrivileges= too. Evidence: setuid-helper's.", setuidHelperRoot},
	{"jit-runtime", "The service runs a JIT compiler, which needs writable and executable memory (MemoryDenyWriteExecute=) and system calls outside @system-service: the package is or depends on (Depends/Pre-Depends; RPM Requires) a JIT runtime or library (default-jre*, openjdk-*, java*-runtime*, *-jre-headless, nodejs, libnode*, libluajit*, luajit, libpcre2-8-0 and libpcre3 (PCRE JIT), mono-runtime*, libmono-*, erlang-*, libmozjs*, libv8*, pypy*, libwasmtime*, and the RPM names and sonames of these), or an Exec*= line runs java, jsvc, node, nodejs, mono, erl, beam.smp, luajit or pypy.", jitRuntime},
	{"chroot-user", "The service chroot()s itself, which @system-service does not allow (chroot() is in @mount and @privileged): privilege-separated daemons such as OpenSSH, mail, IMAP/POP3 and FTP servers. The package Provides ssh-server, mail-transport-agent, imap-server, pop3-server or ftp-server, or an Exec*= line runs sshd, vsftpd, proftpd, dovecot or named/chroot with a -t directory.", chrootUser},
	{"device-user", "The service uses hardware devices, which PrivateDevices= hides: the unit sets DeviceAllow= (DevicePolicy= alone, closed or strict, already allows only the pseudo devices PrivateDevices= keeps and is no signal), TTYPath=, or StandardInput=/StandardOutput=/StandardError=tty*; the package ships udev rules (/lib/udev/rules.d, /usr/lib/udev/rules.d, /etc/udev/rules.d); or an Exec*= line, or an EnvironmentFile= the package ships, names /dev/tty*, /dev/serial, /dev/input, /dev/video*, /dev/snd or /dev/bus/usb.", deviceUser},
	{"home-writer", "The service writes into home directories, which ProtectHome=read-only and yes forbid: the package Provides mail-transport-agent, mail-delivery-agent, imap-server, pop3-server or ftp-server (mail delivery and file servers write users' mailboxes and files), is or depends on procmail, maildrop, samba or nfs-kernel-server, or the unit's ReadWritePaths= name /home or /root.", homeWriter},
	{"home-reader", "The service reads home directories (~/.ssh, ~/public_html, ~/.forward), which ProtectHome=yes hides but read-only keeps: the package Provides ssh-server, httpd or httpd-cgi, or an Exec*= line runs sshd.", homeReader},
	{"realtime-user", "The service uses realtime scheduling, which RestrictRealtime= refuses: the unit sets CPUSchedulingPolicy=fifo or rr, or a non-zero LimitRTPRIO=; or the package is or depends on rtkit, libjack*, jackd*, pipewire* or pulseaudio.", realtimeUser},
	{"foreign-abi", "The service runs programs of another architecture or ABI, which SystemCallArchitectures=native refuses: an Exec*= line runs wine, wine64, box86, box64 or qemu-*-static, or the package is or depends on wine* or libwine*.", foreignABI},
	{"shared-tmp", "The service shares files through /tmp or /var/tmp with other processes (sockets, lock or exchange files), which PrivateTmp= would hide: the unit's Exec*=, Environment=, EnvironmentFile= (and the file's contents, when the package ships it) or PIDFile= lines, the Listen*= lines of its socket units, or the package's tmpfiles.d entries name a path under /tmp/ or /var/tmp/.", sharedTmp},
	{"firewall-tool", "The service manages the packet filter, which needs /proc/sys writable, netlink and raw access: the package is or depends on iptables, nftables, ipset, ebtables, arptables, firewalld, ufw or fail2ban (which runs iptables), or an Exec*= line runs iptables*, ip6tables*, xtables-*, ebtables*, arptables*, nft, ipset, firewall-cmd or ufw.", firewallTool},
	{"sysctl-writer", "The service writes kernel tunables, which ProtectKernelTunables= makes read-only: an Exec*= line runs sysctl to set a value (an assignment, -w, -p, --system, --load; reading is no signal) or systemd-sysctl, or writes into /proc/sys or /sys (a \">\" redirection, or tee).", sysctlWriter},
	{"module-loader", "The service loads kernel modules, which ProtectKernelModules= forbids: an Exec*= line runs modprobe, insmod or rmmod, or the unit's AmbientCapabilities= or CapabilityBoundingSet= (an allow list) grants CAP_SYS_MODULE.", moduleLoader},
	{"kernel-log-reader", "The service reads the kernel log, which ProtectKernelLogs= forbids: the package Provides system-log-daemon or linux-kernel-log-daemon, an Exec*= line runs klogd or dmesg or names /proc/kmsg or /dev/kmsg, or the unit grants CAP_SYSLOG (AmbientCapabilities=, or a CapabilityBoundingSet= allow list).", kernelLogReader},
	{"cgroup-manager", "The service manages control groups, which ProtectControlGroups= makes read-only: the unit sets Delegate= to anything but no/false, or the package is or depends on runc, crun, containerd*, docker.io, docker-ce, moby-engine, lxc, lxd, podman or systemd-container.", cgroupManager},
	{"clock-setter", "The service sets the system clock or the RTC, which ProtectClock= forbids: the package is a time daemon (chrony, ntp, ntpsec, openntpd, systemd-timesyncd) or Provides time-daemon, the unit grants CAP_SYS_TIME, or an Exec*= line runs hwclock, ntpdate, chronyd, ntpd, sntp, rdate, htpdate or timedatectl.", clockSetter},
	{"hostname-setter", "The service sets the host name, which ProtectHostname= keeps from reaching the system: an Exec*= line runs hostname with a name or -F/--file/-b, or hostnamectl set-hostname / hostnamectl hostname NAME. Capabilities are no signal (CAP_SYS_ADMIN is held for many reasons).", hostnameSetter},
	{"package-manager", "The service installs or upgrades software, which needs /usr, /boot and /etc writable (ProtectSystem=): the package is or Provides apt, dpkg, packagekit, unattended-upgrades, aptitude, needrestart, dnf, dnf-automatic, yum or zypper (fwupd is not: it writes firmware and /var), or an Exec*= line runs apt/apt-get/aptitude with a changing command, dpkg with a changing action (not queries such as --print-architecture), unattended-upgrade, pkcon, dnf, yum or zypper.", packageManager},
	{"namespace-creator", "The service creates namespaces or sandboxes, which RestrictNamespaces= and the system-call filter refuse: the package is or depends on bubblewrap, firejail, lxc, runc, crun, containerd*, podman, systemd-container, flatpak, chromium or snapd, or an Exec*= line runs bwrap, unshare, firejail, systemd-nspawn, nsenter or ip netns (ip -n).", namespaceCreator},
	{"mounts-filesystems", "The service mounts file systems, which the system-call filter (@mount) and PrivateMounts= prevent or hide: the package is or depends on nfs-common, nfs-kernel-server, autofs, fuse, fuse3, cifs-utils, udisks2, sshfs, open-iscsi, multipath-tools, lvm2 or cryptsetup*, or an Exec*= line runs mount, umount, mount.*, umount.*, fusermount or fusermount3.", mountsFilesystems},
	{"packet-sockets", "The service uses packet (AF_PACKET) or raw sockets, which RestrictAddressFamilies= without AF_PACKET refuses: the package is or depends on libpcap*, isc-dhcp-client, isc-dhcp-server, dhcpcd*, dnsmasq (DHCP uses packet sockets), arping, libnet1, tcpdump, wireshark*, ladvd or lldpd; the unit grants CAP_NET_RAW; or its own RestrictAddressFamilies= allow list names AF_PACKET.", packetSockets},
	{"capability-user", "The service runs programs that rely on file capabilities or need privileges outside the bounding set the strict tier keeps: a maintainer script runs setcap (\"command -v setcap\" and similar probes do not count), or an Exec*= line runs ping*, arping or traceroute*.", capabilityUser},
	{"process-scanner", "The service looks at other processes through /proc, which ProtectProc=invisible hides when they belong to other users: an Exec*= line runs pidof, pkill, pgrep, killall, ps, or start-stop-daemon stopping or querying without --pidfile (it then matches by name, executable or user over /proc).", processScanner},
	{"session-host", "The service starts login sessions or runs commands for users and administrators (remote shells, consoles, display managers, job schedulers and batch systems, process supervisors, inet super-servers, logrotate with every package's postrotate scripts, run-parts over a directory of administrators' scripts): every process it starts inherits its sandbox, so any protection meant for the daemon also confines the people and jobs it serves (an @reboot cron job cannot write /var/tmp under PrivateTmp=, an SSH login cannot sudo under NoNewPrivileges=, nor write its home under ProtectHome=). Every tier directive is skipped for it; upstream systemd and the distributions leave sshd, cron and getty unsandboxed for this reason. The package Provides ssh-server, cron-daemon, telnet-server, rsh-server, inet-superserver or x-display-manager, or is openssh-server, dropbear*, tinysshd, cron, cronie, anacron, at, systemd-cron, bcron, fcron, incron, xrdp, telnetd*, xinetd, logrotate, gdm3, lightdm, sddm, xdm, lxdm, slim, supervisor, runit, daemontools-run, slurmd or webmin; an Exec*= line runs (not merely names) sshd, dropbear, cron, crond, atd, anacron, fcron, incrond, xrdp*, in.telnetd, telnetd, inetd, xinetd, agetty, getty, mingetty, login, sulogin, systemd-sulogin-shell, logrotate, run-parts, gdm, gdm3, lightdm, sddm, xdm, lxdm, slim, supervisord, runsvdir, svscan, svscanboot or slurmd; or the unit sets PAMName= (systemd opens a session for it).", sessionHost},
	{"storage-admin", "The service administers block devices or file systems (checks, scrubs, trims, snapshots, RAID and volume management, disk health), which needs the devices PrivateDevices= hides, CAP_SYS_ADMIN and CAP_SYS_RAWIO outside the strict bounding set, /etc writable for LVM's metadata backups (ProtectSystem=), every mount point including /home (ProtectHome=yes) and system calls outside @system-service: an Exec*= line runs (not merely names) fsck, fsck.*, e2fsck, e2scrub, e2scrub_all, fstrim, lvm, lvcreate, lvremove, lvchange, vgchange, vgscan, pvscan, mdadm, dmsetup, cryptsetup, multipath*, smartctl, smartd, hdparm, nvme, blkdiscard, badblocks, xfs_*, btrfs*, zpool, zfs or quotacheck; or the package is lvm2, mdadm, smartmontools, e2fsprogs, xfsprogs, btrfs-progs, zfsutils-linux or thin-provisioning-tools.", storageAdmin},
	{"network-configurer", "The service configures network interfaces, addresses, routes or tunnels, which needs CAP_NET_ADMIN (outside the strict bounding set) and often writes /proc/sys/net (ProtectKernelTunables=) and /etc (resolv.conf, saved configuration; ProtectSystem=): an Exec*= line runs ip with a changing command (options skipped; OBJECT then COMMAND as ip abbreviates them: add, delete, change, replace, set, flush, append, prepend, restore; -batch and -force count; show, list, get and monitor do not), wg, wg-quick, ifup, ifdown, brctl, iw, tc, resolvconf, openvpn, vconfig, ovs-vsctl or nmcli; the unit grants CAP_NET_ADMIN (AmbientCapabilities=, or a CapabilityBoundingSet= allow list); or the package is wireguard-tools, ifupdown, ifupdown2, bridge-utils, vlan, openvpn, openvswitch-switch or resolvconf.", networkConfigurer},
	{"maintainer-sandboxed", "The unit already carries a sandbox its maintainers wrote: it sets at least 8 of the 27 sandboxing settings (ProtectSystem=, ProtectHome=, PrivateTmp=, PrivateDevices=, PrivateNetwork=, PrivateUsers=, PrivateMounts=, the ProtectKernel*=, ProtectControlGroups=, ProtectClock=, ProtectHostname=, ProtectProc=, ProcSubset=, the Restrict*=, LockPersonality=, MemoryDenyWriteExecute=, SystemCallFilter=, SystemCallArchitectures=, CapabilityBoundingSet=, NoNewPrivileges=, IPAddressDeny=, DynamicUser=). What such a sandbox leaves out is presumed deliberate, and apply adds nothing to it (check reports the gaps as tier-directive-missing-sandboxed warnings): systemd-hostnamed has no ProtectHostname= because setting the host name is its job, systemd-logind no ProtectProc=invisible because it must see every session's processes without CAP_SYS_PTRACE. Most real units set none; on the 190 of the test packages it fires for 33 (TestRealPackages). Evidence: the assignments.", maintainerSandboxed},
	{"shared-user", "Another unit of the package runs as the same non-root User=, so the System V IPC objects RemoveIPC= deletes when this service stops may belong to the other one. Evidence: both User= assignments.", sharedUser},
}

func earlyBoot(c *ctx) []finding.Evidence {
	if c.info.DefaultDependencies {
		return nil
	}
	if a, ok := c.last(c.unit, "Unit", "DefaultDependencies"); ok {
		return []finding.Evidence{a.evidence()}
	}
	return nil
}

var mtaPatterns = []string{"default-mta", "mail-transport-agent", "postfix", "exim4*", "sendmail*", "nullmailer", "msmtp-mta", "opensmtpd", "ssmtp", "dma",
	"/usr/sbin/sendmail", "/usr/lib/sendmail", "smtpdaemon"} // RPM: file and virtual requirements

func setuidHelper(c *ctx) []finding.Evidence {
	var out []finding.Evidence
	for _, e := range c.pkg.Entries {
		if e.Type == tree.Regular && e.Mode&(os.ModeSetuid|os.ModeSetgid) != 0 {
			out = append(out, finding.Evidence{Path: e.Path, Text: lsMode(e.Mode) + " " + ownerOf(e.Owner, e.UID) + "/" + ownerOf(e.Group, e.GID) + " " + e.Path})
		}
	}
	out = append(out, c.scriptSetuid()...)
	out = append(out, c.dependsOn(true, mtaPatterns...)...)
	out = append(out, c.execRuns(nil, progs("sendmail", "postdrop", "postqueue", "exim", "exim4", "su", "sudo", "newgrp", "sg", "pkexec", "mail", "mailx", "bsd-mailx", "s-nail")...)...)
	return out
}

// statoverrideAdd and chmodSetid find maintainer-script lines that make a
// file setuid or setgid at install time (Debian ships such files 0755 and
// registers the mode with dpkg-statoverride, e.g. postfix's postdrop).
var (
	statoverrideAdd = regexp.MustCompile(`dpkg-statoverride\b.*--add\s+(?:--\S+\s+)*\S+\s+\S+\s+0*([0-7]{4})\s+(\S+)`)
	chmodSetid      = regexp.MustCompile(`(?:^|[\s;&|(/])chmod\s+(?:-\S+\s+)*(?:[ugoa]*\+[rwxXt]*s[rwxXt]*|0*([0-7]{4}))\s+(\S+)`)
)

// scriptSetuid returns the maintainer-script lines that make a file (not
// a shipped directory: a setgid directory is no helper) setuid or setgid.
func (c *ctx) scriptSetuid() []finding.Evidence {
	dirs := map[string]bool{}
	for _, e := range c.pkg.Entries {
		if e.Type == tree.Dir {
			dirs[e.Path] = true
		}
	}
	var out []finding.Evidence
	for _, s := range c.pkg.Scripts {
		for i, l := range strings.Split(s.Text, "\n") {
			t := strings.TrimSpace(l)
			if t == "" || t[0] == '#' {
				continue
			}
			m := statoverrideAdd.FindStringSubmatch(t)
			if m == nil {
				m = chmodSetid.FindStringSubmatch(t)
			}
			if m == nil {
				continue
			}
			if m[1] != "" {
				if mode, err := strconv.ParseUint(m[1], 8, 32); err != nil || mode&0o6000 == 0 {
					continue
				}
			}
			// A path that is a shipped directory or outside the program
			// directories is a setgid directory (tor's /var/lib/tor);
			// a variable ($POSTDROP) is taken as a program.
			if target := strings.Trim(m[2], `"'`); dirs[target] || strings.HasPrefix(target, "/") && !binPath(target) {
				continue
			}
			out = append(out, finding.Evidence{Path: scriptPath(c.pkg.Format, s.Name), Line: i + 1, Text: t})
		}
	}
	return out
}

// userEvidence is the assignment that makes the service run as another
// user, for the derived setuid signals.
func (c *ctx) userEvidence() []finding.Evidence {
	var out []finding.Evidence
	for _, k := range []string{"User", "DynamicUser"} {
		if a, ok := c.last(c.unit, "Service", k); ok {
			out = append(out, a.evidence())
		}
	}
	return out
}

func setuidHelperNNP(c *ctx) []finding.Evidence {
	s := c.fired["setuid-helper"]
	if s == nil || c.hasCap("CAP_SYS_ADMIN") {
		return nil
	}
	return append(append([]finding.Evidence{}, s.Evidence...), c.userEvidence()...)
}

func setuidHelperRoot(c *ctx) []finding.Evidence {
	s := c.fired["setuid-helper"]
	if s == nil || !c.hasCap("CAP_SYS_ADMIN") {
		return nil
	}
	return append([]finding.Evidence{}, s.Evidence...)
}

func jitRuntime(c *ctx) []finding.Evidence {
	out := c.isOrDependsOn("default-jre*", "openjdk-*", "java*-runtime*", "*-jre-headless", "nodejs", "libnode*", "libluajit*", "luajit",
		"libpcre2-8-0", "libpcre3", "mono-runtime*", "libmono-*", "erlang-base*", "erlang-*", "libmozjs*", "libv8*", "pypy*", "libwasmtime*",
		// RPM package names and sonames
		"java-*-openjdk*", "java-headless", "jre-headless", "nodejs-libs", "mono-core", "erlang-erts", "libpcre2-8.so*", "libpcre.so*", "libluajit-*.so*", "libnode.so*", "libmozjs-*.so*")
	return append(out, c.execRuns(nil, progs("java", "jsvc", "node", "nodejs", "mono", "erl", "beam.smp", "luajit", "pypy", "pypy3")...)...)
}

var devicePaths = regexp.MustCompile(`/dev/(tty|serial|input|video|snd|bus/usb)`)

func deviceUser(c *ctx) []finding.Evidence {
	var out []finding.Evidence
	if da := c.list(c.unit, "Service", "DeviceAllow"); len(da) > 0 {
		for _, a := range da {
			out = append(out, a.evidence())
		}
		if a, ok := c.last(c.unit, "Service", "DevicePolicy"); ok {
			out = append(out, a.evidence())
		}
	}
	if a, ok := c.last(c.unit, "Service", "TTYPath"); ok {
		out = append(out, a.evidence())
	}
	for _, k := range []string{"StandardInput", "StandardOutput", "StandardError"} {
		if a, ok := c.last(c.unit, "Service", k); ok && strings.HasPrefix(strings.TrimSpace(a.a.Value), "tty") {
			out = append(out, a.evidence())
		}
	}
	// udev rules are package-wide: they show that the package's service
	// uses hardware only when the package has a single service (a package
	// of many units, like systemd itself, ships rules for one of them).
	for _, e := range c.pkg.Entries {
		if (e.Type != tree.Regular && e.Type != tree.Symlink) || !c.singleService() {
			continue
		}
		for _, d := range []string{"/lib/udev/rules.d/", "/usr/lib/udev/rules.d/", "/etc/udev/rules.d/"} {
			if strings.HasPrefix(e.Path, d) && strings.HasSuffix(e.Path, ".rules") {
				out = append(out, finding.Evidence{Path: e.Path, Text: "udev rules"})
			}
		}
	}
	out = append(out, c.execMentions(devicePaths.MatchString)...)
	out = append(out, c.envMentions(devicePaths.MatchString)...)
	return out
}

// envMentions returns the lines of the unit's EnvironmentFile= files
// whose value satisfies f.
func (c *ctx) envMentions(f func(string) bool) []finding.Evidence {
	var out []finding.Evidence
	for _, ef := range c.envFiles {
		for _, l := range ef.lines {
			if f(l.value) {
				out = append(out, finding.Evidence{Path: ef.path, Line: l.line, Text: l.text})
			}
		}
	}
	return out
}

func homeWriter(c *ctx) []finding.Evidence {
	out := c.provides("mail-transport-agent", "mail-delivery-agent", "imap-server", "pop3-server", "ftp-server")
	out = append(out, c.isOrDependsOn("procmail", "maildrop", "samba", "nfs-kernel-server")...)
	for _, a := range c.list(c.unit, "Service", "ReadWritePaths") {
		for _, w := range words(c.expand(a.a.Value), false) {
			p := strings.TrimLeft(w, "-+")
			if under(p, "/home") || under(p, "/root") {
				out = append(out, a.evidence())
				break
			}
		}
	}
	return out
}

func chrootUser(c *ctx) []finding.Evidence {
	out := c.provides("ssh-server", "mail-transport-agent", "imap-server", "pop3-server", "ftp-server")
	return append(out, c.execRuns(nil, progs("sshd", "vsftpd", "proftpd", "dovecot", "chroot")...)...)
}

func homeReader(c *ctx) []finding.Evidence {
	out := c.provides("ssh-server", "httpd", "httpd-cgi")
	return append(out, c.execRuns(nil, progs("sshd")...)...)
}

func realtimeUser(c *ctx) []finding.Evidence {
	var out []finding.Evidence
	if a, ok := c.last(c.unit, "Service", "CPUSchedulingPolicy"); ok {
		switch strings.ToLower(strings.TrimSpace(a.a.Value)) {
		case "fifo", "rr":
			out = append(out, a.evidence())
		}
	}
	if a, ok := c.last(c.unit, "Service", "LimitRTPRIO"); ok && rlimitNonZero(a.a.Value) {
		out = append(out, a.evidence())
	}
	return append(out, c.isOrDependsOn("rtkit", "libjack*", "jackd*", "pipewire*", "pulseaudio")...)
}

// rlimitNonZero reports whether a Limit*= value ("0", "5", "0:10",
// "infinity") allows anything.
func rlimitNonZero(v string) bool {
	for _, part := range strings.Split(strings.TrimSpace(v), ":") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n, err := strconv.ParseUint(part, 10, 64); err != nil || n != 0 {
			return true
		}
	}
	return false
}

func foreignABI(c *ctx) []finding.Evidence {
	out := c.execRuns(nil, progs("wine", "wine64", "wine-stable", "box86", "box64", "qemu-*-static")...)
	return append(out, c.isOrDependsOn("wine*", "libwine*")...)
}

var tmpPath = regexp.MustCompile(`(^|[\s='"(,;:])(/var)?/tmp/[^\s'"]`)

// listenKeys are a socket unit's listening directives.
var listenKeys = []string{"ListenStream", "ListenDatagram", "ListenSequentialPacket", "ListenFIFO", "ListenSpecial", "ListenMessageQueue", "ListenUSBFunction", "ListenNetlink"}

func sharedTmp(c *ctx) []finding.Evidence {
	out := c.execMentions(tmpPath.MatchString)
	for _, k := range []string{"Environment", "EnvironmentFile", "PIDFile"} {
		for _, a := range c.list(c.unit, "Service", k) {
			if tmpPath.MatchString(c.expand(a.a.Value)) {
				out = append(out, a.evidence())
			}
		}
	}
	out = append(out, c.envMentions(tmpPath.MatchString)...)
	for _, s := range c.relatedSockets() {
		for _, k := range listenKeys {
			for _, a := range c.list(s, "Socket", k) {
				if tmpPath.MatchString(c.expand(a.a.Value)) {
					out = append(out, a.evidence())
				}
			}
		}
	}
	// tmpfiles.d entries are package-wide too: they count for a package
	// with a single service.
	for _, t := range c.tmpfiles {
		if !c.singleService() {
			break
		}
		if under(t.path, "/tmp") && t.path != "/tmp" || under(t.path, "/var/tmp") && t.path != "/var/tmp" {
			out = append(out, t.evidence())
		}
	}
	return out
}

func firewallTool(c *ctx) []finding.Evidence {
	out := c.isOrDependsOn("iptables", "nftables", "ipset", "ebtables", "arptables", "firewalld", "ufw", "fail2ban")
	return append(out, c.execRuns(nil, progs("iptables*", "ip6tables*", "xtables-*", "ebtables*", "arptables*", "nft", "ipset", "firewall-cmd", "ufw")...)...)
}

var procSysWrite = regexp.MustCompile(`>\s*/(proc/sys|sys)/`)

func sysctlWriter(c *ctx) []finding.Evidence {
	setting := func(args []string) bool {
		for _, a := range args {
			switch {
			case a == "-w" || a == "--write" || a == "-p" || a == "--system" || strings.HasPrefix(a, "--load") || strings.HasPrefix(a, "-p"):
				return true
			case !strings.HasPrefix(a, "-") && strings.Contains(a, "="):
				return true
			}
		}
		return false
	}
	teeSys := func(args []string) bool {
		for _, a := range args {
			if strings.HasPrefix(a, "/proc/sys/") || strings.HasPrefix(a, "/sys/") {
				return true
			}
		}
		return false
	}
	out := c.execRuns(nil, progMatcher{pattern: "sysctl", args: setting}, progMatcher{pattern: "tee", args: teeSys}, progMatcher{pattern: "systemd-sysctl"})
	return append(out, c.execMentions(procSysWrite.MatchString)...)
}

func moduleLoader(c *ctx) []finding.Evidence {
	out := c.execRuns(nil, progs("modprobe", "insmod", "rmmod")...)
	return append(out, c.capEvidence("CAP_SYS_MODULE")...)
}

var kmsg = regexp.MustCompile(`/(proc|dev)/kmsg`)

func kernelLogReader(c *ctx) []finding.Evidence {
	out := c.provides("system-log-daemon", "linux-kernel-log-daemon")
	out = append(out, c.execRuns(nil, progs("klogd", "dmesg")...)...)
	out = append(out, c.execMentions(kmsg.MatchString)...)
	return append(out, c.capEvidence("CAP_SYSLOG")...)
}

func cgroupManager(c *ctx) []finding.Evidence {
	var out []finding.Evidence
	if a, ok := c.last(c.unit, "Service", "Delegate"); ok && c.info.Delegate {
		out = append(out, a.evidence())
	}
	return append(out, c.isOrDependsOn("runc", "crun", "containerd*", "docker.io", "docker-ce", "moby-engine", "lxc", "lxd", "podman", "systemd-container")...)
}

func clockSetter(c *ctx) []finding.Evidence {
	out := c.provides("time-daemon")
	out = append(out, c.is("chrony", "ntp", "ntpsec", "openntpd", "systemd-timesyncd")...)
	out = append(out, c.capEvidence("CAP_SYS_TIME")...)
	return append(out, c.execRuns(nil, progs("hwclock", "ntpdate", "chronyd", "ntpd", "sntp", "rdate", "htpdate", "timedatectl")...)...)
}

func hostnameSetter(c *ctx) []finding.Evidence {
	hostname := func(args []string) bool {
		for _, a := range args {
			switch {
			case a == "-F" || a == "-b" || a == "--boot" || strings.HasPrefix(a, "--file"):
				return true
			case !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, ">") && !strings.HasPrefix(a, "<"):
				return true
			}
		}
		return false
	}
	hostnamectl := func(args []string) bool {
		var pos []string
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				pos = append(pos, a)
			}
		}
		return len(pos) > 0 && (pos[0] == "set-hostname" || pos[0] == "hostname" && len(pos) > 1)
	}
	return c.execRuns(nil, progMatcher{pattern: "hostname", args: hostname}, progMatcher{pattern: "hostnamectl", args: hostnamectl})
}

func packageManager(c *ctx) []finding.Evidence {
	pms := []string{"apt", "dpkg", "packagekit", "unattended-upgrades", "aptitude", "needrestart", "dnf", "dnf-automatic", "yum", "zypper"}
	out := c.is(pms...)
	out = append(out, c.provides(pms...)...)
	aptChanging := func(args []string) bool {
		for _, a := range args {
			switch a {
			case "install", "reinstall", "upgrade", "full-upgrade", "dist-upgrade", "safe-upgrade", "remove", "purge", "autoremove", "autopurge", "update", "clean", "autoclean", "build-dep", "markauto", "unmarkauto":
				return true
			}
		}
		return false
	}
	dpkgChanging := func(args []string) bool {
		for _, a := range args {
			switch {
			case a == "-i" || a == "-r" || a == "-P" || a == "-a" || a == "-A":
				return true
			case strings.HasPrefix(a, "--") && contains([]string{"--install", "--unpack", "--configure", "--triggers-only", "--remove", "--purge", "--set-selections", "--clear-selections", "--update-avail", "--merge-avail", "--clear-avail", "--forget-old-unavail", "--record-avail", "--add-architecture", "--remove-architecture"}, strings.SplitN(a, "=", 2)[0]):
				return true
			}
		}
		return false
	}
	return append(out, c.execRuns(nil,
		progMatcher{pattern: "apt", args: aptChanging}, progMatcher{pattern: "apt-get", args: aptChanging}, progMatcher{pattern: "aptitude", args: aptChanging},
		progMatcher{pattern: "dpkg", args: dpkgChanging},
		progMatcher{pattern: "unattended-upgrade"}, progMatcher{pattern: "unattended-upgrades"}, progMatcher{pattern: "pkcon"},
		progMatcher{pattern: "dnf"}, progMatcher{pattern: "yum"}, progMatcher{pattern: "zypper"})...)
}

func namespaceCreator(c *ctx) []finding.Evidence {
	out := c.isOrDependsOn("bubblewrap", "firejail", "lxc", "runc", "crun", "containerd*", "podman", "systemd-container", "flatpak", "chromium", "snapd")
	netns := func(args []string) bool {
		for _, a := range args {
			if a == "netns" || a == "-n" || a == "-netns" || a == "--netns" || a == "-all" {
				return true
			}
		}
		return false
	}
	return append(out, c.execRuns(nil, append(progs("bwrap", "unshare", "firejail", "systemd-nspawn", "nsenter"), progMatcher{pattern: "ip", args: netns})...)...)
}

func mountsFilesystems(c *ctx) []finding.Evidence {
	out := c.isOrDependsOn("nfs-common", "nfs-kernel-server", "autofs", "fuse", "fuse3", "cifs-utils", "udisks2", "sshfs", "open-iscsi", "multipath-tools", "lvm2", "cryptsetup*")
	return append(out, c.execRuns(nil, progs("mount", "umount", "mount.*", "umount.*", "fusermount", "fusermount3")...)...)
}

func packetSockets(c *ctx) []finding.Evidence {
	out := c.isOrDependsOn("libpcap0.8*", "libpcap*", "isc-dhcp-client", "isc-dhcp-server", "dhcpcd*", "dnsmasq", "dnsmasq-base*", "arping", "libnet1", "tcpdump", "wireshark*", "ladvd", "lldpd")
	out = append(out, c.capEvidence("CAP_NET_RAW")...)
	if !c.info.RestrictAFPacket {
		for _, a := range c.list(c.unit, "Service", "RestrictAddressFamilies") {
			v := strings.TrimSpace(a.a.Value)
			if strings.HasPrefix(v, "~") {
				continue
			}
			for _, w := range strings.Fields(v) {
				if strings.EqualFold(w, "AF_PACKET") {
					out = append(out, a.evidence())
					break
				}
			}
		}
	}
	return out
}

var (
	setcapCall  = regexp.MustCompile(`(^|[\s;&|(/])setcap(\s|$)`)
	setcapProbe = regexp.MustCompile(`(command\s+-v|which|type|hash)\s+setcap\b`) // a check, not a call
)

func capabilityUser(c *ctx) []finding.Evidence {
	var out []finding.Evidence
	for _, s := range c.pkg.Scripts {
		for i, l := range strings.Split(s.Text, "\n") {
			t := strings.TrimSpace(l)
			if t == "" || t[0] == '#' {
				continue
			}
			if setcapCall.MatchString(t) && !setcapProbe.MatchString(t) {
				out = append(out, finding.Evidence{Path: scriptPath(c.pkg.Format, s.Name), Line: i + 1, Text: t})
			}
		}
	}
	return append(out, c.execRuns(nil, progs("ping", "ping4", "ping6", "arping", "traceroute", "traceroute6")...)...)
}

func processScanner(c *ctx) []finding.Evidence {
	// start-stop-daemon stopping or querying without a pid file matches
	// by name, executable or user over all of /proc.
	ssdQuery := func(args []string) bool {
		query, pidfile := false, false
		for _, a := range args {
			switch {
			case a == "-K" || a == "--stop" || a == "-T" || a == "--status":
				query = true
			case a == "-p" || a == "--pidfile" || strings.HasPrefix(a, "--pidfile="):
				pidfile = true
			}
		}
		return query && !pidfile
	}
	return c.execRuns(nil, append(progs("pidof", "pkill", "pgrep", "killall", "ps"), progMatcher{pattern: "start-stop-daemon", args: ssdQuery})...)
}

func sessionHost(c *ctx) []finding.Evidence {
	out := c.provides("ssh-server", "cron-daemon", "telnet-server", "rsh-server", "inet-superserver", "x-display-manager")
	out = append(out, c.is("openssh-server", "dropbear*", "tinysshd", "cron", "cronie", "anacron", "at", "systemd-cron", "bcron", "fcron", "incron", "xrdp", "telnetd*", "xinetd", "logrotate",
		"gdm3", "lightdm", "sddm", "xdm", "lxdm", "slim", "supervisor", "runit", "daemontools-run", "slurmd", "webmin")...)
	out = append(out, c.execRuns(nil, commands("sshd", "dropbear", "cron", "crond", "atd", "anacron", "fcron", "incrond", "xrdp*", "in.telnetd", "telnetd", "inetd", "xinetd", "agetty", "getty", "mingetty", "login", "sulogin", "systemd-sulogin-shell", "logrotate", "run-parts",
		"gdm", "gdm3", "lightdm", "sddm", "xdm", "lxdm", "slim", "supervisord", "runsvdir", "svscan", "svscanboot", "slurmd")...)...)
	if a, ok := c.last(c.unit, "Service", "PAMName"); ok && strings.TrimSpace(a.a.Value) != "" {
		out = append(out, a.evidence())
	}
	return out
}

func storageAdmin(c *ctx) []finding.Evidence {
	out := c.is("lvm2", "mdadm", "smartmontools", "e2fsprogs", "xfsprogs", "btrfs-progs", "zfsutils-linux", "thin-provisioning-tools")
	return append(out, c.execRuns(nil, commands("fsck", "fsck.*", "e2fsck", "e2scrub", "e2scrub_all", "fstrim", "lvm", "lvcreate", "lvremove", "lvchange", "vgchange", "vgscan", "pvscan",
		"mdadm", "dmsetup", "cryptsetup", "multipath*", "smartctl", "smartd", "hdparm", "nvme", "blkdiscard", "badblocks", "xfs_*", "btrfs*", "zpool", "zfs", "quotacheck")...)...)
}

// ipChanging: an ip(8) call that changes the network, read as ip reads
// it: options (and their values; "--x" is "-x", options abbreviate) first,
// then OBJECT and COMMAND, both abbreviable, with a sub-object for some
// objects (ip mptcp endpoint add). No COMMAND means "show"; -batch and
// -force run commands from a file, which counts as changing; "ip netns
// exec NS CMD…" is judged by CMD when that is ip again.
func ipChanging(args []string) bool {
	prefixOf := func(w string, full ...string) bool {
		for _, f := range full {
			if w != "" && strings.HasPrefix(f, w) {
				return true
			}
		}
		return false
	}
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") {
			a = a[1:]
		}
		switch {
		case len(words) > 0:
			words = append(words, a)
		case a == "-b" || prefixOf(a, "-batch") && len(a) > 2 || prefixOf(a, "-force") && len(a) > 2:
			return true
		case a == "-n" || prefixOf(a, "-netns") && len(a) > 2, a == "-f" || prefixOf(a, "-family") && len(a) > 2,
			a == "-l" || prefixOf(a, "-loops") && len(a) > 2, prefixOf(a, "-rcvbuf") && len(a) > 2:
			i++ // the option's value
		case strings.HasPrefix(a, "-"):
		default:
			words = append(words, a)
		}
	}
	if len(words) < 2 {
		return false // "ip link", "ip -br a": show
	}
	obj, cmd := words[0], words[1]
	if prefixOf(obj, "netns") && cmd == "exec" {
		if len(words) > 3 && path.Base(words[3]) == "ip" {
			return ipChanging(words[4:])
		}
		return false
	}
	query := func(c string) bool {
		return len(c) >= 2 && prefixOf(c, "show", "list", "lst", "get", "monitor", "help", "showdump") ||
			c == "s" && !prefixOf(obj, "link") // "ip link s" is set; elsewhere s is show
	}
	change := func(c string) bool {
		return prefixOf(c, "add", "delete", "change", "chg", "replace", "set", "flush", "append", "prepend", "restore")
	}
	switch {
	case query(cmd):
		return false
	case change(cmd):
		return true
	case len(words) > 2: // OBJECT SUBOBJECT COMMAND
		return !query(words[2]) && change(words[2])
	}
	return false
}

func networkConfigurer(c *ctx) []finding.Evidence {
	out := c.is("wireguard-tools", "ifupdown", "ifupdown2", "bridge-utils", "vlan", "openvpn", "openvswitch-switch", "resolvconf")
	ms := append([]progMatcher{{pattern: "ip", args: ipChanging, command: true}}, commands("wg", "wg-quick", "ifup", "ifdown", "brctl", "iw", "tc", "resolvconf", "openvpn", "vconfig", "ovs-vsctl", "nmcli")...)
	out = append(out, c.execRuns(nil, ms...)...)
	return append(out, c.capEvidence("CAP_NET_ADMIN")...)
}

// sandboxSettings are the settings that make up a hand-written sandbox.
var sandboxSettings = []string{"ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateNetwork", "PrivateUsers", "PrivateMounts",
	"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset",
	"RestrictRealtime", "RestrictNamespaces", "RestrictAddressFamilies", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute",
	"SystemCallFilter", "SystemCallArchitectures", "CapabilityBoundingSet", "NoNewPrivileges", "IPAddressDeny", "DynamicUser"}

// minSandbox is how many of them make a maintainer's sandbox.
const minSandbox = 8

// OwnDropin is the name of the drop-in systemd-harden writes (the
// Contracts' "Drop-in name and place"; plan.DropinName, which this
// package cannot import): what it sets is no maintainer's sandbox.
const OwnDropin = "10-systemd-harden.conf"

func maintainerSandboxed(c *ctx) []finding.Evidence {
	last := map[string]assign{}
	for _, f := range c.unit.Files {
		if path.Base(f.Path) == OwnDropin {
			continue
		}
		for _, a := range f.Assignments {
			if a.Section == "Service" {
				if strings.TrimSpace(a.Value) == "" {
					delete(last, a.Key)
				} else {
					last[a.Key] = assign{file: f.Path, a: a}
				}
			}
		}
	}
	var out []finding.Evidence
	for _, k := range sandboxSettings {
		if a, ok := last[k]; ok {
			out = append(out, a.evidence())
		}
	}
	if len(out) < minSandbox {
		return nil
	}
	return out
}

func sharedUser(c *ctx) []finding.Evidence {
	if RunsAsRoot(c.info) {
		return nil
	}
	mine, ok := c.last(c.unit, "Service", "User")
	if !ok {
		return nil
	}
	user := strings.TrimSpace(c.expand(mine.a.Value))
	if user != c.info.User || strings.Contains(user, "%") {
		return nil
	}
	var out []finding.Evidence
	for _, u := range c.in.Units {
		if u == nil || u == c.unit || u.Path == c.unit.Path || u.ID == c.unit.ID {
			continue
		}
		a, ok := c.last(u, "Service", "User")
		if !ok || strings.TrimSpace(a.a.Value) != user {
			continue
		}
		out = append(out, a.evidence())
	}
	if len(out) == 0 {
		return nil
	}
	return append([]finding.Evidence{mine.evidence()}, out...)
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func ownerOf(name string, id int) string {
	switch {
	case name != "":
		return name
	case id >= 0:
		return strconv.Itoa(id)
	}
	return "?"
}

// lsMode renders a file mode as ls -l does ("-rwsr-xr-x").
func lsMode(m os.FileMode) string {
	b := []byte("-rwxrwxrwx")
	if m.IsDir() {
		b[0] = 'd'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	set := func(pos int, bit os.FileMode, on, off byte) {
		if m&bit == 0 {
			return
		}
		if b[pos] == 'x' {
			b[pos] = on
		} else {
			b[pos] = off
		}
	}
	set(3, os.ModeSetuid, 's', 'S')
	set(6, os.ModeSetgid, 's', 'S')
	set(9, os.ModeSticky, 't', 'T')
	return string(b)
}

// singleService reports whether the package ships only one service unit
// (the one being hardened), so that package-wide files speak for it.
func (c *ctx) singleService() bool {
	n := 0
	for _, u := range c.in.Units {
		if strings.HasSuffix(u.Requested, ".service") && u.AliasOf == "" {
			n++
		}
	}
	return n <= 1
}
