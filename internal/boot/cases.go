package boot

import (
	"sort"
	"time"
)

// Case is one (service, tier) check. The control installs the packages as
// Debian ships them; the hardened run replaces the packages in Rewrite with
// the output of `systemd-harden apply --tier Tier`. Both then start Units,
// require them active and run Probe, a shell script whose exit status 0
// means the service does its job.
type Case struct {
	Service    string   // short name, the control is shared by all tiers of a service
	Tier       string   // baseline, strict, dynamic-user
	Install    []string // apt packages installed (with dependencies) in the container
	Rewrite    []string // binary packages whose .deb is rewritten by apply
	Units      []string // units that must be active after the start
	PreInstall string   // shell run before apt-get install (debconf answers)
	Setup      string   // shell run after the install, before the units start
	Probe      string   // shell: exit 0 when the service works
	// Refused: apply is expected to refuse the tier for the units (status
	// "refused", or dynamic-user falling back to strict with a tier-refused
	// finding); the case asserts the refusal and boots nothing.
	Refused bool
	// Unchanged: apply is expected to leave the units without a drop-in
	// under this tier (a session host: its logins and jobs would inherit
	// any sandbox); the case asserts that and boots nothing hardened. A
	// case whose units apply leaves unchanged without this expectation
	// (a maintainer's own sandbox) is reported "unchanged" too, not asserted.
	Unchanged bool
	// BrokenDropin, when set, is written as an extra drop-in for Units[0] in
	// the hardened run only, and the hardened run is expected to FAIL: a
	// negative control proving that the harness can fail.
	BrokenDropin string
	Smoke        bool // part of the smoke subset (make test)
	Timeout      time.Duration
}

// ID names the case in results: service/tier.
func (c Case) ID() string {
	id := c.Service + "/" + c.Tier
	if c.BrokenDropin != "" {
		id += "/broken"
	}
	return id
}

// retry runs a shell condition up to n times, 0.5 s apart.
func retry(n int, cond string) string {
	return "for i in $(seq " + itoa(n) + "); do if " + cond + "; then break; fi; sleep 0.5; done; " + cond
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

type service struct {
	install, rewrite, units []string
	pre, setup, probe       string
	refusedDynamic          bool // dynamic-user is refused for this unit (falls back to strict)
	untouched               bool // every tier leaves the unit as it is (session-host)
}

var services = map[string]service{
	"bind9": {
		// named answers authoritatively for the localhost zone Debian ships,
		// and for a zone file added here (read from /etc/bind).
		install: []string{"bind9"}, rewrite: []string{"bind9"}, units: []string{"named.service"},
		setup: `printf '$TTL 60\n@ IN SOA ns.probe.test. root.probe.test. 1 60 60 60 60\n@ IN NS ns.probe.test.\nns IN A 192.0.2.1\nwww IN A 192.0.2.8\n' > /etc/bind/db.probe.test && printf 'zone "probe.test" { type master; file "/etc/bind/db.probe.test"; };\n' >> /etc/bind/named.conf.local`,
		probe: retry(30, `dig +time=2 +tries=1 +short @127.0.0.1 localhost A | grep -qx 127.0.0.1`) +
			` && dig +time=2 +tries=1 +short @127.0.0.1 www.probe.test A | grep -qx 192.0.2.8`,
		refusedDynamic: true,
	},
	"apache2": {
		install: []string{"apache2"}, rewrite: []string{"apache2"}, units: []string{"apache2.service"},
		setup: `echo apache-probe-page > /var/www/html/probe.html`,
		probe: retry(20, `curl -fsS http://127.0.0.1/probe.html | grep -qx apache-probe-page`) +
			` && curl -fsS -o /dev/null -w '%{http_code}\n' http://127.0.0.1/ | grep -qx 200`,
		refusedDynamic: true,
	},
	"dnsmasq": {
		install: []string{"dnsmasq"}, rewrite: []string{"dnsmasq"}, units: []string{"dnsmasq.service"},
		setup:          `printf 'listen-address=127.0.0.1\nbind-interfaces\nno-resolv\naddress=/probe.test/192.0.2.9\n' > /etc/dnsmasq.d/boot-probe.conf`,
		probe:          retry(20, `dig +time=2 +tries=1 +short @127.0.0.1 www.probe.test A | grep -qx 192.0.2.9`),
		refusedDynamic: true,
	},
	"squid": {
		// The cache manager answers over HTTP, through the proxy port.
		install: []string{"squid"}, rewrite: []string{"squid"}, units: []string{"squid.service"},
		probe:          retry(30, `curl -fsS http://127.0.0.1:3128/squid-internal-mgr/info | grep -q 'Squid Object Cache'`),
		refusedDynamic: true,
	},
	"mariadb-server": {
		install: []string{"mariadb-server"}, rewrite: []string{"mariadb-server"}, units: []string{"mariadb.service"},
		probe: retry(20, `mariadb -N -e 'SELECT 1' | grep -qx 1`) +
			` && mariadb -N -e "CREATE DATABASE bootprobe; CREATE TABLE bootprobe.t (v VARCHAR(20)); INSERT INTO bootprobe.t VALUES ('mariadb-ok'); FLUSH TABLES; SELECT v FROM bootprobe.t" | grep -qx mariadb-ok`,
		refusedDynamic: true,
	},
	"postgresql": {
		install: []string{"postgresql"}, rewrite: []string{"postgresql-common"}, units: []string{"postgresql@15-main.service"},
		probe: retry(20, `runuser -u postgres -- psql -Atc 'SELECT 1' | grep -qx 1`) +
			` && runuser -u postgres -- psql -Atc "CREATE TABLE bootprobe (v text); INSERT INTO bootprobe VALUES ('pg-ok'); CHECKPOINT; SELECT v FROM bootprobe" | grep -qx pg-ok`,
		// Converted, it failed here (systemd chowned /var/lib/postgresql to
		// the transient user; pg_ctlcluster: "the cluster is owned by user
		// id 64774 which does not exist"): now refused.
		refusedDynamic: true,
	},
	"dovecot": {
		install: []string{"dovecot-imapd"}, rewrite: []string{"dovecot-core"}, units: []string{"dovecot.service"},
		setup: `useradd -m -s /bin/bash imapprobe && echo imapprobe:imap-pw-1 | chpasswd && install -o imapprobe -g mail -m 660 /dev/null /var/mail/imapprobe`,
		probe: retry(20, `nc -z 127.0.0.1 143`) +
			` && curl -fsS 'imap://imapprobe:imap-pw-1@127.0.0.1/' | grep -q INBOX` +
			` && curl -fsS 'imap://imapprobe:imap-pw-1@127.0.0.1/' -X 'CREATE bootprobe' && curl -fsS 'imap://imapprobe:imap-pw-1@127.0.0.1/' | grep -q bootprobe`,
		refusedDynamic: true,
	},
	"cups": {
		// cupsctl makes cupsd rewrite /etc/cups/cupsd.conf and restart.
		install: []string{"cups-daemon", "cups-client"}, rewrite: []string{"cups-daemon"}, units: []string{"cups.service"},
		probe: retry(20, `lpstat -r | grep -q 'scheduler is running'`) +
			` && cupsctl WebInterface=yes && grep -q '^WebInterface Yes' /etc/cups/cupsd.conf && ` + retry(20, `lpstat -r | grep -q 'scheduler is running'`),
		refusedDynamic: true,
	},
	"nginx": {
		install: []string{"nginx"}, rewrite: []string{"nginx-common"}, units: []string{"nginx.service"},
		setup: `echo boot-probe-page > /var/www/html/probe.html`,
		probe: retry(20, `curl -fsS http://127.0.0.1/probe.html | grep -qx boot-probe-page`) +
			` && curl -fsS -o /dev/null -w '%{http_code}\n' http://127.0.0.1/ | grep -qx 200`,
		refusedDynamic: true,
	},
	"redis-server": {
		install: []string{"redis-server"}, rewrite: []string{"redis-server"}, units: []string{"redis-server.service"},
		probe: retry(20, `redis-cli -h 127.0.0.1 PING | grep -qx PONG`) +
			` && redis-cli -h 127.0.0.1 SET bootkey bootval | grep -qx OK` +
			` && test "$(redis-cli -h 127.0.0.1 GET bootkey)" = bootval` +
			` && redis-cli -h 127.0.0.1 SAVE | grep -qx OK`,
	},
	"memcached": {
		install: []string{"memcached"}, rewrite: []string{"memcached"}, units: []string{"memcached.service"},
		probe: retry(20, `nc -z 127.0.0.1 11211`) +
			` && printf 'set bootkey 0 0 7\r\nbootval\r\nget bootkey\r\nquit\r\n' | nc -N -w 3 127.0.0.1 11211 | tr -d '\r' | grep -qx bootval`,
		refusedDynamic: true,
	},
	"openssh-server": {
		install: []string{"openssh-server"}, rewrite: []string{"openssh-server"}, units: []string{"ssh.service"},
		setup: `mkdir -p -m700 /root/.ssh && ssh-keygen -q -t ed25519 -N "" -f /root/.ssh/id_ed25519 && cat /root/.ssh/id_ed25519.pub >> /root/.ssh/authorized_keys`,
		// The login does an administrator's work: it writes its home, the
		// shared /var/tmp and /etc, and the files must be there outside
		// the session.
		probe: retry(20, `nc -z 127.0.0.1 22`) +
			` && ssh -i /root/.ssh/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@127.0.0.1 'echo login-ok; for f in /root/ssh-probe /var/tmp/ssh-probe /etc/ssh-probe.conf; do echo ssh-ran > $f; done' | grep -qx login-ok` +
			` && rc=0; for f in /root/ssh-probe /var/tmp/ssh-probe /etc/ssh-probe.conf; do grep -qs ssh-ran $f || { echo "the login could not write $f"; rc=1; }; done; exit $rc`,
		refusedDynamic: true, untouched: true,
	},
	"unbound": {
		install: []string{"unbound", "dns-root-data"}, rewrite: []string{"unbound"}, units: []string{"unbound.service"},
		setup: `printf 'server:\n  interface: 127.0.0.1\n  local-zone: "probe.test." static\n  local-data: "www.probe.test. IN A 192.0.2.7"\n' > /etc/unbound/unbound.conf.d/boot-probe.conf`,
		probe: retry(20, `dig +time=2 +tries=1 +short @127.0.0.1 www.probe.test A | grep -qx 192.0.2.7`),
		// Converted, it failed here (setpriv, port 53): now refused.
		refusedDynamic: true,
	},
	"haproxy": {
		install: []string{"haproxy"}, rewrite: []string{"haproxy"}, units: []string{"haproxy.service"},
		setup: `printf '\nfrontend bootprobe\n  bind 127.0.0.1:8080\n  mode http\n  http-request return status 200 content-type text/plain string haproxy-ok\n' >> /etc/haproxy/haproxy.cfg`,
		probe: retry(20, `curl -fsS http://127.0.0.1:8080/ | grep -qx haproxy-ok`),
		// Converted, it failed here (/run/haproxy-master.sock): now refused.
		refusedDynamic: true,
	},
	"postfix": {
		install: []string{"postfix"}, rewrite: []string{"postfix"}, units: []string{"postfix@-.service"},
		pre: `printf 'postfix postfix/main_mailer_type select Local only\npostfix postfix/mailname string testct\n' | debconf-set-selections`,
		probe: retry(20, `nc -w 3 127.0.0.1 25 </dev/null | head -1 | grep -q '^220 '`) +
			` && printf 'Subject: boot probe\n\nboot-probe-body\n' | /usr/sbin/sendmail root` +
			` && { ` + retry(30, `grep -qs boot-probe-body /var/mail/root`) + ` || { echo "message not delivered to /var/mail/root"; exit 1; }; }`,
		refusedDynamic: true,
	},
	"cron": {
		// An @reboot job (run when cron first starts) writes where cron
		// jobs commonly write: /var/log, /var/tmp (shared with the rest of
		// the system) and root's home; it logs first, so the probe knows
		// the job ran.
		install: []string{"cron"}, rewrite: []string{"cron"}, units: []string{"cron.service"},
		setup: `echo '@reboot root logger -t bootcron job-started; for f in /var/log/boot-cron-probe /var/tmp/boot-cron-probe /root/boot-cron-probe; do echo cron-ran > $f; done' > /etc/cron.d/boot-probe`,
		probe: retry(40, `journalctl -t bootcron -o cat | grep -q job-started`) +
			` && sleep 1; rc=0; for f in /var/log/boot-cron-probe /var/tmp/boot-cron-probe /root/boot-cron-probe; do grep -qs cron-ran $f || { echo "the @reboot job could not write $f"; rc=1; }; done; exit $rc`,
		// Hardened, the job inherited the sandbox and failed: cron is a
		// session host, which every tier now leaves alone.
		refusedDynamic: true, untouched: true,
	},
	"rsyslog": {
		install: []string{"rsyslog"}, rewrite: []string{"rsyslog"}, units: []string{"rsyslog.service"},
		probe:          `sleep 1; logger -t bootprobe rsyslog-probe-line && ` + retry(30, `grep -qs rsyslog-probe-line /var/log/syslog`),
		refusedDynamic: true,
	},
	"mosquitto": {
		install: []string{"mosquitto"}, rewrite: []string{"mosquitto"}, units: []string{"mosquitto.service"},
		probe: retry(20, `nc -z 127.0.0.1 1883`) +
			` && { mosquitto_sub -h 127.0.0.1 -t boot/probe -C 1 -W 10 > /run/mqtt.out & sleep 1; mosquitto_pub -h 127.0.0.1 -t boot/probe -m mqtt-ok; wait; } && grep -qx mqtt-ok /run/mqtt.out`,
		refusedDynamic: true,
	},
	"lighttpd": {
		install: []string{"lighttpd"}, rewrite: []string{"lighttpd"}, units: []string{"lighttpd.service"},
		setup:          `echo lighttpd-probe-page > /var/www/html/probe.html`,
		probe:          retry(20, `curl -fsS http://127.0.0.1/probe.html | grep -qx lighttpd-probe-page`),
		refusedDynamic: true,
	},
	"vsftpd": {
		// A local user downloads a file and uploads one into the home
		// directory (write_enable, off in Debian's default, turned on).
		install: []string{"vsftpd"}, rewrite: []string{"vsftpd"}, units: []string{"vsftpd.service"},
		setup: `useradd -m -s /bin/bash ftpprobe && echo ftpprobe:ftp-pw-1 | chpasswd && echo vsftpd-probe > /home/ftpprobe/probe.txt && chown ftpprobe: /home/ftpprobe/probe.txt` +
			` && sed -i 's/^#*write_enable=.*/write_enable=YES/' /etc/vsftpd.conf && grep -qx write_enable=YES /etc/vsftpd.conf`,
		probe: retry(20, `nc -z 127.0.0.1 21`) + ` && curl -fsS ftp://ftpprobe:ftp-pw-1@127.0.0.1/probe.txt | grep -qx vsftpd-probe` +
			` && echo ftp-upload-ok > /run/up.txt && curl -fsS -T /run/up.txt ftp://ftpprobe:ftp-pw-1@127.0.0.1/up.txt && grep -qx ftp-upload-ok /home/ftpprobe/up.txt`,
		refusedDynamic: true,
	},
	"journal-remote": {
		// Converted by the dynamic-user tier (its own sysusers account,
		// LogsDirectory=journal/remote already). Plain HTTP is configured
		// (the shipped HTTPS needs certificates); a line from the local
		// journal is uploaded and must be readable in the remote journal.
		install: []string{"systemd-journal-remote"}, rewrite: []string{"systemd-journal-remote"}, units: []string{"systemd-journal-remote.service"},
		setup: `mkdir -p /etc/systemd/system/systemd-journal-remote.service.d && printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-journal-remote --listen-http=-3 --output=/var/log/journal/remote/\n' > /etc/systemd/system/systemd-journal-remote.service.d/http.conf`,
		probe: `logger -t bootprobe journal-remote-probe-line && sleep 1 && timeout 60 /lib/systemd/systemd-journal-upload --follow=no --url=http://127.0.0.1:19532 && ` +
			retry(30, `journalctl -D /var/log/journal/remote -t bootprobe -o cat | grep -qx journal-remote-probe-line`),
	},
	"man-db": {
		// A oneshot: the daily regeneration rebuilds the index whatis(1)
		// reads (removed first, so the probe sees this run's work).
		install: []string{"man-db"}, rewrite: []string{"man-db"}, units: []string{"man-db.service"},
		setup: `rm -f /var/cache/man/index.db`,
		probe: `test -s /var/cache/man/index.db && whatis ls | grep -q 'list directory contents'`,
		// Converted, it wrote the index below /var/cache/private, where
		// whatis did not find it: now refused (a shared system account).
		refusedDynamic: true,
	},
	"logrotate": {
		// A oneshot running other packages' rotation rules and postrotate
		// scripts: a rule added here rotates a root-owned log into
		// /var/log, recreates it with its owner, and its postrotate
		// script leaves a mark in /run (its unit has PrivateTmp= of its own).
		install: []string{"logrotate"}, rewrite: []string{"logrotate"}, units: []string{"logrotate.service"},
		setup: `echo logrotate-probe-line > /var/log/bootprobe.log && chown root:adm /var/log/bootprobe.log && ` +
			`printf '/var/log/bootprobe.log {\n  size 1\n  rotate 2\n  create 0640 root adm\n  postrotate\n    echo rotated > /run/bootprobe-postrotate\n  endscript\n}\n' > /etc/logrotate.d/bootprobe`,
		probe:          `grep -qx logrotate-probe-line /var/log/bootprobe.log.1 && test "$(stat -c %U:%G:%a /var/log/bootprobe.log)" = root:adm:640 && grep -qx rotated /run/bootprobe-postrotate`,
		refusedDynamic: true, untouched: true,
	},
	"tor": {
		// tor@default opens its SOCKS port (a SOCKS5 greeting gets the
		// "no authentication" answer) and creates an onion service's keys
		// under /var/lib/tor; both work without a network.
		install: []string{"tor"}, rewrite: []string{"tor"}, units: []string{"tor@default.service"},
		setup: `printf 'HiddenServiceDir /var/lib/tor/bootprobe/\nHiddenServicePort 80 127.0.0.1:80\n' >> /etc/tor/torrc`,
		probe: retry(30, `nc -z 127.0.0.1 9050`) +
			` && test "$(printf '\005\001\000' | nc -w 3 127.0.0.1 9050 | od -An -tx1 | tr -d ' \n')" = 0500` +
			` && ` + retry(30, `grep -qE '^[a-z2-7]{56}\.onion$' /var/lib/tor/bootprobe/hostname`),
		refusedDynamic: true,
	},
}

// Tiers are the policy tiers, in order.
var Tiers = []string{"baseline", "strict", "dynamic-user"}

// smoke is the smoke subset: one service per tier.
var smoke = map[string]string{"baseline": "nginx", "strict": "lighttpd", "dynamic-user": "redis-server"}

// AllCases is the full set: every service under every tier, plus the
// negative control (nginx with a drop-in known to break it).
func AllCases() []Case {
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Case
	for _, tier := range Tiers {
		for _, n := range names {
			s := services[n]
			out = append(out, Case{
				Service: n, Tier: tier, Install: s.install, Rewrite: s.rewrite, Units: s.units,
				PreInstall: s.pre, Setup: s.setup, Probe: s.probe,
				Refused:   tier == "dynamic-user" && s.refusedDynamic,
				Unchanged: s.untouched && !(tier == "dynamic-user" && s.refusedDynamic),
				Smoke:     smoke[tier] == n, Timeout: 3 * time.Minute,
			})
		}
	}
	ng := services["nginx"]
	out = append(out, Case{
		Service: "nginx", Tier: "baseline", Install: ng.install, Rewrite: ng.rewrite, Units: ng.units,
		Setup: ng.setup, Probe: ng.probe, Timeout: 3 * time.Minute,
		BrokenDropin: "[Service]\n# deliberately too strict: no writable paths, no capabilities\nProtectSystem=strict\nCapabilityBoundingSet=\nPrivateDevices=yes\n",
	})
	return out
}

// SmokeCases is the smoke subset of AllCases.
func SmokeCases() []Case {
	var out []Case
	for _, c := range AllCases() {
		if c.Smoke {
			out = append(out, c)
		}
	}
	return out
}

// Packages is every apt package the cases install; the rootfs is keyed by
// it, so the smoke and the full set share one rootfs.
func Packages() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range services {
		for _, p := range append(append([]string(nil), s.install...), s.rewrite...) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
