package rpmface

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/source"
)

// The tests drive Debian's rpmbuild with the macro file from the working
// tree and a CLI built once from it; every build gets a private _topdir.

var (
	repoRoot  string // absolute path of the module
	workDir   string // per-process scratch directory
	specDir   string // testdata/rpmmacro
	sourceDir string // testdata/rpmmacro/sources
	macroFile string // rpmmacros/macros.systemd_harden

	cliOnce sync.Once
	cliPath string
	cliErr  error
)

func TestMain(m *testing.M) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	repoRoot = root
	specDir = filepath.Join(root, "testdata", "rpmmacro")
	sourceDir = filepath.Join(specDir, "sources")
	macroFile = filepath.Join(root, "rpmmacros", "macros.systemd_harden")
	workDir, err = os.MkdirTemp("", "rpmface-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

// need skips the test when a tool is missing, or fails it when
// SYSTEMD_HARDEN_REQUIRE_ORACLE is set (make test).
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
				t.Fatalf("%s is required (SYSTEMD_HARDEN_REQUIRE_ORACLE is set): apt-get install rpm rpm2cpio cpio rpmlint", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

// cli builds the command once into the scratch directory.
func cli(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cliPath = filepath.Join(workDir, "systemd-harden")
		cmd := exec.Command(goTool, "build", "-o", cliPath, "./cmd/systemd-harden")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// run runs a command and returns its stdout, stderr and exit status.
func run(t *testing.T, name string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s: %v", name, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// result is one rpmbuild run.
type result struct {
	top  string   // its _topdir
	out  string   // stdout and stderr
	err  error    // non-nil when rpmbuild failed
	rpms []string // RPMS/*/*.rpm, sorted
}

// rpmbuild builds spec (a path) in a fresh _topdir with the macro file
// loaded, the CLI as %__systemd_harden and systemd 252 as the host's
// target; extra arguments come last and win.
func rpmbuild(t *testing.T, top, spec string, extra ...string) result {
	t.Helper()
	need(t, "rpmbuild")
	args := []string{"-bb", "--nodeps",
		"--define", "_topdir " + top,
		"--define", "_sourcedir " + sourceDir,
		"--load", macroFile, // before the defines that override it
		"--define", "__systemd_harden " + cli(t),
		"--define", "_systemd_harden_systemd_version 252"}
	args = append(args, extra...)
	args = append(args, spec)
	cmd := exec.Command("rpmbuild", args...)
	out, err := cmd.CombinedOutput()
	rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	sort.Strings(rpms)
	return result{top: top, out: string(out), err: err, rpms: rpms}
}

var (
	buildMu sync.Mutex
	builds  = map[string]*cached{}
)

type cached struct {
	once sync.Once
	r    result
}

// build is rpmbuild with the result shared by every test of this process
// (the apply tests and the rpmlint comparison use the same RPMs).
func build(t *testing.T, spec string, extra ...string) result {
	t.Helper()
	need(t, "rpmbuild") // before the Once: a skip inside it would leave an empty result
	cli(t)
	key := spec + "\x00" + strings.Join(extra, "\x00")
	buildMu.Lock()
	c := builds[key]
	if c == nil {
		c = &cached{}
		builds[key] = c
	}
	buildMu.Unlock()
	c.once.Do(func() {
		top, err := os.MkdirTemp(workDir, strings.TrimSuffix(spec, ".spec")+"-")
		if err != nil {
			c.r = result{err: err}
			return
		}
		c.r = rpmbuild(t, top, filepath.Join(specDir, spec), extra...)
	})
	return c.r
}

// planLine is one line of the report's plan.jsonl (Contracts: apply lines).
type planLine struct {
	Package *string     `json:"package"`
	Unit    string      `json:"unit"`
	Path    string      `json:"path"`
	Tier    string      `json:"tier"`
	Status  string      `json:"status"`
	Before  json.Number `json:"before"`
	After   json.Number `json:"after"`
	Added   []struct {
		Directive string `json:"directive"`
		Value     string `json:"value"`
	} `json:"added"`
	Dropin *string `json:"dropin"`
}

type scoreLine struct {
	Package  *string     `json:"package"`
	Unit     string      `json:"unit"`
	Exposure json.Number `json:"exposure"`
}

func mustFloat(t *testing.T, n json.Number) float64 {
	t.Helper()
	f, err := n.Float64()
	if err != nil {
		t.Fatalf("exposure %q: %v", n, err)
	}
	return f
}

func decodeLines[T any](t *testing.T, what, data string) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v: %s", what, err, sc.Text())
		}
		out = append(out, v)
	}
	return out
}

// rpmFile extracts one file of a built RPM with rpm2cpio and cpio.
func rpmFile(t *testing.T, rpm, name string) string {
	t.Helper()
	need(t, "rpm2cpio", "cpio")
	cmd := exec.Command("sh", "-c", `rpm2cpio "$1" | cpio -i --quiet --to-stdout ".$2"`, "sh", rpm, name)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("extracting %s from %s: %v", name, rpm, err)
	}
	return string(out)
}

func rpmQuery(t *testing.T, rpm string, args ...string) string {
	t.Helper()
	out, stderr, code := run(t, "rpm", append(append([]string{"-qp"}, args...), rpm)...)
	if code != 0 {
		t.Fatalf("rpm -qp %v %s: status %d: %s", args, rpm, code, stderr)
	}
	return out
}

// pkgWant is what one binary package built by a spec must contain.
type pkgWant struct {
	units    []string // units planned (and only these)
	report   string   // %doc name of the report directory
	filelist string   // base name of the -l file under %{_builddir}
	config   string   // -c file (sources/…), "" for none
	extra    []string // further files rpm -qlp must list
}

type applyCase struct {
	name    string
	spec    string
	extra   []string // rpmbuild arguments
	version string   // systemd the package targets
	tier    string
	pkgs    map[string]pkgWant
	output  []string // lines rpmbuild must print
}

var applyCases = []applyCase{
	{name: "default-tier", spec: "hello.spec", version: "252", tier: "baseline",
		pkgs: map[string]pkgWant{"hello": {units: []string{"hello.service"}, report: "systemd-harden-report",
			filelist: "systemd-harden-hello.files"}}},
	{name: "strict", spec: "hello-strict.spec", version: "252", tier: "strict",
		pkgs: map[string]pkgWant{"hello-strict": {units: []string{"hello.service"}, report: "systemd-harden-report",
			filelist: "systemd-harden-hello-strict.files",
			extra:    []string{"/usr/lib/systemd/system/hello.service.d/50-packager.conf"}}},
		// the generated %dir line repeats the spec's own: a warning, not an error
		output: []string{"warning: File listed twice: /usr/lib/systemd/system/hello.service.d"}},
	{name: "template-unit-257", spec: "worker.spec", version: "257", tier: "strict",
		pkgs: map[string]pkgWant{"worker": {units: []string{"worker@.service"}, report: "systemd-harden-report",
			filelist: "systemd-harden-worker.files"}}},
	{name: "sysv-initddir", spec: "hello-sysv.spec", version: "252", tier: "baseline",
		pkgs: map[string]pkgWant{"hello-sysv": {units: []string{"hello.service"}, report: "systemd-harden-report",
			filelist: "systemd-harden-hello-sysv.files", extra: []string{"/etc/init.d/hello"}}}},
	{name: "sysv-rc.d", spec: "hello-sysv.spec", extra: []string{"--define", "_initddir /etc/rc.d/init.d"},
		version: "252", tier: "baseline",
		pkgs: map[string]pkgWant{"hello-sysv": {units: []string{"hello.service"}, report: "systemd-harden-report",
			filelist: "systemd-harden-hello-sysv.files", extra: []string{"/etc/rc.d/init.d/hello"}}}},
	{name: "subpackages", spec: "multi.spec", version: "252", tier: "strict",
		pkgs: map[string]pkgWant{
			"multi-api": {units: []string{"multi-api.service"}, report: "report-api",
				filelist: "systemd-harden-multi-api.files", config: "multi-api.harden"},
			"multi-worker": {units: []string{"multi-worker.service"}, report: "report-worker",
				filelist: "systemd-harden-multi-worker.files"},
		}},
}

// TestApply builds the specs that apply a tier and checks every built RPM:
// rpm -qlp lists the drop-ins, their directories and the report; the
// generated file list is exactly %dir + drop-in per planned unit; our own
// reader finds each drop-in with every directive the plan added; the
// exposure `score` gives the built RPM equals the plan's `after`; `check`
// on the built RPM meets the tier.
func TestApply(t *testing.T) {
	for _, c := range applyCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := build(t, c.spec, c.extra...)
			if r.err != nil {
				t.Fatalf("rpmbuild %s: %v\n%s", c.spec, r.err, r.out)
			}
			for _, l := range c.output {
				if !strings.Contains(r.out, l) {
					t.Errorf("rpmbuild output lacks %q", l)
				}
			}
			if len(r.rpms) != len(c.pkgs) {
				t.Fatalf("built %v, want %d packages", r.rpms, len(c.pkgs))
			}
			for _, rpm := range r.rpms {
				name := rpmQuery(t, rpm, "--qf", "%{NAME}")
				want, ok := c.pkgs[name]
				if !ok {
					t.Fatalf("unexpected package %s", name)
				}
				t.Run(name, func(t *testing.T) { verifyApplied(t, c, r, rpm, name, want) })
			}
		})
	}
}

func verifyApplied(t *testing.T, c applyCase, r result, rpm, name string, want pkgWant) {
	files := map[string]bool{}
	var planPath string
	for _, f := range strings.Split(strings.TrimSpace(rpmQuery(t, rpm, "-l")), "\n") {
		files[f] = true
		if strings.HasPrefix(f, "/usr/share/doc/") && strings.HasSuffix(f, "/"+want.report+"/plan.jsonl") {
			planPath = f
		}
	}
	for _, f := range want.extra {
		if !files[f] {
			t.Errorf("rpm -qlp does not list %s", f)
		}
	}
	if planPath == "" {
		t.Fatalf("rpm -qlp lists no %%doc %s/plan.jsonl:\n%s", want.report, rpmQuery(t, rpm, "-l"))
	}
	if !files[path.Join(path.Dir(planPath), "plan.txt")] {
		t.Errorf("the report's plan.txt is not in the package")
	}
	// The plan as shipped in the package's %doc.
	plans := decodeLines[planLine](t, planPath, rpmFile(t, rpm, planPath))
	var units []string
	var list strings.Builder
	for _, p := range plans {
		units = append(units, p.Unit)
		// The macro names the (sub)package: %{name}, or -p.
		if p.Package == nil || *p.Package != name {
			t.Errorf("%s: plan names package %v, want %s", p.Unit, p.Package, name)
		}
		if p.Status != "rewritten" || p.Tier != c.tier || p.Dropin == nil {
			t.Fatalf("%s: status %s, tier %s, dropin %v; want rewritten, %s, a drop-in", p.Unit, p.Status, p.Tier, p.Dropin, c.tier)
		}
		dir := path.Dir(*p.Dropin)
		if *p.Dropin != path.Join(path.Dir(p.Path), p.Unit+".d", "10-systemd-harden.conf") {
			t.Errorf("%s: drop-in %s is not beside the unit %s", p.Unit, *p.Dropin, p.Path)
		}
		if !files[*p.Dropin] || !files[dir] {
			t.Errorf("rpm -qlp does not list %s and its directory", *p.Dropin)
		}
		fmt.Fprintf(&list, "%%dir %s\n%s\n", dir, *p.Dropin)
	}
	if strings.Join(units, " ") != strings.Join(want.units, " ") {
		t.Fatalf("planned units %v, want %v", units, want.units)
	}
	// The file list given to %files -f, still in %{_builddir}.
	fl, err := os.ReadFile(filepath.Join(r.top, "BUILD", want.filelist))
	if err != nil {
		t.Fatal(err)
	}
	if string(fl) != list.String() {
		t.Errorf("file list %s:\n%s\nwant:\n%s", want.filelist, fl, list.String())
	}
	// Our reader: the drop-ins as packaged carry every added directive.
	pkg, err := source.Open(context.Background(), rpm, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		data, err := pkg.Tree.ReadFile(*p.Dropin, 1<<20)
		if err != nil {
			t.Fatalf("our reader: %s in %s: %v", *p.Dropin, rpm, err)
		}
		if !strings.HasPrefix(string(data), "# Written by systemd-harden") {
			t.Errorf("%s does not start with our header:\n%s", *p.Dropin, data)
		}
		for _, a := range p.Added {
			if !strings.Contains(string(data), "\n"+a.Directive+"="+a.Value+"\n") {
				t.Errorf("%s lacks %s=%s", *p.Dropin, a.Directive, a.Value)
			}
		}
	}
	// The exposure of the built RPM is the plan's prediction.
	out, stderr, code := run(t, cli(t), "score", "--format", "json", "--systemd-version", c.version, rpm)
	if code != 0 {
		t.Fatalf("score %s: status %d: %s", rpm, code, stderr)
	}
	scores := map[string]scoreLine{}
	for _, s := range decodeLines[scoreLine](t, "score", out) {
		scores[s.Unit] = s
	}
	if len(scores) != len(plans) {
		t.Errorf("score lists %d units, the plan %d", len(scores), len(plans))
	}
	for _, p := range plans {
		s, ok := scores[p.Unit]
		if !ok {
			t.Errorf("score does not list %s", p.Unit)
			continue
		}
		if s.Package == nil || *s.Package != name {
			t.Errorf("score: package %v, want %s", s.Package, name)
		}
		if s.Exposure != p.After {
			t.Errorf("%s: exposure of the built RPM %s, the plan predicted %s (before %s)", p.Unit, s.Exposure, p.After, p.Before)
		}
		if after, _ := p.After.Float64(); after >= mustFloat(t, p.Before) && p.Before != "0.0" {
			t.Errorf("%s: exposure %s → %s did not go down", p.Unit, p.Before, p.After)
		}
	}
	// The built RPM meets the tier.
	args := []string{"check", "--format", "rpmlint", "--tier", c.tier, "--systemd-version", c.version}
	if want.config != "" {
		args = append(args, "--config", filepath.Join(sourceDir, want.config))
	}
	out, stderr, code = run(t, cli(t), append(args, rpm)...)
	if code != 0 || strings.Contains(out, ": E: ") {
		t.Errorf("check --tier %s %s: status %d\n%s%s", c.tier, rpm, code, out, stderr)
	}
}

// TestSysVFinding: an init script beside a unit in the built RPM is a
// sysv-init-script-with-unit finding naming the script (issue 7, item 4),
// printed in rpmlint style; rpmlint's own tags for the same package are
// pinned in TestRpmlintNoNewErrors.
func TestSysVFinding(t *testing.T) {
	for _, c := range applyCases {
		if c.spec != "hello-sysv.spec" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r := build(t, c.spec, c.extra...)
			if r.err != nil || len(r.rpms) != 1 {
				t.Fatalf("rpmbuild %s: %v\n%s", c.spec, r.err, r.out)
			}
			initScript := c.pkgs["hello-sysv"].extra[0]
			out, stderr, code := run(t, cli(t), "check", "--format", "json", "--fail-on", "none",
				"--systemd-version", c.version, r.rpms[0])
			if code != 0 {
				t.Fatalf("check: status %d: %s", code, stderr)
			}
			var hit bool
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.Contains(l, `"tag":"sysv-init-script-with-unit"`) {
					hit = true
					if !strings.Contains(l, `"path":"`+initScript+`"`) || !strings.Contains(l, `"unit":"hello.service"`) ||
						!strings.Contains(l, `"severity":"info"`) {
						t.Errorf("SysV finding does not name %s, hello.service, info:\n%s", initScript, l)
					}
				}
			}
			if !hit {
				t.Errorf("no sysv-init-script-with-unit finding for %s beside hello.service:\n%s", initScript, out)
			}
			out, _, code = run(t, cli(t), "check", "--format", "rpmlint", "--fail-on", "info",
				"--systemd-version", c.version, r.rpms[0])
			if code != 1 || !strings.Contains(out, "hello-sysv.noarch: I: sysv-init-script-with-unit") {
				t.Errorf("check --format rpmlint --fail-on info: status %d, want 1 and an I: line:\n%s", code, out)
			}
			// The migration notes read the built RPM's scriptlets (the
			// SysV era's chkconfig calls) and give the RPM-side change.
			out, stderr, code = run(t, cli(t), "sysv-notes", "--format", "json", "--next-version", "1.1-1",
				"--systemd-version", c.version, r.rpms[0])
			if code != 0 {
				t.Fatalf("sysv-notes: status %d: %s", code, stderr)
			}
			var note struct {
				Package string
				RPM     struct {
					Remove, Scriptlets []string
					Upgrade            string
				}
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.Split(strings.TrimSpace(out), "\n")[0])), &note); err != nil {
				t.Fatalf("sysv-notes JSON: %v\n%s", err, out)
			}
			joined := strings.Join(note.RPM.Scriptlets, "\n")
			for _, want := range []string{"%post", "chkconfig --add hello", "%preun", "chkconfig --del hello"} {
				if !strings.Contains(joined, want) {
					t.Errorf("notes' scriptlets lack %q:\n%s", want, out)
				}
			}
			if !strings.Contains(note.RPM.Upgrade, "%triggerun -- hello-sysv < 1.1-1") || !strings.Contains(note.RPM.Upgrade, "chkconfig --del hello") {
				t.Errorf("notes' upgrade trigger: %q", note.RPM.Upgrade)
			}
			if !strings.Contains(strings.Join(note.RPM.Remove, "\n"), initScript) {
				t.Errorf("notes do not say to drop %s: %v", initScript, note.RPM.Remove)
			}
			out, _, _ = run(t, cli(t), "explain", "sysv-init-script-with-unit")
			for _, want := range []string{"Fedora", "openSUSE", "%files"} {
				if !strings.Contains(out, want) {
					t.Errorf("explain sysv-init-script-with-unit lacks the %s guidance:\n%s", want, out)
				}
			}
		})
	}
}

// TestCheckOnlyFailsBuild: -n checks without writing and fails %install
// (rpmbuild exit status 1) with the rpmlint-style tags in the build log.
func TestCheckOnlyFailsBuild(t *testing.T) {
	t.Parallel()
	r := build(t, "hello-check.spec")
	if r.err == nil {
		t.Fatalf("rpmbuild succeeded, want a failed build:\n%s", r.out)
	}
	var ee *exec.ExitError
	if !errors.As(r.err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("rpmbuild: %v, want exit status 1", r.err)
	}
	tags := regexp.MustCompile(`(?m)^hello-check: E: tier-directive-missing /usr/lib/systemd/system/hello.service hello.service \S+.* \(tier strict\)$`).FindAllString(r.out, -1)
	if len(tags) == 0 {
		t.Fatalf("no tier-directive-missing tags in the build log:\n%s", r.out)
	}
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^1 packages and 0 specfiles checked; %d errors, `, len(tags))).MatchString(r.out) {
		t.Errorf("no rpmlint summary line counting %d errors:\n%s", len(tags), r.out)
	}
	if !regexp.MustCompile(`Bad exit status from \S+ \(%install\)`).MatchString(r.out) {
		t.Errorf("the build did not fail in %%install:\n%s", r.out)
	}
	if strings.Contains(r.out, "drop-in /usr") {
		t.Errorf("-n wrote a drop-in:\n%s", r.out)
	}
	if len(r.rpms) != 0 {
		t.Errorf("RPMs written: %v", r.rpms)
	}
}

// TestConfigOverride: -n -e warning -c CONFIG passes for a unit hardened
// by hand because the configuration overrides the one missing directive
// with a reason; the same build without the override line fails on
// exactly that directive. The unit's own sandbox (12 settings) makes the
// gap a tier-directive-missing-sandboxed warning, so the spec fails on
// warnings.
func TestConfigOverride(t *testing.T) {
	t.Parallel()
	r := build(t, "hello-config.spec")
	if r.err != nil {
		t.Fatalf("rpmbuild: %v\n%s", r.err, r.out)
	}
	if !strings.Contains(r.out, "1 packages and 0 specfiles checked; 0 errors, 0 warnings, 1 filtered") {
		t.Errorf("the check did not filter the overridden finding:\n%s", r.out)
	}
	rpm := r.rpms[0]
	if files := rpmQuery(t, rpm, "-l"); strings.Contains(files, ".service.d") {
		t.Errorf("-n wrote drop-ins:\n%s", files)
	}
	// The built RPM: passes with the configuration, fails without it.
	if out, _, code := run(t, cli(t), "check", "--format", "rpmlint", "--systemd-version", "252",
		"--config", filepath.Join(sourceDir, "hello-hardened.harden"), rpm); code != 0 {
		t.Errorf("check --config on the built RPM: status %d\n%s", code, out)
	}
	if out, _, code := run(t, cli(t), "check", "--format", "rpmlint", "--systemd-version", "252", "--fail-on", "warning", rpm); code != 1 ||
		!strings.Contains(out, "hello-config.noarch: W: tier-directive-missing-sandboxed /usr/lib/systemd/system/hello.service:12 hello.service PrivateDevices=yes") {
		t.Errorf("check without the configuration: status %d, want 1 with PrivateDevices\n%s", code, out)
	}

	// The same spec with the override removed from the configuration.
	src := filepath.Join(t.TempDir(), "sources")
	if err := os.CopyFS(src, os.DirFS(sourceDir)); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(src, "hello-hardened.harden")
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	stripped := regexp.MustCompile(`(?m)^override .*\n`).ReplaceAll(data, nil)
	if bytes.Equal(stripped, data) {
		t.Fatal("the configuration has no override line")
	}
	if err := os.WriteFile(conf, stripped, 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := rpmbuild(t, t.TempDir(), filepath.Join(specDir, "hello-config.spec"), "--define", "_sourcedir "+src)
	if r2.err == nil {
		t.Fatalf("without the override the build succeeded:\n%s", r2.out)
	}
	errs := regexp.MustCompile(`(?m)^\S+: [EW]: .*$`).FindAllString(r2.out, -1)
	if len(errs) != 1 || !strings.Contains(errs[0], "W: tier-directive-missing-sandboxed /usr/lib/systemd/system/hello.service:12 hello.service PrivateDevices=yes (tier baseline)") {
		t.Errorf("without the override: %q, want the one PrivateDevices finding\n%s", errs, r2.out)
	}
}

// TestCommentedOut: "# %systemd_harden -t strict" in %install is expanded
// by rpm (it expands macros in comments) but stays one commented line, so
// nothing runs and nothing is written. A control with a two-line macro body
// shows that the test would catch a multi-line expansion: its second line
// runs and leaves an unpackaged drop-in.
func TestCommentedOut(t *testing.T) {
	t.Parallel()
	need(t, "rpmbuild", "rpmspec")
	spec := filepath.Join(specDir, "hello-commented.spec")
	bin := cli(t)

	// What the shell gets: rpmspec -P prints the expanded spec.
	out, stderr, code := run(t, "rpmspec", "-P", "--define", "_sourcedir "+sourceDir, "--load", macroFile,
		"--define", "__systemd_harden "+bin, spec)
	if code != 0 {
		t.Fatalf("rpmspec -P: status %d: %s", code, stderr)
	}
	commented := regexp.MustCompile(`(?m)^# `+regexp.QuoteMeta(bin)+` apply .*'$`).FindAllString(out, -1)
	if len(commented) != 1 || !strings.Contains(commented[0], "--tier 'strict'") {
		t.Fatalf("the commented call is not one expanded comment line:\n%s", out)
	}
	if strings.Count(out, bin) != 1 {
		t.Errorf("the CLI appears outside the comment:\n%s", out)
	}
	if !strings.Contains(out, "\n#%systemd_harden -t strict (escaped: not expanded at all)\n") {
		t.Errorf("the escaped call was not left literal:\n%s", out)
	}
	// rpm 4.18 warns "Macro expanded in comment" for the preamble only.
	t.Logf("rpmspec -P stderr (rpm warns about comments only in the preamble): %q", stderr)

	r := build(t, "hello-commented.spec")
	if r.err != nil {
		t.Fatalf("rpmbuild: %v\n%s", r.err, r.out)
	}
	if strings.Contains(r.out, "rewritten") || strings.Contains(r.out, "drop-in /usr") {
		t.Errorf("the commented call ran:\n%s", r.out)
	}
	if files := rpmQuery(t, r.rpms[0], "-l"); strings.Contains(files, ".service.d") {
		t.Errorf("drop-ins packaged:\n%s", files)
	}
	if m, _ := filepath.Glob(filepath.Join(r.top, "BUILD", "systemd-harden-*")); len(m) != 0 {
		t.Errorf("the commented call wrote %v", m)
	}

	// Control: a body of two lines; the comment covers only the first.
	two := filepath.Join(t.TempDir(), "macros.two-lines")
	body := "%systemd_harden(t:c:ne:r:l:V:) echo two-line body\\\n%{__systemd_harden} apply --tier strict '%{buildroot}'\n"
	if err := os.WriteFile(two, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rc := rpmbuild(t, t.TempDir(), spec, "--load", two)
	if rc.err == nil || !strings.Contains(rc.out, "Installed (but unpackaged) file(s) found") ||
		!strings.Contains(rc.out, "/usr/lib/systemd/system/hello.service.d/10-systemd-harden.conf") {
		t.Errorf("control: a two-line body in a comment should run its second line and leave an unpackaged drop-in; rpmbuild: %v\n%s", rc.err, rc.out)
	}
}

// TestMacroMissingFailsBuild: a spec calling %systemd_harden on a host
// without the macro file fails in %install (the shell cannot run the
// literal "%systemd_harden"); it does not build an unhardened package.
func TestMacroMissingFailsBuild(t *testing.T) {
	t.Parallel()
	need(t, "rpmbuild")
	top := t.TempDir()
	out, err := exec.Command("rpmbuild", "-bb", "--nodeps", "--define", "_topdir "+top,
		"--define", "_sourcedir "+sourceDir, filepath.Join(specDir, "hello.spec")).CombinedOutput()
	if err == nil {
		t.Fatalf("rpmbuild succeeded without the macro file:\n%s", out)
	}
	if !regexp.MustCompile(`%systemd_harden: (command )?not found`).Match(out) ||
		!regexp.MustCompile(`Bad exit status from \S+ \(%install\)`).Match(out) {
		t.Errorf("want the shell's 'not found' and a failed %%install:\n%s", out)
	}
}

// TestExpansion: rpm --eval with the macro file loaded; every form expands
// to exactly one line, options map to the CLI's flags, values are quoted,
// and misuse stops the parse.
func TestExpansion(t *testing.T) {
	need(t, "rpm")
	eval := func(expr string, defs ...string) (string, string, int) {
		args := []string{"--load", macroFile, "--define", "buildroot /BR", "--define", "name pkg",
			"--define", "_builddir /B", "--define", "buildsubdir pkg-1.0"}
		args = append(args, defs...)
		return run(t, "rpm", append(args, "--eval", expr)...)
	}
	cases := []struct {
		call string
		defs []string
		want string
	}{
		{"%systemd_harden", nil,
			"systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --package 'pkg' '/BR'"},
		{"%systemd_harden -t strict", nil,
			"systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --tier 'strict' --package 'pkg' '/BR'"},
		{"%systemd_harden -n", nil,
			"systemd-harden check --format rpmlint --fail-on 'error' --package 'pkg' '/BR'"},
		{"%systemd_harden -n -e warning -t strict -c /S/x.harden -V 257 a.service", nil,
			"systemd-harden check --format rpmlint --fail-on 'warning' --tier 'strict' --config '/S/x.harden' --systemd-version '257' --package 'pkg' --unit 'a.service' '/BR'"},
		{"%systemd_harden -e info -l /abs/x.files -r rel a.service b@.service c\\x2dd.service", nil,
			"systemd-harden apply --filelist '/abs/x.files' --report '/B/pkg-1.0/rel' --fail-on 'info' --package 'pkg' --unit 'a.service' --unit 'b@.service' --unit 'c\\x2dd.service' '/BR'"},
		{"%systemd_harden -r /abs/rep", nil,
			"systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/abs/rep' --package 'pkg' '/BR'"},
		{"%systemd_harden", []string{"--define", "_systemd_harden_systemd_version 252"},
			"systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --systemd-version '252' --package 'pkg' '/BR'"},
		{"%systemd_harden -V 257", []string{"--define", "_systemd_harden_systemd_version 252"},
			"systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --systemd-version '257' --package 'pkg' '/BR'"},
		{"%systemd_harden", []string{"--define", "__systemd_harden /opt/bin/systemd-harden"},
			"/opt/bin/systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --package 'pkg' '/BR'"},
		{"%systemd_harden -p pkg-server -t strict a.service", nil,
			"systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --tier 'strict' --package 'pkg-server' --unit 'a.service' '/BR'"},
		// in a comment the whole expansion stays behind the "#"
		{"# %systemd_harden -t strict", nil,
			"# systemd-harden apply --filelist '/B/systemd-harden-pkg.files' --report '/B/pkg-1.0/systemd-harden-report' --tier 'strict' --package 'pkg' '/BR'"},
	}
	for _, c := range cases {
		out, stderr, code := eval(c.call, c.defs...)
		if code != 0 {
			t.Errorf("%s: status %d: %s", c.call, code, stderr)
			continue
		}
		got := strings.TrimSuffix(out, "\n")
		if strings.Contains(got, "\n") {
			t.Errorf("%s expands to more than one line:\n%s", c.call, got)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.call, got, c.want)
		}
	}
	// Without a build subdirectory (no %setup) the report goes to %{_builddir}.
	if out, _, _ := run(t, "rpm", "--load", macroFile, "--define", "_builddir /B", "--eval", "%{_systemd_harden_builddir}"); strings.TrimSpace(out) != "/B" {
		t.Errorf("without buildsubdir: %q, want /B", out)
	}
	for _, bad := range []struct{ call, msg string }{
		{"%systemd_harden -n -l /x.files", "-l cannot be combined with -n"},
		{"%systemd_harden -n -r rep", "-r cannot be combined with -n"},
		{"%systemd_harden a'b.service", "not a unit name: a'b.service"},
		{"%systemd_harden -p x'y", "not a package name: x'y"},
		{"%systemd_harden a$(id).service", "not a unit name: a$(id).service"},
		{"%systemd_harden -x", "systemd_harden"},
	} {
		out, stderr, code := eval(bad.call)
		if code == 0 || !strings.Contains(stderr, bad.msg) {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want a failure naming %q", bad.call, code, out, stderr, bad.msg)
		}
	}
	// The file defines no %_unitdir: whatever the host has stays as it is.
	before, _, _ := run(t, "rpm", "--eval", "%{?_unitdir}|%{?_initddir}")
	after, _, _ := run(t, "rpm", "--load", macroFile, "--eval", "%{?_unitdir}|%{?_initddir}")
	if before != after {
		t.Errorf("loading the macro file changed %%_unitdir/%%_initddir: %q → %q", before, after)
	}
}

// TestBuildPkgcheck pins what the README says about %_build_pkgcheck: the
// check runs on each finished .rpm; a failing check does not fail the
// build unless %_nonzero_exit_pkgcheck_terminate_build is 1, and even then
// the .rpm stays in RPMS/.
func TestBuildPkgcheck(t *testing.T) {
	t.Parallel()
	need(t, "rpmbuild")
	spec := filepath.Join(specDir, "hello-commented.spec") // no drop-ins: fails the baseline tier
	check := "_build_pkgcheck " + cli(t) + " check --format rpmlint --systemd-version 252"
	r := rpmbuild(t, t.TempDir(), spec, "--define", check)
	if r.err != nil {
		t.Errorf("a failing %%_build_pkgcheck failed the build (%v); rpm 4.18 only reports it:\n%s", r.err, r.out)
	}
	if !strings.Contains(r.out, "hello-commented.noarch: E: tier-directive-missing") ||
		!regexp.MustCompile(`error: Package check "[^"]*" failed`).MatchString(r.out) {
		t.Errorf("the package check did not run or did not report:\n%s", r.out)
	}
	r = rpmbuild(t, t.TempDir(), spec, "--define", check, "--define", "_nonzero_exit_pkgcheck_terminate_build 1")
	if r.err == nil {
		t.Errorf("with _nonzero_exit_pkgcheck_terminate_build 1 the build succeeded:\n%s", r.out)
	}
	if len(r.rpms) != 1 {
		t.Errorf("RPMs left: %v, want the checked one still on disk", r.rpms)
	}
}

// withoutMacro is the spec as it would be without %systemd_harden: the
// calls, the %files -f lists they write and the %doc of their reports gone.
func withoutMacro(spec string) string {
	var out []string
	call := regexp.MustCompile(`^%systemd_harden\b`)
	doc := regexp.MustCompile(`^%doc (systemd-harden-report|report-\S+)$`)
	filelist := regexp.MustCompile(` -f \S+`)
	for _, l := range strings.Split(spec, "\n") {
		switch {
		case call.MatchString(l), doc.MatchString(l):
			continue
		case strings.HasPrefix(l, "%files"):
			l = filelist.ReplaceAllString(l, "")
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// rpmlintErrors runs rpmlint on one RPM and returns its E: lines without
// the "name.arch:" part, and its W: lines likewise.
func rpmlintErrors(t *testing.T, rpm string, config string) (errs, warns []string) {
	t.Helper()
	args := []string{}
	if config != "" {
		args = append(args, "-c", config)
	}
	out, stderr, code := run(t, "rpmlint", append(args, rpm)...)
	if code != 0 && code != 64 {
		t.Fatalf("rpmlint %s: status %d (want 0 or 64, rpmlint's 'errors found')\n%s%s", rpm, code, out, stderr)
	}
	line := regexp.MustCompile(`^\S+: ([EW]): (.*)$`)
	for _, l := range strings.Split(out, "\n") {
		m := line.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		if m[1] == "E" {
			errs = append(errs, m[2])
		} else {
			warns = append(warns, m[2])
		}
	}
	if !strings.Contains(out, "packages and 0 specfiles checked") {
		t.Fatalf("rpmlint printed no summary:\n%s%s", out, stderr)
	}
	return errs, warns
}

func minus(a, b []string) []string {
	have := map[string]bool{}
	for _, x := range b {
		have[x] = true
	}
	var out []string
	for _, x := range a {
		if !have[x] {
			out = append(out, x)
		}
	}
	return out
}

// TestRpmlintNoNewErrors builds each spec with and without the macro and
// runs rpmlint (Debian's defaults, then with the SysV and tmpfiles checks
// that Fedora and openSUSE enable) on both: the macro adds no E: line.
func TestRpmlintNoNewErrors(t *testing.T) {
	need(t, "rpmlint", "rpmbuild")
	extraConfig := filepath.Join(specDir, "rpmlint-extra.toml")
	for _, c := range applyCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			with := build(t, c.spec, c.extra...)
			if with.err != nil {
				t.Fatalf("rpmbuild %s: %v\n%s", c.spec, with.err, with.out)
			}
			data, err := os.ReadFile(filepath.Join(specDir, c.spec))
			if err != nil {
				t.Fatal(err)
			}
			plain := withoutMacro(string(data))
			if plain == string(data) || strings.Contains(plain, "\n%systemd_harden") {
				t.Fatalf("could not strip the macro from %s", c.spec)
			}
			specFile := filepath.Join(t.TempDir(), c.spec)
			if err := os.WriteFile(specFile, []byte(plain), 0o644); err != nil {
				t.Fatal(err)
			}
			without := rpmbuild(t, t.TempDir(), specFile, c.extra...)
			if without.err != nil {
				t.Fatalf("rpmbuild without the macro: %v\n%s", without.err, without.out)
			}
			if len(with.rpms) != len(without.rpms) {
				t.Fatalf("with the macro %v, without %v", with.rpms, without.rpms)
			}
			for i := range with.rpms {
				for _, conf := range []string{"", extraConfig} {
					e1, w1 := rpmlintErrors(t, with.rpms[i], conf)
					e0, w0 := rpmlintErrors(t, without.rpms[i], conf)
					label := filepath.Base(with.rpms[i])
					if conf != "" {
						label += " (+" + filepath.Base(conf) + ")"
					}
					if n := minus(e1, e0); len(n) > 0 {
						t.Errorf("%s: new rpmlint errors with the macro: %q", label, n)
					}
					t.Logf("%s: %d errors with the macro, %d without; warnings new %q, gone %q",
						label, len(e1), len(e0), minus(w1, w0), minus(w0, w1))
				}
			}
		})
	}
}
