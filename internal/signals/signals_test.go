package signals_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/signals"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

const fooUnit = unitDir + "foo.service"

// ev is a shorthand for evidence.
func ev(path string, line int, text string) *finding.Evidence {
	return &finding.Evidence{Path: path, Line: line, Text: text}
}

func TestSignals(t *testing.T) {
	ctl := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	unit := func(s string) map[string]string { return map[string]string{"foo.service": s} }
	postinst := func(text string) []pkgmodel.Script {
		return []pkgmodel.Script{{Name: "postinst", Interpreter: "/bin/sh", Text: text}}
	}
	tests := []struct {
		name   string
		fx     fixture
		signal string
		want   *finding.Evidence // nil: the signal must not fire
	}{
		// early-boot
		{"early-boot", fixture{files: unit("[Unit]\nDefaultDependencies=no\n" + defaultUnit)}, "early-boot", ev(fooUnit, 2, "DefaultDependencies=no")},
		{"early-boot drop-in wins", fixture{files: map[string]string{
			"foo.service":          "[Unit]\nDefaultDependencies=yes\n" + defaultUnit,
			"foo.service.d/x.conf": "[Unit]\nDefaultDependencies=false\n"}}, "early-boot", ev(unitDir+"foo.service.d/x.conf", 2, "DefaultDependencies=false")},
		{"early-boot default deps", fixture{files: unit("[Unit]\nDefaultDependencies=yes\n" + defaultUnit)}, "early-boot", nil},

		// setuid-helper
		{"setuid file", fixture{entries: []pkgmodel.Entry{file("/usr/lib/foo/helper", fs.ModeSetuid|0o755, "root")}}, "setuid-helper", ev("/usr/lib/foo/helper", 0, "-rwsr-xr-x root/root /usr/lib/foo/helper")},
		{"setgid file", fixture{entries: []pkgmodel.Entry{file("/usr/sbin/foodrop", fs.ModeSetgid|0o555, "root")}}, "setuid-helper", ev("/usr/sbin/foodrop", 0, "-r-xr-sr-x root/root /usr/sbin/foodrop")},
		{"setgid directory is no helper", fixture{entries: []pkgmodel.Entry{{Path: "/var/spool/foo", Type: tree.Dir, Mode: fs.ModeDir | fs.ModeSetgid | 0o775}}}, "setuid-helper", nil},
		{"depends on an MTA", fixture{control: ctl("Depends", "libc6 (>= 2.34), default-mta | mail-transport-agent")}, "setuid-helper", ev("DEBIAN/control", 0, "Depends: default-mta | mail-transport-agent")},
		{"recommends exim", fixture{control: ctl("Recommends", "exim4-daemon-light")}, "setuid-helper", ev("DEBIAN/control", 0, "Recommends: exim4-daemon-light")},
		{"suggests is no signal", fixture{control: ctl("Suggests", "postfix")}, "setuid-helper", nil},
		{"rpm requires sendmail", fixture{format: pkgmodel.RPM, control: ctl("Requires", "/bin/sh, /usr/sbin/sendmail, libc.so.6()(64bit)")}, "setuid-helper", ev("header", 0, "Requires: /usr/sbin/sendmail")},
		{"staging dir has no dependencies", fixture{format: pkgmodel.Dir, control: ctl("Depends", "postfix")}, "setuid-helper", nil},
		{"exec pipes to mail", fixture{files: unit(svc("ExecStartPost=/bin/sh -c 'echo started | mail -s foo root'"))}, "setuid-helper", ev(fooUnit, 3, "ExecStartPost=/bin/sh -c 'echo started | mail -s foo root'")},
		{"exec names sendmail path", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --mailer=/usr/sbin/sendmail\n")}, "setuid-helper", ev(fooUnit, 2, "ExecStart=/usr/sbin/food --mailer=/usr/sbin/sendmail")},
		{"exec sudo wrapper", fixture{files: unit(svc("ExecReload=/usr/bin/sudo -u foo /usr/bin/foo-reload"))}, "setuid-helper", ev(fooUnit, 3, "ExecReload=/usr/bin/sudo -u foo /usr/bin/foo-reload")},
		{"mail as an argument is no signal", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --facility mail --log /var/log/mail\n")}, "setuid-helper", nil},
		{"statoverride setgid", fixture{scripts: postinst("#!/bin/sh\nset -e\ndpkg-statoverride --update --add root postdrop 02555 /usr/sbin/postdrop\n")}, "setuid-helper", ev("DEBIAN/postinst", 3, "dpkg-statoverride --update --add root postdrop 02555 /usr/sbin/postdrop")},
		{"chmod u+s", fixture{scripts: postinst("#!/bin/sh\nchmod u+s $PINGER\n")}, "setuid-helper", ev("DEBIAN/postinst", 2, "chmod u+s $PINGER")},
		{"statoverride plain mode", fixture{scripts: postinst("dpkg-statoverride --update --add foo foo 0640 /etc/foo.conf\n")}, "setuid-helper", nil},
		{"chmod setgid state dir", fixture{scripts: postinst("chmod 02700 /var/lib/foo\n")}, "setuid-helper", nil},

		// setuid-helper-nnp / -root
		{"nnp under User=", fixture{files: unit(svc("User=foo")), entries: []pkgmodel.Entry{file("/usr/bin/foo-helper", fs.ModeSetuid|0o755, "root")}}, "setuid-helper-nnp", ev(fooUnit, 3, "User=foo")},
		{"nnp not for root", fixture{entries: []pkgmodel.Entry{file("/usr/bin/foo-helper", fs.ModeSetuid|0o755, "root")}}, "setuid-helper-nnp", nil},
		{"root variant", fixture{entries: []pkgmodel.Entry{file("/usr/bin/foo-helper", fs.ModeSetuid|0o755, "root")}}, "setuid-helper-root", ev("/usr/bin/foo-helper", 0, "-rwsr-xr-x root/root /usr/bin/foo-helper")},
		{"nnp for root without CAP_SYS_ADMIN", fixture{files: unit(svc("CapabilityBoundingSet=~CAP_SYS_ADMIN")), entries: []pkgmodel.Entry{file("/usr/bin/foo-helper", fs.ModeSetuid|0o755, "root")}}, "setuid-helper-nnp", ev("/usr/bin/foo-helper", 0, "-rwsr-xr-x root/root /usr/bin/foo-helper")},
		{"nnp under DynamicUser=", fixture{files: unit(svc("DynamicUser=yes")), control: ctl("Depends", "nullmailer")}, "setuid-helper-nnp", ev(fooUnit, 3, "DynamicUser=yes")},
		{"ambient CAP_SYS_ADMIN keeps setuid", fixture{files: unit(svc("User=foo", "AmbientCapabilities=CAP_SYS_ADMIN")), control: ctl("Depends", "msmtp-mta")}, "setuid-helper-root", ev("DEBIAN/control", 0, "Depends: msmtp-mta")},
		{"no helper, no nnp", fixture{files: unit(svc("User=foo"))}, "setuid-helper-nnp", nil},

		// jit-runtime
		{"pcre2", fixture{control: ctl("Depends", "libc6 (>= 2.34), libpcre2-8-0 (>= 10.22)")}, "jit-runtime", ev("DEBIAN/control", 0, "Depends: libpcre2-8-0 (>= 10.22)")},
		{"jre alternatives", fixture{control: ctl("Depends", "default-jre-headless | java17-runtime-headless")}, "jit-runtime", ev("DEBIAN/control", 0, "Depends: default-jre-headless | java17-runtime-headless")},
		{"rpm pcre2 soname", fixture{format: pkgmodel.RPM, control: ctl("Requires", "libpcre2-8.so.0()(64bit), libc.so.6()(64bit)")}, "jit-runtime", ev("header", 0, "Requires: libpcre2-8.so.0()(64bit)")},
		{"exec java", fixture{files: unit("[Service]\nExecStart=/usr/bin/java -jar /usr/share/foo/foo.jar\n")}, "jit-runtime", ev(fooUnit, 2, "ExecStart=/usr/bin/java -jar /usr/share/foo/foo.jar")},
		{"exec env node", fixture{files: unit("[Service]\nExecStart=/usr/bin/env NODE_ENV=production node /usr/lib/foo/main.js\n")}, "jit-runtime", ev(fooUnit, 2, "ExecStart=/usr/bin/env NODE_ENV=production node /usr/lib/foo/main.js")},
		{"pcre2-16 is no jit", fixture{control: ctl("Depends", "libpcre2-16-0, libjavascriptcoregtk-4.1-0")}, "jit-runtime", nil},

		// device-user
		{"DeviceAllow", fixture{files: unit(svc("DeviceAllow=/dev/ttyS0 rw"))}, "device-user", ev(fooUnit, 3, "DeviceAllow=/dev/ttyS0 rw")},
		{"DevicePolicy alone", fixture{files: unit(svc("DevicePolicy=closed"))}, "device-user", nil},
		{"DeviceAllow reset", fixture{files: map[string]string{"foo.service": svc("DeviceAllow=/dev/ttyS0 rw"), "foo.service.d/x.conf": "[Service]\nDeviceAllow=\n"}}, "device-user", nil},
		{"TTYPath", fixture{files: unit(svc("TTYPath=/dev/tty9"))}, "device-user", ev(fooUnit, 3, "TTYPath=/dev/tty9")},
		{"StandardInput tty", fixture{files: unit(svc("StandardInput=tty-force"))}, "device-user", ev(fooUnit, 3, "StandardInput=tty-force")},
		{"udev rules", fixture{entries: []pkgmodel.Entry{file("/lib/udev/rules.d/60-foo.rules", 0o644, "root")}}, "device-user", ev("/lib/udev/rules.d/60-foo.rules", 0, "udev rules")},
		{"udev rules in a staging tree", fixture{format: pkgmodel.Dir, entries: []pkgmodel.Entry{{Path: "/usr/lib/udev/rules.d/60-foo.rules", Type: tree.Regular, Mode: 0o644, UID: -1, GID: -1}}}, "device-user", ev("/usr/lib/udev/rules.d/60-foo.rules", 0, "udev rules")},
		{"exec serial port", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food -n /dev/ttyUSB0\n")}, "device-user", ev(fooUnit, 2, "ExecStart=/usr/sbin/food -n /dev/ttyUSB0")},
		{"environment file device", fixture{files: map[string]string{"foo.service": svc("EnvironmentFile=-/etc/default/foo"), "/etc/default/foo": "# devices\nDEVICES=\"/dev/ttyACM0\"\n"}}, "device-user", ev("/etc/default/foo", 2, `DEVICES="/dev/ttyACM0"`)},
		{"dev null is no device", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --log /dev/null\n")}, "device-user", nil},

		// home-writer
		{"provides MTA", fixture{control: ctl("Provides", "mail-transport-agent, default-mta")}, "home-writer", ev("DEBIAN/control", 0, "Provides: mail-transport-agent")},
		{"depends procmail", fixture{control: ctl("Depends", "procmail")}, "home-writer", ev("DEBIAN/control", 0, "Depends: procmail")},
		{"is samba", fixture{name: "samba"}, "home-writer", ev("DEBIAN/control", 0, "Package: samba")},
		{"ReadWritePaths home", fixture{files: unit(svc("ReadWritePaths=-/var/lib/foo -/home"))}, "home-writer", ev(fooUnit, 3, "ReadWritePaths=-/var/lib/foo -/home")},
		{"ReadWritePaths homes", fixture{files: unit(svc("ReadWritePaths=/srv/homes"))}, "home-writer", nil},

		// home-reader
		{"provides ssh-server", fixture{control: ctl("Provides", "ssh-server")}, "home-reader", ev("DEBIAN/control", 0, "Provides: ssh-server")},
		{"provides httpd", fixture{control: ctl("Provides", "httpd, httpd-cgi")}, "home-reader", ev("DEBIAN/control", 0, "Provides: httpd")},
		{"exec sshd", fixture{files: unit("[Service]\nExecStart=/usr/sbin/sshd -D\n")}, "home-reader", ev(fooUnit, 2, "ExecStart=/usr/sbin/sshd -D")},
		{"no home reader", fixture{control: ctl("Provides", "httpd-foo")}, "home-reader", nil},

		// realtime-user
		{"SCHED_RR", fixture{files: unit(svc("CPUSchedulingPolicy=rr"))}, "realtime-user", ev(fooUnit, 3, "CPUSchedulingPolicy=rr")},
		{"LimitRTPRIO", fixture{files: unit(svc("LimitRTPRIO=50"))}, "realtime-user", ev(fooUnit, 3, "LimitRTPRIO=50")},
		{"LimitRTPRIO zero", fixture{files: unit(svc("LimitRTPRIO=0"))}, "realtime-user", nil},
		{"SCHED_BATCH", fixture{files: unit(svc("CPUSchedulingPolicy=batch"))}, "realtime-user", nil},
		{"jack", fixture{control: ctl("Depends", "libjack-jackd2-0 (>= 1.9.10+20150825) | libjack-0.125")}, "realtime-user", ev("DEBIAN/control", 0, "Depends: libjack-jackd2-0 (>= 1.9.10+20150825) | libjack-0.125")},

		// foreign-abi
		{"qemu static", fixture{files: unit("[Service]\nExecStart=/usr/bin/qemu-arm-static /opt/foo/food\n")}, "foreign-abi", ev(fooUnit, 2, "ExecStart=/usr/bin/qemu-arm-static /opt/foo/food")},
		{"wine dependency", fixture{control: ctl("Depends", "wine64 | wine64-bookworm")}, "foreign-abi", ev("DEBIAN/control", 0, "Depends: wine64 | wine64-bookworm")},
		{"qemu system", fixture{files: unit("[Service]\nExecStart=/usr/bin/qemu-system-x86_64 -nographic\n")}, "foreign-abi", nil},

		// shared-tmp
		{"exec tmp socket", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --socket=/tmp/food.sock\n")}, "shared-tmp", ev(fooUnit, 2, "ExecStart=/usr/sbin/food --socket=/tmp/food.sock")},
		{"environment var tmp", fixture{files: unit(svc("Environment=SPOOL=/var/tmp/foo"))}, "shared-tmp", ev(fooUnit, 3, "Environment=SPOOL=/var/tmp/foo")},
		{"tmpfiles tmp", fixture{files: map[string]string{"/usr/lib/tmpfiles.d/foo.conf": "# comment\nD! /tmp/.foo-unix 1777 root root 10d\n"}}, "shared-tmp", ev("/usr/lib/tmpfiles.d/foo.conf", 2, "D! /tmp/.foo-unix 1777 root root 10d")},
		{"socket in tmp", fixture{files: map[string]string{"foo.service": defaultUnit, "foo.socket": "[Socket]\nListenStream=/tmp/foo.sock\n"}}, "shared-tmp", ev(unitDir+"foo.socket", 2, "ListenStream=/tmp/foo.sock")},
		{"other socket in tmp", fixture{files: map[string]string{"foo.service": defaultUnit, "bar.socket": "[Socket]\nListenStream=/tmp/bar.sock\n"}}, "shared-tmp", nil},
		{"tmp itself", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --tmpdir=/tmp\n")}, "shared-tmp", nil},

		// firewall-tool
		{"is fail2ban", fixture{name: "fail2ban"}, "firewall-tool", ev("DEBIAN/control", 0, "Package: fail2ban")},
		{"depends iptables", fixture{control: ctl("Depends", "iptables, python3")}, "firewall-tool", ev("DEBIAN/control", 0, "Depends: iptables")},
		{"exec iptables-restore", fixture{files: unit(svc("ExecStartPre=/sbin/iptables-restore /etc/foo/rules"))}, "firewall-tool", ev(fooUnit, 3, "ExecStartPre=/sbin/iptables-restore /etc/foo/rules")},
		{"exec ip link", fixture{files: unit(svc("ExecStartPre=/sbin/ip link set foo0 up"))}, "firewall-tool", nil},

		// sysctl-writer
		{"sysctl -w", fixture{files: unit(svc("ExecStartPre=/sbin/sysctl -w net.ipv4.ip_forward=1"))}, "sysctl-writer", ev(fooUnit, 3, "ExecStartPre=/sbin/sysctl -w net.ipv4.ip_forward=1")},
		{"echo into proc sys", fixture{files: unit(svc("ExecStartPre=/bin/sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'"))}, "sysctl-writer", ev(fooUnit, 3, "ExecStartPre=/bin/sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'")},
		{"tee into sys", fixture{files: unit(svc("ExecStartPre=/bin/sh -c 'echo 0 | tee /sys/module/foo/parameters/x'"))}, "sysctl-writer", ev(fooUnit, 3, "ExecStartPre=/bin/sh -c 'echo 0 | tee /sys/module/foo/parameters/x'")},
		{"sysctl outside the sandbox", fixture{files: unit(svc("ExecStartPre=+/sbin/sysctl -w net.ipv4.ip_forward=1"))}, "sysctl-writer", nil},
		{"sysctl read", fixture{files: unit(svc("ExecStartPre=/sbin/sysctl -n kernel.hostname"))}, "sysctl-writer", nil},

		// module-loader
		{"modprobe", fixture{files: unit(svc("ExecStartPre=-/sbin/modprobe -q foo"))}, "module-loader", ev(fooUnit, 3, "ExecStartPre=-/sbin/modprobe -q foo")},
		{"CAP_SYS_MODULE bounding", fixture{files: unit(svc("CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_MODULE"))}, "module-loader", ev(fooUnit, 3, "CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_MODULE")},
		{"CAP_SYS_MODULE ambient", fixture{files: unit(svc("User=foo", "AmbientCapabilities=CAP_SYS_MODULE"))}, "module-loader", ev(fooUnit, 4, "AmbientCapabilities=CAP_SYS_MODULE")},
		{"CAP_SYS_MODULE dropped", fixture{files: unit(svc("CapabilityBoundingSet=~CAP_SYS_MODULE"))}, "module-loader", nil},
		{"CAP_SYS_MODULE removed later", fixture{files: unit(svc("CapabilityBoundingSet=CAP_SYS_MODULE", "CapabilityBoundingSet=", "CapabilityBoundingSet=CAP_NET_ADMIN"))}, "module-loader", nil},

		// kernel-log-reader
		{"system log daemon", fixture{control: ctl("Provides", "linux-kernel-log-daemon, system-log-daemon")}, "kernel-log-reader", ev("DEBIAN/control", 0, "Provides: linux-kernel-log-daemon")},
		{"dmesg", fixture{files: unit("[Service]\nExecStart=/bin/dmesg --follow\n")}, "kernel-log-reader", ev(fooUnit, 2, "ExecStart=/bin/dmesg --follow")},
		{"kmsg", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --kernel=/proc/kmsg\n")}, "kernel-log-reader", ev(fooUnit, 2, "ExecStart=/usr/sbin/food --kernel=/proc/kmsg")},
		{"CAP_SYSLOG", fixture{files: unit(svc("CapabilityBoundingSet=CAP_SYSLOG CAP_SETUID"))}, "kernel-log-reader", ev(fooUnit, 3, "CapabilityBoundingSet=CAP_SYSLOG CAP_SETUID")},
		{"no kernel log", fixture{}, "kernel-log-reader", nil},

		// cgroup-manager
		{"Delegate=yes", fixture{files: unit(svc("Delegate=yes"))}, "cgroup-manager", ev(fooUnit, 3, "Delegate=yes")},
		{"Delegate controllers", fixture{files: unit(svc("Delegate=cpu memory"))}, "cgroup-manager", ev(fooUnit, 3, "Delegate=cpu memory")},
		{"Delegate=no", fixture{files: unit(svc("Delegate=no"))}, "cgroup-manager", nil},
		{"depends containerd", fixture{control: ctl("Depends", "containerd (>= 1.4), runc")}, "cgroup-manager", ev("DEBIAN/control", 0, "Depends: containerd (>= 1.4)")},

		// clock-setter
		{"time daemon", fixture{control: ctl("Provides", "time-daemon")}, "clock-setter", ev("DEBIAN/control", 0, "Provides: time-daemon")},
		{"hwclock", fixture{files: unit(svc("ExecStop=/sbin/hwclock --systohc"))}, "clock-setter", ev(fooUnit, 3, "ExecStop=/sbin/hwclock --systohc")},
		{"CAP_SYS_TIME", fixture{files: unit(svc("User=foo", "AmbientCapabilities=CAP_SYS_TIME"))}, "clock-setter", ev(fooUnit, 4, "AmbientCapabilities=CAP_SYS_TIME")},
		{"no clock", fixture{files: unit(svc("ExecStartPre=/bin/date"))}, "clock-setter", nil},

		// hostname-setter
		{"hostname -F", fixture{files: unit(svc("ExecStartPre=/bin/hostname -F /etc/hostname"))}, "hostname-setter", ev(fooUnit, 3, "ExecStartPre=/bin/hostname -F /etc/hostname")},
		{"hostnamectl", fixture{files: unit(svc("ExecStartPre=/usr/bin/hostnamectl set-hostname foo"))}, "hostname-setter", ev(fooUnit, 3, "ExecStartPre=/usr/bin/hostnamectl set-hostname foo")},
		{"hostname read", fixture{files: unit(svc("ExecStartPre=/bin/sh -c 'echo $(hostname -f) > /run/foo/name'"))}, "hostname-setter", nil},
		{"hostnamectl status", fixture{files: unit(svc("ExecStartPre=/usr/bin/hostnamectl hostname"))}, "hostname-setter", nil},

		// package-manager
		{"is unattended-upgrades", fixture{name: "unattended-upgrades"}, "package-manager", ev("DEBIAN/control", 0, "Package: unattended-upgrades")},
		{"apt-get upgrade", fixture{files: unit("[Service]\nExecStart=/usr/bin/apt-get -y upgrade\n")}, "package-manager", ev(fooUnit, 2, "ExecStart=/usr/bin/apt-get -y upgrade")},
		{"dpkg query", fixture{files: unit(svc("ExecStartPre=/bin/sh -c 'test $(dpkg --print-architecture) = amd64'"))}, "package-manager", nil},
		{"fwupd", fixture{name: "fwupd"}, "package-manager", nil},

		// namespace-creator
		{"depends bubblewrap", fixture{control: ctl("Depends", "bubblewrap")}, "namespace-creator", ev("DEBIAN/control", 0, "Depends: bubblewrap")},
		{"unshare", fixture{files: unit("[Service]\nExecStart=/usr/bin/unshare -n /usr/sbin/food\n")}, "namespace-creator", ev(fooUnit, 2, "ExecStart=/usr/bin/unshare -n /usr/sbin/food")},
		{"ip netns", fixture{files: unit(svc("ExecStartPre=/sbin/ip netns add foo"))}, "namespace-creator", ev(fooUnit, 3, "ExecStartPre=/sbin/ip netns add foo")},
		{"ip link", fixture{files: unit(svc("ExecStartPre=/sbin/ip link set foo0 up"))}, "namespace-creator", nil},

		// mounts-filesystems
		{"depends fuse3", fixture{control: ctl("Depends", "fuse3, libfuse3-3 (>= 3.2)")}, "mounts-filesystems", ev("DEBIAN/control", 0, "Depends: fuse3")},
		{"mount", fixture{files: unit(svc("ExecStartPre=/bin/mount -t tmpfs none /srv/foo"))}, "mounts-filesystems", ev(fooUnit, 3, "ExecStartPre=/bin/mount -t tmpfs none /srv/foo")},
		{"mount.nfs", fixture{files: unit(svc("ExecStop=/sbin/umount.nfs /srv/foo"))}, "mounts-filesystems", ev(fooUnit, 3, "ExecStop=/sbin/umount.nfs /srv/foo")},
		{"rpc.mountd is no mount", fixture{files: unit("[Service]\nExecStart=/usr/sbin/rpc.mountd --foreground\n")}, "mounts-filesystems", nil},

		// packet-sockets
		{"libpcap", fixture{control: ctl("Depends", "libc6, libpcap0.8 (>= 1.5.1)")}, "packet-sockets", ev("DEBIAN/control", 0, "Depends: libpcap0.8 (>= 1.5.1)")},
		{"is dnsmasq", fixture{name: "dnsmasq"}, "packet-sockets", ev("DEBIAN/control", 0, "Package: dnsmasq")},
		{"CAP_NET_RAW", fixture{files: unit(svc("User=foo", "AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE"))}, "packet-sockets", ev(fooUnit, 4, "AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE")},
		{"AF_PACKET allowed", fixture{files: unit(svc("RestrictAddressFamilies=AF_INET AF_PACKET"))}, "packet-sockets", ev(fooUnit, 3, "RestrictAddressFamilies=AF_INET AF_PACKET")},
		{"AF_PACKET denied", fixture{files: unit(svc("RestrictAddressFamilies=~AF_PACKET"))}, "packet-sockets", nil},

		// capability-user
		{"setcap", fixture{scripts: postinst("#!/bin/sh\nset -e\nif command -v setcap >/dev/null; then\n  setcap cap_net_raw+ep /usr/bin/foo-ping\nfi\n")}, "capability-user", ev("DEBIAN/postinst", 4, "setcap cap_net_raw+ep /usr/bin/foo-ping")},
		{"rpm setcap", fixture{format: pkgmodel.RPM, scripts: []pkgmodel.Script{{Name: "%post", Text: "/usr/sbin/setcap cap_net_admin+ep /usr/bin/food || :"}}}, "capability-user", ev("%post", 1, "/usr/sbin/setcap cap_net_admin+ep /usr/bin/food || :")},
		{"setcap probe only", fixture{scripts: postinst("if command -v setcap >/dev/null; then :; fi\n")}, "capability-user", nil},
		{"ping", fixture{files: unit(svc("ExecStartPre=/bin/ping -c1 -W1 gateway"))}, "capability-user", ev(fooUnit, 3, "ExecStartPre=/bin/ping -c1 -W1 gateway")},

		// process-scanner
		{"pkill", fixture{files: unit(svc("ExecStop=/usr/bin/pkill -f food"))}, "process-scanner", ev(fooUnit, 3, "ExecStop=/usr/bin/pkill -f food")},
		{"pidof in a shell", fixture{files: unit(svc("ExecReload=/bin/sh -c 'kill -HUP $(pidof food)'"))}, "process-scanner", ev(fooUnit, 3, "ExecReload=/bin/sh -c 'kill -HUP $(pidof food)'")},
		{"ps", fixture{files: unit(svc("ExecStartPre=/bin/sh -c 'ps ax | grep -q [f]ood && exit 1 || true'"))}, "process-scanner", ev(fooUnit, 3, "ExecStartPre=/bin/sh -c 'ps ax | grep -q [f]ood && exit 1 || true'")},
		{"start-stop-daemon by name", fixture{files: unit(svc("ExecStop=/sbin/start-stop-daemon --stop --name food"))}, "process-scanner", ev(fooUnit, 3, "ExecStop=/sbin/start-stop-daemon --stop --name food")},
		{"start-stop-daemon by pid file", fixture{files: unit(svc("ExecStop=/sbin/start-stop-daemon --stop --pidfile /run/food.pid"))}, "process-scanner", nil},
		{"ps as an argument", fixture{files: unit("[Service]\nExecStart=/usr/sbin/food --mode ps\n")}, "process-scanner", nil},

		// session-host: what the daemon starts inherits its sandbox
		// (the boot harness: an @reboot cron job could not write /var/tmp).
		{"provides cron-daemon", fixture{control: ctl("Provides", "cron-daemon")}, "session-host", ev("DEBIAN/control", 0, "Provides: cron-daemon")},
		{"provides ssh-server", fixture{control: ctl("Provides", "ssh-server")}, "session-host", ev("DEBIAN/control", 0, "Provides: ssh-server")},
		{"is at", fixture{name: "at"}, "session-host", ev("DEBIAN/control", 0, "Package: at")},
		{"rpm cronie", fixture{format: pkgmodel.RPM, name: "cronie"}, "session-host", ev("header", 0, "Name: cronie")},
		{"getty", fixture{files: unit("[Service]\nExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM\n")}, "session-host", ev(fooUnit, 2, "ExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM")},
		{"crond", fixture{files: unit("[Service]\nExecStart=/usr/sbin/crond -n $CRONDARGS\n")}, "session-host", ev(fooUnit, 2, "ExecStart=/usr/sbin/crond -n $CRONDARGS")},
		{"PAMName", fixture{files: unit(svc("PAMName=systemd-user"))}, "session-host", ev(fooUnit, 3, "PAMName=systemd-user")},
		{"display manager", fixture{control: ctl("Provides", "x-display-manager")}, "session-host", ev("DEBIAN/control", 0, "Provides: x-display-manager")},
		{"supervisord", fixture{files: unit("[Service]\nExecStart=/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf\n")}, "session-host", ev(fooUnit, 2, "ExecStart=/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf")},
		{"provides httpd is no session host", fixture{control: ctl("Provides", "httpd")}, "session-host", nil},
		{"cron as an argument", fixture{files: unit("[Service]\nExecStart=/usr/bin/foo --schedule cron\n")}, "session-host", nil},
		{"supervisord run by python3", fixture{files: unit("[Service]\nExecStart=/usr/bin/python3 /usr/bin/supervisord -n\n")}, "session-host", ev(fooUnit, 2, "ExecStart=/usr/bin/python3 /usr/bin/supervisord -n")},
		{"fstrim behind systemd-inhibit", fixture{files: unit("[Service]\nExecStart=/usr/bin/systemd-inhibit --what=sleep /sbin/fstrim -a\n")}, "storage-admin", ev(fooUnit, 2, "ExecStart=/usr/bin/systemd-inhibit --what=sleep /sbin/fstrim -a")},
		{"python -m is no script", fixture{files: unit("[Service]\nExecStart=/usr/bin/python3 -m cron\n")}, "session-host", nil},
		{"a path named cron as an argument", fixture{files: unit("[Service]\nExecStart=/usr/bin/food --helper /usr/lib/foo/cron\n")}, "session-host", nil},

		{"logrotate", fixture{files: unit("[Service]\nType=oneshot\nExecStart=/usr/sbin/logrotate /etc/logrotate.conf\n")}, "session-host", ev(fooUnit, 3, "ExecStart=/usr/sbin/logrotate /etc/logrotate.conf")},
		{"run-parts", fixture{files: unit("[Service]\nExecStart=/bin/run-parts --report /etc/foo.d\n")}, "session-host", ev(fooUnit, 2, "ExecStart=/bin/run-parts --report /etc/foo.d")},

		// storage-admin
		{"e2scrub_all", fixture{files: unit("[Service]\nExecStart=/sbin/e2scrub_all -A -r\n")}, "storage-admin", ev(fooUnit, 2, "ExecStart=/sbin/e2scrub_all -A -r")},
		{"fstrim", fixture{files: unit("[Service]\nExecStart=/sbin/fstrim --listed-in /etc/fstab:/proc/self/mountinfo --verbose --quiet-unsupported\n")}, "storage-admin", ev(fooUnit, 2, "ExecStart=/sbin/fstrim --listed-in /etc/fstab:/proc/self/mountinfo --verbose --quiet-unsupported")},
		{"is lvm2", fixture{name: "lvm2"}, "storage-admin", ev("DEBIAN/control", 0, "Package: lvm2")},
		{"lvm in a shell", fixture{files: unit(svc("ExecStartPre=/bin/sh -c 'lvchange -ay vg/data || true'"))}, "storage-admin", ev(fooUnit, 3, "ExecStartPre=/bin/sh -c 'lvchange -ay vg/data || true'")},
		{"depends on e2fsprogs is no storage admin", fixture{control: ctl("Depends", "e2fsprogs")}, "storage-admin", nil},
		{"a test for smartctl is no storage admin", fixture{files: unit(svc("ExecStartPre=/usr/bin/test -x /usr/sbin/smartctl"))}, "storage-admin", nil},
		{"btrfsck", fixture{files: unit("[Service]\nExecStart=/bin/btrfsck --readonly /dev/sda2\n")}, "storage-admin", ev(fooUnit, 2, "ExecStart=/bin/btrfsck --readonly /dev/sda2")},

		// network-configurer
		{"wg-quick", fixture{files: unit("[Service]\nType=oneshot\nExecStart=/usr/bin/wg-quick up %i\n")}, "network-configurer", ev(fooUnit, 3, "ExecStart=/usr/bin/wg-quick up %i")},
		{"ip link add", fixture{files: unit(svc("ExecStartPre=/sbin/ip link add br0 type bridge"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip link add br0 type bridge")},
		{"ip query", fixture{files: unit(svc("ExecStartPre=/sbin/ip -brief addr show"))}, "network-configurer", nil},
		{"ip query with up", fixture{files: unit(svc("ExecStartPre=/sbin/ip link show up"))}, "network-configurer", nil},
		{"ip query in a shell loop", fixture{files: unit(svc(`ExecStartPre=/bin/sh -c "until ip -o addr show scope global up | grep -q inet; do sleep 1; done"`))}, "network-configurer", nil},
		{"ip abbreviated", fixture{files: unit(svc("ExecStartPre=/bin/ip r a 10.0.0.0/8 dev eth0"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/bin/ip r a 10.0.0.0/8 dev eth0")},
		{"ip link s", fixture{files: unit(svc("ExecStartPre=/bin/ip l s dev eth1 up"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/bin/ip l s dev eth1 up")},
		{"ip batch", fixture{files: unit(svc("ExecStartPre=/sbin/ip -batch /etc/foo/routes"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip -batch /etc/foo/routes")},
		{"ip --netns", fixture{files: unit(svc("ExecStartPre=/sbin/ip --netns blue addr add 10.1.0.1/24 dev veth0"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip --netns blue addr add 10.1.0.1/24 dev veth0")},
		{"ip -net abbreviated", fixture{files: unit(svc("ExecStartPre=/sbin/ip -net blue link set veth0 up"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip -net blue link set veth0 up")},
		{"ip li s", fixture{files: unit(svc("ExecStartPre=/sbin/ip li s dev eth0 up"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip li s dev eth0 up")},
		{"ip mptcp endpoint add", fixture{files: unit(svc("ExecStartPre=/sbin/ip mptcp endpoint add 10.0.0.2 dev eth1 subflow"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip mptcp endpoint add 10.0.0.2 dev eth1 subflow")},
		{"ip mptcp endpoint show", fixture{files: unit(svc("ExecStartPre=/sbin/ip mptcp endpoint show"))}, "network-configurer", nil},
		{"ip addr s", fixture{files: unit(svc("ExecStartPre=/sbin/ip addr s dev eth0"))}, "network-configurer", nil},
		{"ip netns exec ip", fixture{files: unit(svc("ExecStartPre=/sbin/ip netns exec blue ip link set lo up"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip netns exec blue ip link set lo up")},
		{"ip in a netns", fixture{files: unit(svc("ExecStartPre=/sbin/ip -n blue addr add 10.1.0.1/24 dev veth0"))}, "network-configurer", ev(fooUnit, 3, "ExecStartPre=/sbin/ip -n blue addr add 10.1.0.1/24 dev veth0")},
		{"CAP_NET_ADMIN", fixture{files: unit(svc("User=foo", "AmbientCapabilities=CAP_NET_ADMIN"))}, "network-configurer", ev(fooUnit, 4, "AmbientCapabilities=CAP_NET_ADMIN")},
		{"is ifupdown", fixture{name: "ifupdown"}, "network-configurer", ev("DEBIAN/control", 0, "Package: ifupdown")},

		// maintainer-sandboxed
		{"eight sandbox settings", fixture{files: unit(svc("ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes", "ProtectKernelTunables=yes", "ProtectControlGroups=yes", "RestrictRealtime=yes"))}, "maintainer-sandboxed", ev(fooUnit, 3, "ProtectSystem=strict")},
		{"our own drop-in is no sandbox", fixture{files: map[string]string{"foo.service": defaultUnit,
			"foo.service.d/10-systemd-harden.conf": "[Service]\nProtectSystem=full\nProtectHome=read-only\nPrivateTmp=yes\nPrivateDevices=yes\nProtectKernelTunables=yes\nProtectControlGroups=yes\nRestrictRealtime=yes\nLockPersonality=yes\n"}}, "maintainer-sandboxed", nil},
		{"seven are not a sandbox", fixture{files: unit(svc("ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes", "ProtectKernelTunables=yes", "ProtectControlGroups=yes"))}, "maintainer-sandboxed", nil},

		// shared-user
		{"shared user", fixture{files: map[string]string{"foo.service": svc("User=foo"), "foo-gc.service": "[Service]\nExecStart=/usr/sbin/foo-gc\nUser=foo\n"}}, "shared-user", ev(unitDir+"foo-gc.service", 3, "User=foo")},
		{"own user", fixture{files: map[string]string{"foo.service": svc("User=foo"), "foo-gc.service": "[Service]\nExecStart=/usr/sbin/foo-gc\nUser=foo-gc\n"}}, "shared-user", nil},
		{"both root", fixture{files: map[string]string{"foo.service": svc("User=root"), "foo-gc.service": "[Service]\nExecStart=/usr/sbin/foo-gc\nUser=root\n"}}, "shared-user", nil},
	}
	for _, tc := range tests {
		t.Run(tc.signal+"/"+tc.name, func(t *testing.T) {
			r := tc.fx.eval(t)
			s := r.Fired[tc.signal]
			if tc.want == nil {
				if s != nil {
					t.Fatalf("%s fired: %v", tc.signal, s.Evidence)
				}
				return
			}
			if s == nil {
				t.Fatalf("%s did not fire (fired: %v)", tc.signal, r.Names())
			}
			if s.Name != tc.signal {
				t.Errorf("Name = %q", s.Name)
			}
			for _, e := range s.Evidence {
				if e == *tc.want {
					return
				}
			}
			t.Errorf("%s evidence %q lacks %q", tc.signal, s.Evidence, *tc.want)
		})
	}
}

// TestSharedUserEvidence checks that shared-user names both assignments.
func TestSharedUserEvidence(t *testing.T) {
	r := fixture{files: map[string]string{"foo.service": svc("User=foo"), "foo-gc.service": "[Service]\nExecStart=/usr/sbin/foo-gc\nUser=foo\n"}}.eval(t)
	s := r.Fired["shared-user"]
	if s == nil {
		t.Fatal("shared-user did not fire")
	}
	want := []finding.Evidence{*ev(fooUnit, 3, "User=foo"), *ev(unitDir+"foo-gc.service", 3, "User=foo")}
	if fmt.Sprint(s.Evidence) != fmt.Sprint(want) {
		t.Errorf("evidence = %v, want %v", s.Evidence, want)
	}
}

// TestQuietService checks that an ordinary daemon fires nothing.
func TestQuietService(t *testing.T) {
	r := fixture{
		control: map[string]string{"Depends": "libc6 (>= 2.34), libssl3 (>= 3.0.0), adduser", "Recommends": "ca-certificates"},
		files: map[string]string{
			"foo.service":      "[Unit]\nDescription=Foo\nAfter=network.target\n[Service]\nType=notify\nUser=foo\nExecStart=/usr/sbin/food --config /etc/foo/foo.conf\nExecReload=/bin/kill -HUP $MAINPID\nRestart=on-failure\n[Install]\nWantedBy=multi-user.target\n",
			"/etc/default/foo": "FOO_OPTS=\"--verbose\"\n",
		},
		scripts: []pkgmodel.Script{{Name: "postinst", Text: "#!/bin/sh\nset -e\nadduser --system --group foo\n"}},
	}.eval(t)
	if len(r.Fired) != 0 {
		t.Errorf("fired %v", r.Names())
	}
}

// TestRules checks the documentation table and that every signal a tier
// names exists.
func TestRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range signals.Rules() {
		if seen[r.Name] {
			t.Errorf("%s listed twice", r.Name)
		}
		seen[r.Name] = true
		if len(r.Doc) < 40 || strings.Contains(r.Doc, "\n") {
			t.Errorf("%s: doc %q is not one paragraph", r.Name, r.Doc)
		}
	}
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range set.Names() {
		tier, _ := set.Get(name)
		for _, d := range tier.Directives {
			for _, s := range d.RuledOutBy {
				if !seen[s] {
					t.Errorf("tier %s, %s: Ruled-Out-By %q is not a signal", name, d.Key, s)
				}
			}
		}
	}
	rs := signals.Rules()
	rs[0].Name = "changed"
	if signals.Rules()[0].Name == "changed" {
		t.Error("Rules() returns the package's own table")
	}
}

func TestRunsAsRoot(t *testing.T) {
	for _, tc := range []struct {
		info *secinfo.Info
		want bool
	}{
		{nil, true},
		{&secinfo.Info{}, true},
		{&secinfo.Info{User: "root"}, true},
		{&secinfo.Info{User: "0"}, true},
		{&secinfo.Info{User: "foo"}, false},
		{&secinfo.Info{DynamicUser: true, User: "root"}, false},
		{&secinfo.Info{DynamicUser: true}, false},
	} {
		if got := signals.RunsAsRoot(tc.info); got != tc.want {
			t.Errorf("RunsAsRoot(%+v) = %v", tc.info, got)
		}
	}
}

// TestEmptyInput checks that missing parts of the input do not panic.
func TestEmptyInput(t *testing.T) {
	r := signals.Evaluate(signals.Input{})
	if len(r.Fired) != 0 || len(r.Writable) != 0 {
		t.Errorf("got %v %v", r.Names(), r.Writable)
	}
}
