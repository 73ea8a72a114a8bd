package debtest

import (
	"archive/tar"
	"crypto/md5"
	"fmt"
	"slices"
	"strings"
)

// RealisticDeb returns a small valid package of the shape debhelper
// produces for a daemon, with every kind of file the reader has to
// classify. For pkg "foo" it ships:
//
//	/etc/default/foo                                        conffile
//	/etc/init.d/foo                                  0755   conffile, LSB init script
//	/lib/systemd/system/foo-alias.service  -> foo.service   alias symlink (Alias= in foo.service)
//	/lib/systemd/system/foo-legacy.service -> /dev/null     mask symlink
//	/lib/systemd/system/foo.service                         User=foo, EnvironmentFile=-/etc/default/foo
//	/lib/systemd/system/foo.service.d/override.conf         drop-in
//	/lib/systemd/system/foo@.service                        template
//	/usr/bin/foo-helper                              04755  setuid
//	/usr/lib/sysusers.d/foo.conf                            creates user foo
//	/usr/sbin/food                                   0755   the daemon
//	/usr/share/doc/foo/copyright
//
// in dpkg-deb's order (sorted by name, each directory before its contents,
// starting with "./"), all owned by root, with the control files control,
// conffiles (both /etc files), md5sums (without the conffiles, as
// dh_md5sums writes it) and a postinst that calls adduser. Compression is
// dpkg-deb's default (xz); set the result's fields for others.
func RealisticDeb(pkg, version string) Deb {
	unitDir := "./lib/systemd/system/"
	files := []Entry{
		{Name: "./etc/default/" + pkg, Body: []byte(fmt.Sprintf(
			"# Options for %[1]s, read by the unit and the init script.\n%[2]s_OPTS=\"\"\n",
			pkg, strings.ToUpper(strings.ReplaceAll(pkg, "-", "_"))))},
		{Name: "./etc/init.d/" + pkg, Mode: 0o755, Body: []byte(initScript(pkg))},
		{Name: unitDir + pkg + ".service", Body: []byte(fmt.Sprintf(`[Unit]
Description=%[1]s daemon
Documentation=man:%[1]sd(8)
After=network.target

[Service]
Type=simple
User=%[1]s
EnvironmentFile=-/etc/default/%[1]s
ExecStart=/usr/sbin/%[1]sd --foreground
Restart=on-failure

[Install]
WantedBy=multi-user.target
Alias=%[1]s-alias.service
`, pkg))},
		{Name: unitDir + pkg + "-alias.service", Type: tar.TypeSymlink, Linkname: pkg + ".service"},
		{Name: unitDir + pkg + "-legacy.service", Type: tar.TypeSymlink, Linkname: "/dev/null"},
		{Name: unitDir + pkg + ".service.d/override.conf", Body: []byte("[Service]\nNice=5\n")},
		{Name: unitDir + pkg + "@.service", Body: []byte(fmt.Sprintf(`[Unit]
Description=%[1]s worker %%i

[Service]
User=%[1]s
ExecStart=/usr/sbin/%[1]sd --worker %%i
`, pkg))},
		{Name: "./usr/bin/" + pkg + "-helper", Mode: 0o4755, Body: []byte("#!/bin/sh\n# stands in for a setuid ELF binary\nexit 0\n")},
		{Name: "./usr/lib/sysusers.d/" + pkg + ".conf", Body: []byte(fmt.Sprintf("u %[1]s - \"%[1]s daemon\" /var/lib/%[1]s\n", pkg))},
		{Name: "./usr/sbin/" + pkg + "d", Mode: 0o755, Body: []byte("#!/bin/sh\n# stands in for the daemon\nexec sleep infinity\n")},
		{Name: "./usr/share/doc/" + pkg + "/copyright", Body: []byte(
			"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: none\nLicense: CC0-1.0\n")},
	}
	conffiles := []string{"/etc/default/" + pkg, "/etc/init.d/" + pkg}
	slices.SortFunc(files, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })

	// Directories first, each once, in the order dpkg-deb's sorted walk
	// lists them (files and directories interleave by name).
	data := []Entry{{Name: "./", Type: tar.TypeDir}}
	seen := map[string]bool{"./": true}
	var md5sums strings.Builder
	installedKiB := int64(0)
	for _, f := range files {
		for i := len("./"); i < len(f.Name); i++ {
			if f.Name[i] == '/' && !seen[f.Name[:i+1]] {
				seen[f.Name[:i+1]] = true
				data = append(data, Entry{Name: f.Name[:i+1], Type: tar.TypeDir})
				installedKiB++
			}
		}
		data = append(data, f)
		installedKiB += (int64(len(f.Body)) + 1023) / 1024
		if f.Type == tar.TypeSymlink {
			installedKiB++
		}
		path := strings.TrimPrefix(f.Name, ".")
		if f.Type == 0 && !slices.Contains(conffiles, path) {
			fmt.Fprintf(&md5sums, "%x  %s\n", md5.Sum(f.Body), strings.TrimPrefix(path, "/"))
		}
	}

	control := fmt.Sprintf(`Package: %[1]s
Version: %[2]s
Architecture: amd64
Maintainer: Test Maintainer <test@example.org>
Installed-Size: %[3]d
Depends: adduser
Section: admin
Priority: optional
Description: synthetic daemon package for tests
 Ships a systemd unit, a template, an alias and a mask, a drop-in, an LSB
 init script, a sysusers.d file and a setuid helper.
`, pkg, version, installedKiB)

	return Deb{
		Control: map[string][]byte{
			"control":   []byte(control),
			"conffiles": []byte(strings.Join(conffiles, "\n") + "\n"),
			"md5sums":   []byte(md5sums.String()),
			"postinst":  []byte(postinst(pkg)),
		},
		Data: data,
	}
}

func initScript(pkg string) string {
	return fmt.Sprintf(`#!/bin/sh
### BEGIN INIT INFO
# Provides:          %[1]s
# Required-Start:    $remote_fs $syslog
# Required-Stop:     $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: %[1]s daemon
### END INIT INFO

DAEMON=/usr/sbin/%[1]sd
[ -x "$DAEMON" ] || exit 0
[ -r /etc/default/%[1]s ] && . /etc/default/%[1]s
. /lib/lsb/init-functions

case "$1" in
start)	start-stop-daemon --start --quiet --background --exec "$DAEMON" ;;
stop)	start-stop-daemon --stop --quiet --exec "$DAEMON" ;;
restart|force-reload) "$0" stop; "$0" start ;;
status)	status_of_proc "$DAEMON" %[1]s ;;
*)	echo "Usage: $0 {start|stop|restart|force-reload|status}" >&2; exit 3 ;;
esac
`, pkg)
}

func postinst(pkg string) string {
	return fmt.Sprintf(`#!/bin/sh
set -e

if [ "$1" = configure ]; then
	adduser --system --group --quiet --home /var/lib/%[1]s --no-create-home %[1]s
fi

if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
	if [ -x /etc/init.d/%[1]s ]; then
		update-rc.d %[1]s defaults >/dev/null
	fi
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		deb-systemd-invoke restart %[1]s.service >/dev/null || true
	fi
fi

exit 0
`, pkg)
}
