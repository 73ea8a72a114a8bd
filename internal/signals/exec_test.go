package signals

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

func TestParseExec(t *testing.T) {
	tests := []struct {
		in   string
		want []string // "prog arg…" per invocation
	}{
		{"/usr/sbin/food -f", []string{"/usr/sbin/food -f"}},
		{"-/usr/sbin/food", []string{"/usr/sbin/food"}},
		{"!!/usr/sbin/food -x", []string{"/usr/sbin/food -x"}},
		{"@/usr/sbin/food food-argv0 -d", []string{"/usr/sbin/food -d"}},
		{"/bin/true ; /usr/bin/pkill foo", []string{"/bin/true", "/usr/bin/pkill foo"}},
		{`/bin/sh -c "test -x /usr/sbin/food && exec /usr/sbin/food --now"`, []string{
			"/bin/sh -c test -x /usr/sbin/food && exec /usr/sbin/food --now",
			"test -x /usr/sbin/food", "exec /usr/sbin/food --now", "/usr/sbin/food --now"}},
		{"/bin/sh -c 'kill -HUP $(pidof food)'", []string{"/bin/sh -c kill -HUP $(pidof food)", "kill -HUP", "pidof food"}},
		{"/usr/bin/env FOO=1 nice -n 5 /usr/bin/node x.js", []string{"/usr/bin/env FOO=1 nice -n 5 /usr/bin/node x.js", "nice -n 5 /usr/bin/node x.js", "/usr/bin/node x.js"}},
		{"/usr/bin/sudo -u postfix /usr/sbin/postqueue -f", []string{"/usr/bin/sudo -u postfix /usr/sbin/postqueue -f", "/usr/sbin/postqueue -f"}},
		{"/sbin/start-stop-daemon --start --exec /usr/sbin/food -- -d", []string{"/sbin/start-stop-daemon --start --exec /usr/sbin/food -- -d", "/usr/sbin/food -d"}},
		{`/bin/sh -c 'echo 1 > /proc/sys/x'`, []string{"/bin/sh -c echo 1 > /proc/sys/x", "echo 1 > /proc/sys/x"}},
		{`/bin/su -s /bin/sh -c "ps ax" nobody`, []string{"/bin/su -s /bin/sh -c ps ax nobody", "ps ax"}},
	}
	for _, tc := range tests {
		var got []string
		invs, _ := parseExec(tc.in)
		for _, inv := range invs {
			got = append(got, strings.Join(append([]string{inv.prog}, inv.args...), " "))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseExec(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestUnsandboxed(t *testing.T) {
	for in, want := range map[string]bool{
		"+/sbin/sysctl -w x=1":            true,
		"-+/bin/mkdir -p /run/foo":        true,
		"!/usr/sbin/food":                 false,
		"/usr/sbin/food":                  false,
		"+/bin/true ; /usr/bin/pkill foo": false,
		"":                                false,
	} {
		if _, got := parseExec(in); got != want {
			t.Errorf("parseExec(%q) unsandboxed = %v", in, got)
		}
	}
}

func TestRelations(t *testing.T) {
	p := &pkgmodel.Package{Control: map[string]string{
		"Depends":  "libc6 (>= 2.34), default-mta | mail-transport-agent,\n libfoo1:any [amd64] <!nocheck>, bar (= 1.0-1)",
		"Requires": "/bin/sh, libpcre2-8.so.0()(64bit), foo >= 1.2, (a or b)",
	}}
	var got []string
	for _, r := range relations(p, "Depends", "Requires") {
		got = append(got, r.field+":"+strings.Join(r.names, "|"))
	}
	want := []string{"Depends:libc6", "Depends:default-mta|mail-transport-agent", "Depends:libfoo1", "Depends:bar",
		"Requires:/bin/sh", "Requires:libpcre2-8.so.0()(64bit)", "Requires:foo", "Requires:"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestLsMode(t *testing.T) {
	for mode, want := range map[uint32]string{0o4755: "-rwsr-xr-x", 0o2555: "-r-xr-sr-x", 0o4644: "-rwSr--r--", 0o1777: "-rwxrwxrwt"} {
		m := fsMode(mode)
		if got := lsMode(m); got != want {
			t.Errorf("lsMode(%o) = %s, want %s", mode, got, want)
		}
	}
}

// fsMode converts Unix permission bits to an fs.FileMode.
func fsMode(m uint32) os.FileMode {
	out := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		out |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}
