package sysv

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/source"
)

const header = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          web httpd
# Required-Start:    $local_fs $remote_fs $network
# Required-Stop:     $local_fs $remote_fs
# Should-Start:      $named
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: web server
# Description:       serves
#                    the web
# X-Interactive:     true
### END INIT INFO
[ -r /etc/default/$NAME ] && . /etc/default/$NAME
`

// TestParseLSB reads every keyword, the Description continuation and the
// X- extension, and reports the defects lintian would.
func TestParseLSB(t *testing.T) {
	h := ParseLSB([]byte(header))
	want := LSB{Present: true, Terminated: true, Provides: []string{"web", "httpd"},
		RequiredStart: []string{"$local_fs", "$remote_fs", "$network"}, RequiredStop: []string{"$local_fs", "$remote_fs"},
		ShouldStart: []string{"$named"}, DefaultStart: []string{"2", "3", "4", "5"}, DefaultStop: []string{"0", "1", "6"},
		ShortDescription: "web server", Description: "serves the web"}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("ParseLSB:\n%+v\nwant\n%+v", h, want)
	}
	for _, c := range []struct{ in, problem string }{
		{"#!/bin/sh\necho hi\n", ""},
		{"### BEGIN INIT INFO\n# Provides: a\necho x\n", "unterminated LSB section"},
		{"### BEGIN INIT INFO\n# Provides: a\n", "unterminated LSB section"},
		{"### BEGIN INIT INFO\n# Provides: a\n# Provides: b\n### END INIT INFO\n", "duplicate keyword Provides"},
		{"### BEGIN INIT INFO\n# Frobnicate: a\n### END INIT INFO\n", "unknown keyword Frobnicate"},
		{"### BEGIN INIT INFO\n# no colon here\n### END INIT INFO\n", "bad LSB line no colon here"},
		{"### BEGIN INIT INFO\n### END INIT INFO\n### BEGIN INIT INFO\n", "duplicate LSB section"},
	} {
		h := ParseLSB([]byte(c.in))
		got := strings.Join(h.Problems, ";")
		if got != c.problem {
			t.Errorf("ParseLSB(%q) problems %q, want %q", c.in, got, c.problem)
		}
	}
	// A binary or huge input neither fails nor reads past the header limit.
	if h := ParseLSB([]byte(strings.Repeat("x", 2<<20))); h.Present {
		t.Error("a 2 MiB line is not a header")
	}
}

// TestCalls finds update-rc.d, invoke-rc.d and chkconfig calls with the
// name they manage, skipping options, redirections and comments.
func TestCalls(t *testing.T) {
	pkg := &pkgmodel.Package{Scripts: []pkgmodel.Script{
		{Name: "postinst", Text: "#!/bin/sh\n# update-rc.d commented out\nif [ -x \"/etc/init.d/web\" ]; then\n\tupdate-rc.d web defaults >/dev/null\n\tinvoke-rc.d --skip-systemd-native web start || exit 1\nfi\n"},
		{Name: "postrm", Text: "if [ \"$1\" = purge ]; then /usr/sbin/update-rc.d -f web remove; fi\n"},
		{Name: "%preun", Text: "/sbin/chkconfig --del web >/dev/null 2>&1 || :\n"},
		{Name: "%triggerun", Text: "/usr/bin/systemd-sysv-convert --save web >/dev/null 2>&1 ||:\n"},
	}}
	var got []string
	for _, c := range Calls(pkg) {
		got = append(got, fmt.Sprintf("%s %d %s %s", c.Script, c.Line, c.Tool, c.Name))
	}
	want := []string{"postinst 4 update-rc.d web", "postinst 5 invoke-rc.d web", "postrm 1 update-rc.d web",
		"%preun 1 chkconfig web", "%triggerun 1 systemd-sysv-convert web"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDescribe: replacement through LSB Provides, the settings file and
// whether the unit reads it, and calls attached to their script.
func TestDescribe(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/init.d/web", header, 0o755)
	write(t, root, "lib/systemd/system/httpd.service", "[Service]\nExecStart=/usr/sbin/httpd\n", 0o644)
	write(t, root, "etc/default/web", "OPTS=\n", 0o644)
	write(t, root, "etc/init.d/cache", "#!/bin/sh\n. /etc/default/cache\n", 0o755)
	write(t, root, "lib/systemd/system/cache.service", "[Service]\nExecStart=/usr/sbin/cache\n", 0o644)
	write(t, root, "lib/systemd/system/cache.service.d/env.conf", "[Service]\nEnvironmentFile=-/etc/default/cache\n", 0o644)
	write(t, root, "etc/default/cache", "OPTS=\n", 0o644)
	pkg, err := source.Open(context.Background(), root, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := source.WalkEntries(pkg); err != nil {
		t.Fatal(err)
	}
	pkg.Conffiles = []string{"/etc/init.d/web", "/etc/default/web"}
	pkg.Scripts = []pkgmodel.Script{{Name: "postinst", Text: "update-rc.d web defaults\nupdate-rc.d other defaults\n"}}
	got, err := Find(pkg, 252)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Find: %d scripts, want 2", len(got))
	}
	cache, web := got[0], got[1]
	if cache.How != "unit" || cache.Default != "/etc/default/cache" || !cache.UnitReadsDefault || !cache.ScriptReadsDefault || cache.Conffile || cache.LSB.Present || len(cache.Calls) != 0 {
		t.Errorf("cache: %+v", cache)
	}
	if web.How != "provides" || web.Replaced != "/lib/systemd/system/httpd.service" || web.Default != "/etc/default/web" ||
		!web.DefaultConffile || web.UnitReadsDefault || !web.ScriptReadsDefault || !web.Conffile || len(web.Calls) != 1 || web.Calls[0].Line != 1 {
		t.Errorf("web: %+v", web)
	}
	var tags []string
	for _, f := range Findings(pkg, got, "baseline") {
		tags = append(tags, f.Tag+" "+f.Path+" "+f.Detail)
	}
	want := []string{
		"sysv-init-script-with-unit /etc/init.d/cache /etc/init.d/cache (unit /lib/systemd/system/cache.service)",
		"sysv-init-script-with-unit /etc/init.d/web /etc/init.d/web (LSB Provides: /lib/systemd/system/httpd.service)",
		"sysv-default-file-not-read-by-unit /etc/default/web /etc/default/web (unit /lib/systemd/system/httpd.service has no EnvironmentFile=/etc/default/web)",
	}
	if !reflect.DeepEqual(tags, want) {
		t.Errorf("Findings:\n%s\nwant\n%s", strings.Join(tags, "\n"), strings.Join(want, "\n"))
	}
}
