package signals_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/signals"
)

func TestWritable(t *testing.T) {
	w := func(directive, value, path string, line int, text string) signals.Writable {
		p := strings.TrimPrefix(value, "-")
		switch directive {
		case "StateDirectory":
			p = "/var/lib/" + value
		case "CacheDirectory":
			p = "/var/cache/" + value
		case "LogsDirectory":
			p = "/var/log/" + value
		case "RuntimeDirectory":
			p = "/run/" + value
		}
		// The fixtures' own unit files hold the existing settings.
		existing := strings.HasPrefix(path, unitDir) && !strings.HasPrefix(text, "PIDFile=") && !strings.HasPrefix(text, "Exec")
		return signals.Writable{Path: p, Directive: directive, Value: value, Evidence: finding.Evidence{Path: path, Line: line, Text: text}, Existing: existing}
	}
	tests := []struct {
		name string
		fx   fixture
		want []signals.Writable
	}{
		{"nothing", fixture{}, nil},
		{"shipped state dir owned by root", fixture{
			files:   map[string]string{"foo.service": svc("User=foo")},
			entries: []pkgmodel.Entry{dir("/var/lib", "root"), dir("/var/lib/foo", "root"), dir("/var/lib/foo/db", "root")},
		}, []signals.Writable{w("ReadWritePaths", "-/var/lib/foo", "/var/lib/foo", 0, "drwxr-xr-x root/root /var/lib/foo")}},
		{"shipped state dir owned by the user", fixture{
			files:   map[string]string{"foo.service": svc("User=foo")},
			entries: []pkgmodel.Entry{dir("/var/lib", "root"), dir("/var/lib/foo", "foo"), dir("/var/lib/foo/db", "foo")},
		}, []signals.Writable{w("StateDirectory", "foo", "/var/lib/foo", 0, "drwxr-xr-x foo/foo /var/lib/foo")}},
		{"owned by the user, something inside by root", fixture{
			files:   map[string]string{"foo.service": svc("User=foo")},
			entries: []pkgmodel.Entry{dir("/var/lib/foo", "foo"), dir("/var/lib/foo/shared", "root")},
		}, []signals.Writable{w("ReadWritePaths", "-/var/lib/foo", "/var/lib/foo", 0, "drwxr-xr-x foo/foo /var/lib/foo")}},
		{"owned by a user the root service does not run as", fixture{
			entries: []pkgmodel.Entry{dir("/var/cache/foo", "foo")},
		}, []signals.Writable{w("ReadWritePaths", "-/var/cache/foo", "/var/cache/foo", 0, "drwxr-xr-x foo/foo /var/cache/foo")}},
		{"cache, log and spool owned by the user", fixture{
			files:   map[string]string{"foo.service": svc("User=foo")},
			entries: []pkgmodel.Entry{dir("/var/cache/foo", "foo"), dir("/var/log/foo", "foo"), dir("/var/spool/foo", "foo")},
		}, []signals.Writable{
			w("ReadWritePaths", "-/var/spool/foo", "/var/spool/foo", 0, "drwxr-xr-x foo/foo /var/spool/foo"),
			w("CacheDirectory", "foo", "/var/cache/foo", 0, "drwxr-xr-x foo/foo /var/cache/foo"),
			w("LogsDirectory", "foo", "/var/log/foo", 0, "drwxr-xr-x foo/foo /var/log/foo"),
		}},
		{"staging tree owners unknown", fixture{
			format:  pkgmodel.Dir,
			files:   map[string]string{"foo.service": svc("User=foo")},
			entries: []pkgmodel.Entry{{Path: "/var/lib/foo", Type: dir("", "").Type, Mode: dir("", "").Mode, UID: -1, GID: -1}},
		}, []signals.Writable{w("ReadWritePaths", "-/var/lib/foo", "/var/lib/foo", 0, "drwxr-xr-x ?/? /var/lib/foo")}},
		{"only a file deep inside shipped", fixture{
			entries: []pkgmodel.Entry{file("/var/lib/foo/schema/init.sql", 0o644, "root")},
		}, []signals.Writable{w("ReadWritePaths", "-/var/lib/foo", "/var/lib/foo/schema/init.sql", 0, "-rw-r--r-- root/root /var/lib/foo/schema/init.sql")}},
		{"PIDFile in /run", fixture{files: map[string]string{"foo.service": svc("PIDFile=/run/food.pid")}},
			[]signals.Writable{w("ReadWritePaths", "-/run", fooUnit, 3, "PIDFile=/run/food.pid")}},
		{"PIDFile in legacy /var/run", fixture{files: map[string]string{"foo.service": svc("PIDFile=/var/run/food.pid")}},
			[]signals.Writable{w("ReadWritePaths", "-/run", fooUnit, 3, "PIDFile=/var/run/food.pid")}},
		{"PIDFile in a tmpfiles directory", fixture{files: map[string]string{
			"foo.service":                  svc("PIDFile=/run/foo/food.pid"),
			"/usr/lib/tmpfiles.d/foo.conf": "d /run/foo 0755 foo foo -\n"}},
			[]signals.Writable{w("ReadWritePaths", "-/run/foo", fooUnit, 3, "PIDFile=/run/foo/food.pid")}},
		{"PIDFile in the RuntimeDirectory", fixture{files: map[string]string{"foo.service": svc("RuntimeDirectory=foo", "PIDFile=/run/foo/food.pid")}},
			[]signals.Writable{w("RuntimeDirectory", "foo", fooUnit, 3, "RuntimeDirectory=foo")}},
		{"PIDFile in a directory the daemon creates", fixture{files: map[string]string{"foo.service": svc("PIDFile=/run/foo/food.pid")}},
			[]signals.Writable{w("ReadWritePaths", "-/run", fooUnit, 3, "PIDFile=/run/foo/food.pid")}},
		{"PIDFile of a template", fixture{unit: "foo@.service", files: map[string]string{
			"foo@.service":                 svc("PIDFile=/run/foo/%i.pid"),
			"/usr/lib/tmpfiles.d/foo.conf": "d /run/foo 0755 root root -\n"}},
			[]signals.Writable{w("ReadWritePaths", "-/run/foo", unitDir+"foo@.service", 3, "PIDFile=/run/foo/%i.pid")}},
		{"tmpfiles entries", fixture{files: map[string]string{"/usr/lib/tmpfiles.d/foo.conf": strings.Join([]string{
			"# foo",
			"d /run/foo 0755 foo foo -",
			"f /var/lib/foo/state 0644 foo foo -",
			"L /var/log/README - - - - /usr/share/doc/foo/README.logs",
			"f /var/log/foo.log 0640 foo adm -",
			"d /tmp/.foo 1777 root root -",
			"d %S/foo-extra 0755 root root -",
			"x /var/cache/foo/keep",
			"d /etc/foo/conf.d",
		}, "\n") + "\n"}}, []signals.Writable{
			w("ReadWritePaths", "-/run/foo", "/usr/lib/tmpfiles.d/foo.conf", 2, "d /run/foo 0755 foo foo -"),
			w("ReadWritePaths", "-/var/lib/foo", "/usr/lib/tmpfiles.d/foo.conf", 3, "f /var/lib/foo/state 0644 foo foo -"),
			w("ReadWritePaths", "-/var/lib/foo-extra", "/usr/lib/tmpfiles.d/foo.conf", 7, "d %S/foo-extra 0755 root root -"),
			w("ReadWritePaths", "-/var/log/foo.log", "/usr/lib/tmpfiles.d/foo.conf", 5, "f /var/log/foo.log 0640 foo adm -"),
		}},
		{"tmpfiles overridden in /etc", fixture{files: map[string]string{
			"/usr/lib/tmpfiles.d/foo.conf": "d /run/foo 0755 root root -\n",
			"/etc/tmpfiles.d/foo.conf":     "d /run/foo2 0755 root root -\n"}},
			[]signals.Writable{w("ReadWritePaths", "-/run/foo2", "/etc/tmpfiles.d/foo.conf", 1, "d /run/foo2 0755 root root -")}},
		{"logrotate", fixture{files: map[string]string{"/etc/logrotate.d/foo": strings.Join([]string{
			"/var/log/foo/*.log {",
			"  weekly",
			"  postrotate",
			"    invoke-rc.d foo reload > /var/lib/ignored/x",
			"  endscript",
			"}",
			`"/var/log/foo-audit/audit.log"`,
			"{",
			"  monthly",
			"}",
		}, "\n") + "\n"}}, []signals.Writable{
			w("ReadWritePaths", "-/var/log/foo", "/etc/logrotate.d/foo", 1, "/var/log/foo/*.log {"),
			w("ReadWritePaths", "-/var/log/foo-audit", "/etc/logrotate.d/foo", 7, `"/var/log/foo-audit/audit.log"`),
		}},
		{"logrotate of a log directly in /var/log", fixture{files: map[string]string{"/etc/logrotate.d/foo": "/var/log/foo.log /var/log/foo/error.log {\n rotate 4\n}\n"}},
			[]signals.Writable{w("ReadWritePaths", "-/var/log", "/etc/logrotate.d/foo", 1, "/var/log/foo.log /var/log/foo/error.log {")}},
		{"exec paths", fixture{files: map[string]string{"foo.service": "[Service]\nExecStart=/usr/sbin/food --data /var/lib/food/db --pid=/run/food.pid --conf /etc/foo.conf --spool /var/spool\n"}},
			[]signals.Writable{
				w("ReadWritePaths", "-/run", fooUnit, 2, "ExecStart=/usr/sbin/food --data /var/lib/food/db --pid=/run/food.pid --conf /etc/foo.conf --spool /var/spool"),
				w("ReadWritePaths", "-/var/lib/food", fooUnit, 2, "ExecStart=/usr/sbin/food --data /var/lib/food/db --pid=/run/food.pid --conf /etc/foo.conf --spool /var/spool"),
			}},
		{"exec mkdir under /run", fixture{files: map[string]string{"foo.service": svc("ExecStartPre=/bin/mkdir -p /run/foo")}},
			[]signals.Writable{w("ReadWritePaths", "-/run", fooUnit, 3, "ExecStartPre=/bin/mkdir -p /run/foo")}},
		{"unsandboxed command", fixture{files: map[string]string{"foo.service": svc("ExecStartPre=+/bin/mkdir -p /run/foo /var/lib/foo")}}, nil},
		{"environment file paths", fixture{files: map[string]string{
			"foo.service":      svc("EnvironmentFile=-/etc/default/foo"),
			"/etc/default/foo": "# where\nDATADIR=/srv/foo/data\nLOG=$DATADIR/x\n"}},
			[]signals.Writable{w("ReadWritePaths", "-/srv/foo", "/etc/default/foo", 2, "DATADIR=/srv/foo/data")}},
		{"existing settings are kept, not duplicated", fixture{
			files:   map[string]string{"foo.service": svc("User=foo", "StateDirectory=foo", "ReadWritePaths=-/var/spool/foo /srv/foo", "LogsDirectory=foo/sub")},
			entries: []pkgmodel.Entry{dir("/var/lib/foo", "root"), dir("/var/spool/foo", "foo")},
		}, []signals.Writable{
			w("ReadWritePaths", "-/var/spool/foo", fooUnit, 5, "ReadWritePaths=-/var/spool/foo /srv/foo"),
			w("ReadWritePaths", "/srv/foo", fooUnit, 5, "ReadWritePaths=-/var/spool/foo /srv/foo"),
			w("StateDirectory", "foo", fooUnit, 4, "StateDirectory=foo"),
			w("LogsDirectory", "foo/sub", fooUnit, 6, "LogsDirectory=foo/sub"),
		}},
		{"hierarchies themselves are never returned", fixture{files: map[string]string{"foo.service": "[Service]\nExecStart=/usr/sbin/food --root /var/lib --cache /var/cache/ --srv /srv\n"},
			entries: []pkgmodel.Entry{dir("/var", "root"), dir("/var/lib", "root"), dir("/run", "root")}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.fx.eval(t).Writable
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", show(got), show(tc.want))
			}
		})
	}
}

func show(ws []signals.Writable) string {
	var b []string
	for _, w := range ws {
		b = append(b, fmt.Sprintf("%s %s=%s (%s)", w.Path, w.Directive, w.Value, w.Evidence))
	}
	return strings.Join(b, "\n  ")
}
