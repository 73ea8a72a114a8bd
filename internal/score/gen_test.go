package score_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// directivePool is what the generated units combine: every directive the
// assessment reads, with ordinary values, resets, and values systemd
// rejects or only partly accepts.
var directivePool = []struct {
	key    string
	values []string
}{
	{"User", []string{"root", "0", "nobody", "daemon", "svc", "%i", "%u", "www-data", ""}},
	{"Group", []string{"svc", "0", ""}},
	{"DynamicUser", []string{"yes", "no", "true", "0"}},
	{"SupplementaryGroups", []string{"adm", "adm audio", "", "%p"}},
	{"PrivateDevices", []string{"yes", "no", "on", "maybe"}},
	{"PrivateMounts", []string{"yes", "no", ""}},
	{"PrivateNetwork", []string{"yes", "no"}},
	{"PrivateTmp", []string{"yes", "no", "disconnected"}},
	{"PrivateUsers", []string{"yes", "no"}},
	{"ProtectControlGroups", []string{"yes", "no", "private"}},
	{"ProtectKernelModules", []string{"yes", "no"}},
	{"ProtectKernelTunables", []string{"yes", "no"}},
	{"ProtectKernelLogs", []string{"yes", "no"}},
	{"ProtectClock", []string{"yes", "no"}},
	{"ProtectHome", []string{"yes", "no", "read-only", "tmpfs", "true", "bogus", ""}},
	{"ProtectHostname", []string{"yes", "no"}},
	{"ProtectSystem", []string{"yes", "no", "full", "strict", "1", "bogus", ""}},
	{"RootDirectory", []string{"/srv/root", "/", "", "//"}},
	{"RootImage", []string{"/srv/image.raw", ""}},
	{"LockPersonality", []string{"yes", "no"}},
	{"MemoryDenyWriteExecute", []string{"yes", "no"}},
	{"NoNewPrivileges", []string{"yes", "no"}},
	{"CapabilityBoundingSet", []string{"", "~", "CAP_NET_BIND_SERVICE", "CAP_CHOWN CAP_SETUID", "~CAP_SYS_ADMIN CAP_SYS_PTRACE", "cap_net_raw", "~CAP_BOGUS CAP_KILL", "12 13", "'CAP_DAC_OVERRIDE CAP_FOWNER'"}},
	{"AmbientCapabilities", []string{"", "CAP_NET_BIND_SERVICE", "~CAP_SYS_ADMIN", "CAP_BOGUS"}},
	{"UMask", []string{"0077", "0027", "0022", "0002", "0", "0007", "077", "bogus", "0777"}},
	{"KeyringMode", []string{"private", "shared", "inherit", "bogus"}},
	{"ProtectProc", []string{"invisible", "noaccess", "ptraceable", "default", "bogus"}},
	{"ProcSubset", []string{"pid", "all"}},
	{"NotifyAccess", []string{"all", "main", "none", "exec"}},
	{"RemoveIPC", []string{"yes", "no"}},
	{"Delegate", []string{"yes", "no", "", "cpu memory"}},
	{"RestrictRealtime", []string{"yes", "no"}},
	{"RestrictSUIDSGID", []string{"yes", "no"}},
	{"RestrictNamespaces", []string{"yes", "no", "", "cgroup ipc", "~user net", "~mnt", "user", "bogus"}},
	{"RestrictAddressFamilies", []string{"AF_UNIX AF_INET AF_INET6", "~AF_PACKET", "none", "", "AF_NETLINK", "~AF_INET AF_INET6", "AF_UNIX", "~AF_BOGUS AF_X25", "af_local"}},
	{"SystemCallArchitectures", []string{"native", "native x86", "", "x86-64", "bogus native"}},
	{"SystemCallFilter", []string{"@system-service", "~@privileged @resources", "~@mount", "", "@system-service @mount", "~@clock:EPERM", "@basic-io @file-system", "~@swap @reboot @module @raw-io @debug @cpu-emulation @obsolete @clock @mount @privileged @resources", "settimeofday", "~@bogus", "~reboot:EPERM", "@system-service ~@resources"}},
	{"SystemCallErrorNumber", []string{"EPERM"}},
	{"IPAddressDeny", []string{"any", "0.0.0.0/0", "::/0", "", "0.0.0.0/0 ::/0"}},
	{"IPAddressAllow", []string{"localhost", "10.0.0.0/8", "127.0.0.1", "::1", "", "link-local", "127.0.0.1/0"}},
	{"IPIngressFilterPath", []string{"/sys/fs/bpf/ingress", ""}},
	{"DeviceAllow", []string{"/dev/null rw", "char-rtc r", "", "/dev/ttyS0", "block-loop rwm", "/tmp/x rw", "/dev/null bogus"}},
	{"DevicePolicy", []string{"closed", "strict", "auto"}},
	{"LoadCredentialEncrypted", []string{"key:/etc/x.cred"}},
	{"PrivateUsers", []string{"self", "identity"}},
	{"WorkingDirectory", []string{"~", "/srv", "-~"}},
	{"RestartForceExitStatus", []string{"1", ""}},
	{"PAMName", []string{"login"}},
	{"KillMode", []string{"process", "mixed"}},
	{"Type", []string{"notify-reload", "notify", "exec", "bogus"}},
	{"CapabilityBoundingSet", []string{"CAP_CHOWN 'CAP_KILL", "63", "62 CAP_SYS_ADMIN"}},
	{"PrivateMounts", []string{""}},
}

// genCase is one generated unit tree.
type genCase struct {
	name  string // unit to assess
	files map[string]string
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func directiveLines(r *rand.Rand, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		d := pick(r, directivePool)
		out = append(out, d.key+"="+pick(r, d.values))
	}
	return out
}

// styled writes lines in a randomly chosen but valid syntax: spacing
// around '=', comments, CRLF, continuation lines with comments inside.
func styled(r *rand.Rand, lines []string) string {
	eol := "\n"
	if r.IntN(10) == 0 {
		eol = "\r\n"
	}
	var b strings.Builder
	for _, l := range lines {
		switch r.IntN(12) {
		case 0:
			b.WriteString("# a comment ending in a backslash \\" + eol)
		case 1:
			if k, v, ok := strings.Cut(l, "="); ok {
				b.WriteString(k + " = " + v + eol)
				continue
			}
		case 2:
			k, v, ok := strings.Cut(l, "=")
			if ok && v != "" && !strings.HasSuffix(v, "\\") {
				b.WriteString(k + "=\\" + eol + "; comment inside a continuation" + eol + "  " + v + eol)
				continue
			}
		}
		b.WriteString(l + eol)
	}
	return b.String()
}

func generateCases(n int, seed uint64) []genCase {
	r := rand.New(rand.NewPCG(seed, 2026))
	dirs := []string{"lib/systemd/system", "lib/systemd/system", "usr/lib/systemd/system", "etc/systemd/system"}
	var cases []genCase
	for i := 0; i < n; i++ {
		c := genCase{files: map[string]string{}}
		var file string
		switch r.IntN(6) {
		case 0:
			c.name = fmt.Sprintf("tpl%d@.service", i)
			file = c.name
		case 1:
			c.name = fmt.Sprintf("foo-bar%d.service", i)
			file = c.name
		default:
			c.name = fmt.Sprintf("svc%d.service", i)
			file = c.name
		}
		dir := pick(r, dirs)
		var main []string
		main = append(main, "[Unit]", "Description=generated case")
		if r.IntN(6) == 0 {
			main = append(main, "DefaultDependencies=no")
		}
		main = append(main, "[Service]")
		switch r.IntN(12) {
		case 0:
			main = append(main, "Type=oneshot", "RemainAfterExit=yes", "ExecStart=/bin/true", "ExecStart=/bin/false")
		case 1:
			main = append(main, "Type=oneshot") // no ExecStart: systemd refuses
		case 2:
			main = append(main, "ExecStart=/bin/true", "ExecStart=/bin/false") // two: refused
		default:
			main = append(main, "ExecStart=/usr/bin/sleep infinity")
		}
		main = append(main, directiveLines(r, 1+r.IntN(14))...)
		if r.IntN(8) == 0 {
			main = append(main, "[X-Extra]", "Foo=bar", "[Install]", "WantedBy=multi-user.target")
		}
		c.files[dir+"/"+file] = styled(r, main)
		dropin := func(p string) {
			lines := append([]string{"[Service]"}, directiveLines(r, 1+r.IntN(5))...)
			c.files[p] = styled(r, lines)
		}
		if r.IntN(5) < 2 {
			dropin(fmt.Sprintf("%s/%s.d/50-local.conf", pick(r, dirs), file))
		}
		if r.IntN(6) == 0 {
			dropin(fmt.Sprintf("%s/%s.d/10-early.conf", pick(r, dirs), file))
		}
		if r.IntN(8) == 0 {
			// the same drop-in name at two priorities: the higher wins
			dropin(fmt.Sprintf("etc/systemd/system/%s.d/60-same.conf", file))
			dropin(fmt.Sprintf("lib/systemd/system/%s.d/60-same.conf", file))
		}
		if strings.HasPrefix(c.name, "foo-bar") && r.IntN(2) == 0 {
			dropin(fmt.Sprintf("%s/foo-.service.d/40-prefix.conf", pick(r, dirs)))
		}
		if strings.Contains(c.name, "@") && r.IntN(2) == 0 {
			dropin(fmt.Sprintf("%s/%s.d/30-tpl.conf", pick(r, dirs), c.name))
		}
		if r.IntN(10) == 0 {
			dropin(fmt.Sprintf("%s/service.d/20-type.conf", pick(r, dirs)))
		}
		if r.IntN(12) == 0 {
			// an alias symlink: assess the unit under its alias name; the
			// alias's own drop-ins apply too
			c.files["lib/systemd/system/alias"+file+"@symlink"] = file
			if r.IntN(2) == 0 {
				dropin(fmt.Sprintf("%s/alias%s.d/70-alias.conf", pick(r, dirs), file))
			}
			c.name = "alias" + file
		}
		switch r.IntN(40) {
		case 0: // masked by an empty file of higher priority
			c.files["run/systemd/system/"+file] = ""
		case 1: // masked by a /dev/null symlink
			c.files["run/systemd/system/"+file+"@symlink"] = "/dev/null"
		case 2: // a drop-in masked by /dev/null at higher priority
			dropin(fmt.Sprintf("lib/systemd/system/%s.d/80-masked.conf", file))
			c.files[fmt.Sprintf("etc/systemd/system/%s.d/80-masked.conf@symlink", file)] = "/dev/null"
		}
		cases = append(cases, c)
	}
	return cases
}

// write materialises a case under dir. A key ending in "@symlink" is a
// symlink whose target is the value.
func (c genCase) write(t testing.TB, dir string) {
	t.Helper()
	for p, content := range c.files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "@symlink") {
			if err := os.Symlink(content, strings.TrimSuffix(full, "@symlink")); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dump shows the case's files for a failure message.
func (c genCase) dump() string {
	var keys []string
	for k := range c.files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  --- %s\n  %s", k, strings.ReplaceAll(strings.TrimRight(c.files[k], "\n"), "\n", "\n  "))
	}
	return b.String()
}
