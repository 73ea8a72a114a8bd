// Package dhtest builds the sample source packages under testdata/dh/ with
// dpkg-buildpackage, using dh_systemd_harden and the systemd-harden add-on
// from this working tree (PATH and PERL5LIB point at the build), and checks
// the .debs that come out. It is the end-to-end proof of the Debian face.
package dhtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireOracle turns a skip into a failure when the build host promised
// the tools (make test sets it after installing them).
func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
				t.Fatalf("%s is missing (install dpkg-dev, debhelper, lintian)", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
}

// tree is this working tree's build of the Debian face.
type tree struct {
	root    string // module root
	bin     string // holds the dh_systemd_harden wrapper
	libexec string // holds the Go binaries
	err     error
}

var (
	buildOnce sync.Once
	built     tree
	builtDir  string
)

// TestMain removes the shared build of the Go commands after all tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

func build(t testing.TB) *tree {
	t.Helper()
	need(t, "dpkg-buildpackage", "dh", "dpkg-deb", "go")
	buildOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			built.err = err
			return
		}
		dir, err := os.MkdirTemp("", "dhtest-")
		if err != nil {
			built.err = err
			return
		}
		builtDir = dir
		built = tree{root: root, bin: filepath.Join(dir, "bin"), libexec: filepath.Join(dir, "libexec")}
		for _, c := range []string{"dh_systemd_harden", "systemd-harden"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(built.libexec, c), "./cmd/"+c)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				built.err = fmt.Errorf("go build %s: %v\n%s", c, err, out)
				return
			}
		}
		// The wrapper as installed, so dh reads its NOOP promise.
		w, err := os.ReadFile(filepath.Join(root, "debhelper", "dh_systemd_harden"))
		if err != nil {
			built.err = err
			return
		}
		if err := os.MkdirAll(built.bin, 0o755); err != nil {
			built.err = err
			return
		}
		built.err = os.WriteFile(filepath.Join(built.bin, "dh_systemd_harden"), w, 0o755)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return &built
}

func (tr *tree) env() []string {
	var env []string
	for _, e := range os.Environ() {
		// The host's debhelper settings must not leak into the samples.
		if strings.HasPrefix(e, "DH_") || strings.HasPrefix(e, "DEB_BUILD_OPTIONS=") || strings.HasPrefix(e, "MAKEFLAGS=") {
			continue
		}
		env = append(env, e)
	}
	return append(env,
		"PATH="+tr.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PERL5LIB="+filepath.Join(tr.root, "debhelper"),
		"DH_SYSTEMD_HARDEN_LIBEXEC="+tr.libexec,
		"LC_ALL=C.UTF-8",
	)
}

func hostArch(t testing.TB) string {
	out, err := exec.Command("dpkg-architecture", "-qDEB_HOST_ARCH").Output()
	if err != nil {
		t.Fatalf("dpkg-architecture: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// sample copies testdata/dh/<name> into a fresh directory, naming
// @HOSTARCH@ files for the build host, and applies edit.
func (tr *tree) sample(t testing.TB, name string, edit func(dir string)) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	arch := hostArch(t)
	src := filepath.Join(tr.root, "testdata", "dh", name)
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, strings.ReplaceAll(rel, "@HOSTARCH@", arch))
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(dst)
	}
	return dst
}

// dpkgBuild runs dpkg-buildpackage -us -uc -b -d (-d: the add-on comes
// from the working tree, not from an installed dh-systemd-harden).
func (tr *tree) dpkgBuild(dir string) (stdout, stderr string, took time.Duration, err error) {
	cmd := exec.Command("dpkg-buildpackage", "-us", "-uc", "-b", "-d")
	cmd.Dir = dir
	cmd.Env = tr.env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err = cmd.Run()
	return o.String(), e.String(), time.Since(start), err
}

func (tr *tree) mustBuild(t testing.TB, dir string) string {
	t.Helper()
	out, errs, took, err := tr.dpkgBuild(dir)
	if err != nil {
		t.Fatalf("dpkg-buildpackage: %v\n%s\n%s", err, out, errs)
	}
	t.Logf("%s built in %v", filepath.Base(dir), took.Round(time.Millisecond))
	return out + errs
}

func deb(dir, pkg string) string {
	return filepath.Join(filepath.Dir(dir), pkg+"_1.0_all.deb")
}

// contents lists a .deb's paths (without the leading ".").
func contents(t *testing.T, debfile string) map[string]bool {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--fsys-tarfile", debfile).Output()
	if err != nil {
		t.Fatalf("dpkg-deb %s: %v", debfile, err)
	}
	tl := exec.Command("tar", "-t")
	tl.Stdin = bytes.NewReader(out)
	list, err := tl.Output()
	if err != nil {
		t.Fatalf("tar -t %s: %v", debfile, err)
	}
	m := map[string]bool{}
	for _, l := range strings.Split(string(list), "\n") {
		if l = strings.TrimSuffix(strings.TrimPrefix(l, "."), "/"); l != "" {
			m[l] = true
		}
	}
	return m
}

type planLine struct {
	Unit   string   `json:"unit"`
	Tier   string   `json:"tier"`
	Status string   `json:"status"`
	Before *float64 `json:"before"`
	After  *float64 `json:"after"`
	Added  []struct {
		Directive string `json:"directive"`
	} `json:"added"`
	Dropin *string `json:"dropin"`
}

func readPlan(t *testing.T, dir, pkg string) map[string]planLine {
	t.Helper()
	f := filepath.Join(dir, "debian/.debhelper/systemd-harden", pkg, "plan.jsonl")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatalf("the plan: %v", err)
	}
	m := map[string]planLine{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var p planLine
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m[p.Unit] = p
	}
	return m
}

// score is `systemd-harden score --format json` on the built .deb.
func (tr *tree) score(t *testing.T, debfile string) map[string]float64 {
	t.Helper()
	out, err := exec.Command(filepath.Join(tr.libexec, "systemd-harden"), "score", "--format", "json", debfile).Output()
	if err != nil {
		t.Fatalf("score %s: %v", debfile, err)
	}
	m := map[string]float64{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var s struct {
			Unit     string   `json:"unit"`
			Exposure *float64 `json:"exposure"`
		}
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("score line %q: %v", l, err)
		}
		if s.Exposure != nil {
			m[s.Unit] = *s.Exposure
		}
	}
	return m
}

// checkHardened asserts that each unit got a drop-in in the .deb, that
// the exposure of the built package is what the plan predicted and lower
// than before, and that the .deb meets the tier (check exits 0).
func (tr *tree) checkHardened(t *testing.T, dir, pkg, tier, config string, units ...string) map[string]planLine {
	t.Helper()
	d := deb(dir, pkg)
	files := contents(t, d)
	plan := readPlan(t, dir, pkg)
	score := tr.score(t, d)
	for _, u := range units {
		p, ok := plan[u]
		if !ok {
			t.Fatalf("%s: no plan line for %s", pkg, u)
		}
		if p.Status != "rewritten" || p.Dropin == nil || p.Tier != tier {
			t.Errorf("%s: status %s, tier %s (want rewritten, %s), dropin %v", u, p.Status, p.Tier, tier, p.Dropin)
			continue
		}
		if !files[*p.Dropin] {
			t.Errorf("%s: drop-in %s missing from %s", u, *p.Dropin, filepath.Base(d))
		}
		got, ok := score[u]
		if !ok || p.After == nil || got != *p.After {
			t.Errorf("%s: exposure of the .deb %v, the plan predicted %v", u, got, p.After)
		}
		if p.Before == nil || p.After == nil || !(*p.After < *p.Before) {
			t.Errorf("%s: exposure %v → %v, not lower", u, p.Before, p.After)
		}
	}
	args := []string{"check", "--tier", tier}
	if config != "" {
		args = append(args, "--config", filepath.Join(dir, "debian", config))
	}
	out, err := exec.Command(filepath.Join(tr.libexec, "systemd-harden"), append(args, d)...).CombinedOutput()
	if err != nil {
		t.Errorf("%s does not meet tier %s: %v\n%s", filepath.Base(d), tier, err, out)
	}
	return plan
}

// lintianTags returns the E: and W: lines lintian reports for a .deb,
// with the version-independent part only.
func lintianTags(t *testing.T, debfile string) []string {
	t.Helper()
	need(t, "lintian")
	out, _ := exec.Command("lintian", "--no-cfg", "--no-tag-display-limit", debfile).Output()
	var tags []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ") {
			tags = append(tags, l)
		}
	}
	sort.Strings(tags)
	return tags
}

// noNewLintian builds the sample again with the command disabled (an
// empty override target, as a packager would) and compares lintian's
// errors and warnings.
func (tr *tree) noNewLintian(t *testing.T, name, pkg, hardened string) {
	t.Helper()
	base := tr.sample(t, name, func(dir string) {
		f, err := os.OpenFile(filepath.Join(dir, "debian/rules"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString("\noverride_dh_systemd_harden:\n"); err != nil {
			t.Fatal(err)
		}
	})
	tr.mustBuild(t, base)
	want := lintianTags(t, deb(base, pkg))
	got := lintianTags(t, deb(hardened, pkg))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lintian differs with dh_systemd_harden:\n got %q\nwant %q", got, want)
	}
}

func TestDaemon(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "daemon", nil)
	log := tr.mustBuild(t, dir)
	// dh runs the command right after dh_installsystemd.
	if !strings.Contains(log, "   dh_installsystemd\n   dh_systemd_harden\n") {
		t.Errorf("dh_systemd_harden did not run after dh_installsystemd:\n%s", log)
	}
	tr.checkHardened(t, dir, "hello-daemon", "baseline", "", "hello-daemon.service")
	tr.noNewLintian(t, "daemon", "hello-daemon", dir)

	// The time the command adds to a build: run it again in the built
	// tree, as dh would (its drop-ins are then left unchanged).
	cmd := exec.Command(filepath.Join(tr.bin, "dh_systemd_harden"))
	cmd.Dir, cmd.Env = dir, tr.env()
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dh_systemd_harden: %v\n%s", err, out)
	}
	t.Logf("dh_systemd_harden on one package: %v", time.Since(start).Round(time.Millisecond))

	// -v prints the command and the changed files, --no-act writes nothing.
	cmd = exec.Command(filepath.Join(tr.bin, "dh_systemd_harden"), "-v", "--no-act", "-O--tier=strict", "-O--buildsystem=none")
	cmd.Dir, cmd.Env = dir, tr.env()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\tsystemd-harden apply --format json") || !strings.Contains(string(out), "--tier strict") {
		t.Errorf("-v --no-act: %v\n%s", err, out)
	}
}

func TestTemplateAndSocket(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "template", nil)
	tr.mustBuild(t, dir)
	tr.checkHardened(t, dir, "hello-socket", "baseline", "", "hello-socket@.service")
	files := contents(t, deb(dir, "hello-socket"))
	for f := range files {
		if strings.Contains(f, ".socket.d") {
			t.Errorf("a socket got a drop-in: %s", f)
		}
	}
	tr.noNewLintian(t, "template", "hello-socket", dir)
}

func TestMultiBinaryExcludesOne(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "multi", nil)
	tr.mustBuild(t, dir)
	tr.checkHardened(t, dir, "multi-a", "baseline", "", "multi-a.service")
	for f := range contents(t, deb(dir, "multi-b")) {
		if strings.Contains(f, "systemd-harden") {
			t.Errorf("multi-b was excluded with -N but ships %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "debian/.debhelper/systemd-harden/multi-b")); err == nil {
		t.Error("multi-b has a plan though -N excluded it")
	}
	// The override ran the command, so dh logged it for both packages
	// that were acted on (and only those).
	if b, err := os.ReadFile(filepath.Join(dir, "debian/multi-a.debhelper.log")); err != nil || !strings.Contains(string(b), "dh_systemd_harden\n") {
		t.Errorf("multi-a.debhelper.log: %q %v", b, err)
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "config", nil)
	tr.mustBuild(t, dir)
	plan := tr.checkHardened(t, dir, "hello-config", "strict", "hello-config.systemd-harden", "hello-config.service")
	for _, a := range plan["hello-config.service"].Added {
		if a.Directive == "MemoryDenyWriteExecute" {
			t.Error("MemoryDenyWriteExecute added though the config drops it")
		}
	}
}

func TestArchVariantConfig(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "archvariant", nil)
	tr.mustBuild(t, dir)
	// debian/hello-variant.systemd-harden.<host arch> says strict and
	// wins over debian/hello-variant.systemd-harden (baseline).
	tr.checkHardened(t, dir, "hello-variant", "strict", "", "hello-variant.service")
}

func TestCheckOnly(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "checkonly", nil)
	out, errs, _, err := tr.dpkgBuild(dir)
	if err == nil {
		t.Fatalf("--check-only with unmet strict tier: the build passed\n%s", out)
	}
	if !strings.Contains(errs, "E: hello-check: tier-directive-missing hello-check.service") {
		t.Errorf("the tags are not on stderr:\n%s", errs)
	}
	// With the gaps overridden (each with a reason) the build passes and
	// nothing is rewritten.
	ok := tr.sample(t, "checkonly", func(d string) {
		cfg := "# This sample is checked, never hardened.\noverride tier-directive-missing hello-check.service because the sample proves that overrides pass --check-only\n"
		if err := os.WriteFile(filepath.Join(d, "debian/hello-check.systemd-harden"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	tr.mustBuild(t, ok)
	for f := range contents(t, deb(ok, "hello-check")) {
		if strings.Contains(f, "systemd-harden") {
			t.Errorf("--check-only wrote %s", f)
		}
	}
}

func TestNoUnitsNoRun(t *testing.T) {
	t.Parallel()
	tr := build(t)
	dir := tr.sample(t, "nounits", nil)
	log := tr.mustBuild(t, dir)
	if !strings.Contains(log, "dh_installdeb") {
		t.Fatalf("no dh sequence in the build log:\n%s", log)
	}
	// dh reads the wrapper's NOOP promise and never starts the command.
	if strings.Contains(log, "dh_systemd_harden") {
		t.Errorf("dh ran dh_systemd_harden for a package without units:\n%s", log)
	}
}

// TestProjectPackages checks the project's own .debs (make deb; the
// directory in SYSTEMD_HARDEN_DEBS): lintian reports no error or warning,
// dh-systemd-harden provides the dh sequence, and the autopkgtest
// debian/tests/build-sample passes with both packages unpacked in a
// scratch root instead of installed.
func TestProjectPackages(t *testing.T) {
	dir := os.Getenv("SYSTEMD_HARDEN_DEBS")
	if dir == "" {
		t.Skip("SYSTEMD_HARDEN_DEBS (the directory make deb wrote) is unset")
	}
	tr := build(t)
	need(t, "lintian")
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	root := t.TempDir()
	var found []string
	for _, d := range debs {
		name := filepath.Base(d)
		if strings.Contains(name, "-dbgsym_") || !(strings.HasPrefix(name, "systemd-harden_") || strings.HasPrefix(name, "dh-systemd-harden_")) {
			continue
		}
		found = append(found, name)
		if out, err := exec.Command("dpkg", "-x", d, root).CombinedOutput(); err != nil {
			t.Fatalf("dpkg -x %s: %v\n%s", name, err, out)
		}
		if tags := lintianTags(t, d); len(tags) > 0 {
			t.Errorf("lintian on %s:\n%s", name, strings.Join(tags, "\n"))
		}
		if strings.HasPrefix(name, "dh-systemd-harden_") {
			out, _ := exec.Command("dpkg-deb", "-f", d, "Provides", "Multi-Arch").Output()
			if !strings.Contains(string(out), "dh-sequence-systemd-harden") || !strings.Contains(string(out), "foreign") {
				t.Errorf("%s control: %s", name, out)
			}
		}
	}
	if len(found) != 2 {
		t.Fatalf("want systemd-harden and dh-systemd-harden in %s, found %q", dir, found)
	}
	cmd := exec.Command("sh", filepath.Join(tr.root, "debian/tests/build-sample"))
	cmd.Dir = tr.root
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Join(root, "usr/bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PERL5LIB="+filepath.Join(root, "usr/share/perl5"),
		"DH_SYSTEMD_HARDEN_LIBEXEC="+filepath.Join(root, "usr/libexec/systemd-harden"),
		"DPKG_BUILDPACKAGE_EXTRA=-d",
		"AUTOPKGTEST_TMP="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("debian/tests/build-sample: %v\n%s", err, out)
	}
}

// BenchmarkCommand measures what dh_systemd_harden adds to a build: the
// installed-style wrapper and the Go command on the built daemon sample,
// against dh_installsystemd on the same tree (the command dh runs just
// before it) as the baseline measured in the same run. The goal is
// ≤ 100 ms per package.
func BenchmarkCommand(b *testing.B) {
	tr := build(b)
	dir := tr.sample(b, "daemon", nil)
	tr.mustBuild(b, dir)
	run := func(argv ...string) time.Duration {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = dir, tr.env()
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", argv[0], err, out)
		}
		return time.Since(start)
	}
	var harden, base time.Duration
	b.ResetTimer()
	for b.Loop() {
		harden += run(filepath.Join(tr.bin, "dh_systemd_harden"))
		base += run("dh_installsystemd")
	}
	n := float64(b.N)
	b.ReportMetric(harden.Seconds()*1000/n, "harden-ms/op")
	b.ReportMetric(base.Seconds()*1000/n, "installsystemd-ms/op")
	b.ReportMetric(float64(harden)/float64(base), "ratio")
}
