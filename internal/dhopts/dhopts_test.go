package dhopts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The control file every case selects from: one arch:all package (the
// main one), one for any arch, one for arm64 only, one disabled unless
// the "pkg.sample.extra" profile is active, one for linux-any.
const controlText = `Source: sample
Maintainer: Sample Maintainer <sample@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-systemd-harden

Package: sample-daemon
Architecture: all
Description: d

Package: sample-bin
Architecture: any
Description: b

Package: sample-arm
Architecture: arm64 armhf
Description: a

Package: sample-extra
Architecture: all
Build-Profiles: <pkg.sample.extra>
Description: e

Package: sample-linux
Architecture: linux-any
Description: l
`

func setup(t *testing.T) *Control {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("debian", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("debian/control", []byte(controlText), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadControl("debian/control")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestWhatDhPasses replays the argument vectors and environments recorded
// from dh 13.11.4 driving a spy dh_systemd_harden (dpkg-buildpackage -b
// and -A on a sample package; see testdata/dh/README.md).
func TestWhatDhPasses(t *testing.T) {
	cases := []struct {
		name     string
		argv     []string
		env      map[string]string
		packages []string
		tier     string
		report   string
		noAct    bool
		verbose  bool
		override bool
	}{
		{name: "plain dh binary", argv: nil,
			packages: []string{"sample-daemon", "sample-bin", "sample-linux"}},
		{name: "dh $@ --tier=strict, -b", argv: []string{"-O--tier=strict"},
			packages: []string{"sample-daemon", "sample-bin", "sample-linux"}, tier: "strict"},
		{name: "dh $@ --tier=strict, -A", argv: []string{"-i", "-O--tier=strict"},
			packages: []string{"sample-daemon"}, tier: "strict"},
		{name: "dh $@ --tier=strict, -B", argv: []string{"-a", "-O--tier=strict"},
			packages: []string{"sample-bin", "sample-linux"}, tier: "strict"},
		{name: "override target", argv: []string{"--report=r", "--no-act"},
			env:      map[string]string{"DH_INTERNAL_OPTIONS": "-i\x1e-O--tier=strict", "DH_INTERNAL_OVERRIDE": "dh_systemd_harden"},
			packages: []string{"sample-daemon"}, tier: "strict", report: "r", noAct: true, override: true},
		{name: "override target with -p of an excluded package",
			argv:     []string{"-psample-bin"},
			env:      map[string]string{"DH_INTERNAL_OPTIONS": "-i", "DH_INTERNAL_OVERRIDE": "dh_systemd_harden"},
			packages: nil, override: true},
		{name: "override target, command line tier wins over -O", argv: []string{"--tier", "baseline"},
			env:      map[string]string{"DH_INTERNAL_OPTIONS": "-a\x1e-O--tier=strict"},
			packages: []string{"sample-bin", "sample-linux"}, tier: "baseline"},
		{name: "DH_OPTIONS", argv: nil, env: map[string]string{"DH_OPTIONS": "-v -Nsample-bin"},
			packages: []string{"sample-daemon", "sample-linux"}, verbose: true},
		{name: "DH_OPTIONS with an unknown option warns", argv: nil, env: map[string]string{"DH_OPTIONS": "--frobnicate -psample-bin"},
			packages: []string{"sample-bin"}},
		{name: "unknown -O ignored, known -O used", argv: []string{"-O--buildsystem=cmake", "-O--parallel", "-O-v", "-O--no-act"},
			packages: []string{"sample-daemon", "sample-bin", "sample-linux"}, verbose: true, noAct: true},
		{name: "-O with a separate value", argv: []string{"-O", "--tier=dynamic-user"},
			packages: []string{"sample-daemon", "sample-bin", "sample-linux"}, tier: "dynamic-user"},
		{name: "bundled -vi", argv: []string{"-vi"}, packages: []string{"sample-daemon"}, verbose: true},
		{name: "-p twice, -N wins", argv: []string{"-p", "sample-daemon", "--package=sample-bin", "-N", "sample-daemon"},
			packages: []string{"sample-bin"}},
		{name: "-p of another arch's package", argv: []string{"-psample-arm"}, packages: nil},
		{name: "DH_VERBOSE", env: map[string]string{"DH_VERBOSE": "1"},
			packages: []string{"sample-daemon", "sample-bin", "sample-linux"}, verbose: true},
		{name: "DH_NO_ACT", env: map[string]string{"DH_NO_ACT": "1"},
			packages: []string{"sample-daemon", "sample-bin", "sample-linux"}, noAct: true},
		{name: "build profile enables a package", env: map[string]string{"DEB_BUILD_PROFILES": "nocheck pkg.sample.extra"},
			packages: []string{"sample-daemon", "sample-bin", "sample-extra", "sample-linux"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctl := setup(t)
			env := map[string]string{"DEB_HOST_ARCH": "amd64"}
			for k, v := range c.env {
				env[k] = v
			}
			host, err := HostFromEnv(envOf(env))
			if err != nil {
				t.Fatal(err)
			}
			o, err := Parse(c.argv, envOf(env), ctl, host)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o.Packages, c.packages) {
				t.Errorf("packages = %q, want %q (warnings %q)", o.Packages, c.packages, o.Warnings)
			}
			if o.Tier != c.tier || o.Report != c.report || o.NoAct != c.noAct || o.Verbose != c.verbose || o.Override != c.override {
				t.Errorf("got tier=%q report=%q noact=%v verbose=%v override=%v", o.Tier, o.Report, o.NoAct, o.Verbose, o.Override)
			}
			if len(c.packages) == 0 && len(o.Warnings) == 0 {
				t.Errorf("no package selected but no warning")
			}
			if strings.Contains(c.name, "warns") && len(o.Warnings) == 0 {
				t.Errorf("expected a warning")
			}
		})
	}
}

func TestOptionsAndEnvironment(t *testing.T) {
	ctl := setup(t)
	env := map[string]string{"DEB_HOST_ARCH": "arm64", "DH_ALWAYS_EXCLUDE": "CVS:.svn", "DH_QUIET": "1"}
	host, err := HostFromEnv(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse([]string{"-a", "-Xfoo.service", "--exclude", "bar", "--systemd-version=257", "--check-only", "--fail-on", "warning", "one.service", "--", "-two.service"},
		envOf(env), ctl, host)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sample-bin", "sample-arm", "sample-linux"}; !reflect.DeepEqual(o.Packages, want) {
		t.Errorf("packages %q, want %q", o.Packages, want)
	}
	if want := []string{"foo.service", "bar", "CVS", ".svn"}; !reflect.DeepEqual(o.Exclude, want) {
		t.Errorf("exclude %q, want %q", o.Exclude, want)
	}
	if want := []string{"one.service", "-two.service"}; !reflect.DeepEqual(o.Units, want) {
		t.Errorf("units %q, want %q", o.Units, want)
	}
	if o.SystemdVersion != "257" || !o.CheckOnly || o.FailOn != "warning" || !o.Quiet || o.MainPackage != "sample-daemon" {
		t.Errorf("options %+v", o)
	}
}

func TestErrors(t *testing.T) {
	for _, argv := range [][]string{
		{"--frobnicate"},
		{"-pnot-a-package"},
		{"-Nnot-a-package"},
		{"--tier"},
		{"-P", "debian/x"}, // more than one package with -P
		{"--check-only=yes"},
	} {
		ctl := setup(t)
		host, _ := HostFromEnv(envOf(map[string]string{"DEB_HOST_ARCH": "amd64"}))
		if _, err := Parse(argv, envOf(nil), ctl, host); err == nil {
			t.Errorf("%q: no error", argv)
		}
	}
}

func TestRemainingPackagesAndLog(t *testing.T) {
	ctl := setup(t)
	host, _ := HostFromEnv(envOf(map[string]string{"DEB_HOST_ARCH": "amd64"}))
	env := map[string]string{"DH_INTERNAL_OVERRIDE": "dh_systemd_harden"}
	o, err := Parse([]string{"-psample-daemon"}, envOf(env), ctl, host)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.WriteLog(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("debian/sample-daemon.debhelper.log")
	if err != nil || string(b) != "dh_systemd_harden\n" {
		t.Fatalf("log %q, %v", b, err)
	}
	o, err = Parse([]string{"--remaining-packages"}, envOf(nil), ctl, host)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sample-bin", "sample-linux"}; !reflect.DeepEqual(o.Packages, want) {
		t.Errorf("packages %q, want %q", o.Packages, want)
	}
	// --no-act writes no log.
	o, _ = Parse([]string{"-psample-bin", "--no-act"}, envOf(env), ctl, host)
	if err := o.WriteLog(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("debian/sample-bin.debhelper.log"); err == nil {
		t.Error("log written under --no-act")
	}
}

func TestPkgFile(t *testing.T) {
	ctl := setup(t)
	host, _ := HostFromEnv(envOf(map[string]string{"DEB_HOST_ARCH": "amd64"}))
	o, _ := Parse(nil, envOf(nil), ctl, host)
	write := func(name string) {
		if err := os.WriteFile(filepath.Join("debian", name), []byte("tier strict\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "" {
		t.Errorf("found %q in an empty debian/", got)
	}
	write("systemd-harden")
	if got := o.PkgFile("debian", "sample-daemon", "systemd-harden", host); got != "debian/systemd-harden" {
		t.Errorf("main package: %q", got)
	}
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "" {
		t.Errorf("non-main package got the prefix-less file: %q", got)
	}
	write("sample-bin.systemd-harden")
	write("sample-bin.systemd-harden.debhelper") // never a config file
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "debian/sample-bin.systemd-harden" {
		t.Errorf("package file: %q", got)
	}
	write("sample-bin.systemd-harden.linux")
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "debian/sample-bin.systemd-harden.linux" {
		t.Errorf("OS variant: %q", got)
	}
	write("sample-bin.systemd-harden.amd64")
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "debian/sample-bin.systemd-harden.amd64" {
		t.Errorf("arch variant: %q", got)
	}
	o.Name = "web"
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "" {
		t.Errorf("--name web: %q", got)
	}
	write("sample-bin.web.systemd-harden")
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", host); got != "debian/sample-bin.web.systemd-harden" {
		t.Errorf("--name web: %q", got)
	}
	o.Name = ""
	arm, _ := HostFromEnv(envOf(map[string]string{"DEB_HOST_ARCH": "arm64"}))
	if got := o.PkgFile("debian", "sample-bin", "systemd-harden", arm); got != "debian/sample-bin.systemd-harden.linux" {
		t.Errorf("arm64 host: %q", got)
	}
}

func TestArchMatching(t *testing.T) {
	h := &Host{Arch: "amd64"}
	for field, want := range map[string]bool{
		"any": true, "amd64": true, "linux-any": true, "any-amd64": true, "arm64 amd64": true,
		"arm64": false, "hurd-any": false, "kfreebsd-any": false, "any-i386": false, "i386": false,
	} {
		if got := h.Matches(field); got != want {
			t.Errorf("amd64 matches %q = %v, want %v", field, got, want)
		}
	}
}

func TestProfiles(t *testing.T) {
	for _, c := range []struct {
		formula string
		active  []string
		want    bool
	}{
		{"", nil, true},
		{"<!nocheck>", nil, true},
		{"<!nocheck>", []string{"nocheck"}, false},
		{"<stage1 cross>", []string{"stage1"}, false},
		{"<stage1 cross> <pkg.x.y>", []string{"pkg.x.y"}, true},
		{"<stage1 cross>", []string{"cross", "stage1"}, true},
	} {
		got, err := profileEnabled(c.formula, c.active)
		if err != nil || got != c.want {
			t.Errorf("%q with %q = %v, %v; want %v", c.formula, c.active, got, err, c.want)
		}
	}
	if _, err := profileEnabled("<unterminated", nil); err == nil {
		t.Error("no error for a broken formula")
	}
}
