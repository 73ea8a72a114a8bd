package score_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/exposure"
	"github.com/systemd-harden/systemd-harden/internal/oracle"
	"github.com/systemd-harden/systemd-harden/internal/score"
	"github.com/systemd-harden/systemd-harden/internal/sdversion"
	"github.com/systemd-harden/systemd-harden/internal/source"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

// requireOracle is set by `make test`: there a missing systemd-analyze or
// package cache is a failure, not a skip.
func requireOracle() bool { return testcache.Required() }

func analyzer(t *testing.T) *oracle.Analyzer {
	t.Helper()
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		testcache.Missing(t, "systemd-analyze not installed")
	}
	a, err := oracle.New(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// analyzer257 is systemd 257's systemd-analyze, run from trixie packages
// by testdata/oracle/systemd-analyze-257.sh, with a unit search path equal
// to our 257 model (merged /usr: /usr/lib, then /lib).
func analyzer257(t *testing.T) *oracle.Analyzer {
	t.Helper()
	script, err := filepath.Abs("../../testdata/oracle/systemd-analyze-257.sh")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SYSTEMD_HARDEN_ORACLE_257") == "" && !requireOracle() {
		t.Skip("set SYSTEMD_HARDEN_ORACLE_257=1 (make test does) to run the systemd 257 oracle")
	}
	a, err := oracle.New(context.Background(), script, t.TempDir())
	if err != nil {
		testcache.Missing(t, "systemd 257 oracle unavailable: %v", err)
	}
	if a.Version != 257 {
		t.Fatalf("oracle script gave systemd %d, want 257", a.Version)
	}
	a.Env = []string{"SYSTEMD_UNIT_PATH=" + strings.Join(sdversion.SearchPaths(257), ":")}
	return a
}

// compare checks our result for one unit against the oracle's and returns
// the differences (nil when identical).
func compare(ours score.Unit, theirs *oracle.Result, oerr error) []string {
	if oerr != nil {
		f, ok := oerr.(*oracle.Failure)
		if !ok {
			return []string{oerr.Error()}
		}
		switch {
		case f.Masked() && ours.Masked:
			return nil
		case !f.Masked() && ours.Err != nil:
			return nil
		}
		return []string{fmt.Sprintf("oracle failed (%v) but we gave masked=%v err=%v", f, ours.Masked, ours.Err)}
	}
	if ours.Err != nil || ours.Result == nil {
		return []string{fmt.Sprintf("oracle scored %s %s but we failed: masked=%v err=%v", theirs.ID, theirs.Exposure, ours.Masked, ours.Err)}
	}
	var diffs []string
	if got := exposure.Format(ours.Result.Exposure); got != theirs.Exposure {
		diffs = append(diffs, fmt.Sprintf("overall: ours %s, systemd %s", got, theirs.Exposure))
	}
	if ours.AnalyzedAs != theirs.ID {
		diffs = append(diffs, fmt.Sprintf("analyzed as: ours %s, systemd %s", ours.AnalyzedAs, theirs.ID))
	}
	rows := map[string]exposure.Row{}
	for _, r := range ours.Result.Rows {
		rows[r.Item.Name] = r
	}
	if len(theirs.Rows) != len(rows) {
		diffs = append(diffs, fmt.Sprintf("rows: ours %d, systemd %d", len(rows), len(theirs.Rows)))
	}
	for _, tr := range theirs.Rows {
		r, ok := rows[tr.Name]
		if !ok {
			diffs = append(diffs, "missing row "+tr.Name)
			continue
		}
		exp := ""
		if !r.NA && r.Badness > 0 {
			exp = exposure.Format(r.Exposure)
		}
		switch {
		case r.NA != tr.NA:
			diffs = append(diffs, fmt.Sprintf("%s: n/a ours %v, systemd %v", tr.Name, r.NA, tr.NA))
		case !r.NA && r.Badness != tr.Badness:
			diffs = append(diffs, fmt.Sprintf("%s: badness ours %d, systemd %d (%q vs %q)", tr.Name, r.Badness, tr.Badness, r.Description, tr.Description))
		case exp != tr.Exposure:
			diffs = append(diffs, fmt.Sprintf("%s: exposure ours %q, systemd %q", tr.Name, exp, tr.Exposure))
		case strings.Join(strings.Fields(r.Description), " ") != tr.Description:
			diffs = append(diffs, fmt.Sprintf("%s: description ours %q, systemd %q", tr.Name, r.Description, tr.Description))
		}
	}
	return diffs
}

type job struct {
	label, root, unit string
	detail            string // printed with a mismatch (the generated files)
}

// runDifferential scores every job with us and with systemd, in parallel,
// and reports every difference.
func runDifferential(t *testing.T, a *oracle.Analyzer, jobs []job) (compared int) {
	t.Helper()
	sc, err := score.New(a.Version)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		label  string
		diffs  []string
		detail string
	}
	results := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			theirs, oerr := a.Security(context.Background(), j.root, j.unit)
			us, err := sc.Named(tree.DirFS{Root: j.root}, j.unit)
			if err != nil {
				results[i] = outcome{j.label, []string{err.Error()}, j.detail}
				return
			}
			results[i] = outcome{j.label, compare(us[0], theirs, oerr), j.detail}
		}()
	}
	wg.Wait()
	bad := 0
	for _, r := range results {
		if len(r.diffs) > 0 {
			bad++
			t.Errorf("%s:\n  %s%s", r.label, strings.Join(r.diffs, "\n  "), r.detail)
		}
	}
	t.Logf("%d units compared with systemd-analyze %d, %d mismatches", len(jobs), a.Version, bad)
	return len(jobs)
}

// TestOracleGenerated compares generated combinations of hardening
// directives, resets, drop-ins, templates and aliases with systemd.
func TestOracleGenerated(t *testing.T) { testGenerated(t, analyzer(t)) }

// TestOracleGenerated257 is the same against systemd 257.
func TestOracleGenerated257(t *testing.T) { testGenerated(t, analyzer257(t)) }

func testGenerated(t *testing.T, a *oracle.Analyzer) {
	base := t.TempDir()
	var jobs []job
	seed := uint64(1)
	if v := os.Getenv("SYSTEMD_HARDEN_GEN_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	for i, c := range generateCases(360, seed) {
		root := filepath.Join(base, fmt.Sprint(i))
		c.write(t, root)
		jobs = append(jobs, job{label: fmt.Sprintf("case %d (%s)", i, c.name), root: root, unit: c.name, detail: c.dump()})
	}
	if n := runDifferential(t, a, jobs); n < 300 {
		t.Fatalf("only %d generated units", n)
	}
}

// TestOracleRealPackages compares every service unit of the real Debian
// packages the test setup downloaded (testdata/realpkgs/fetch.sh).
func TestOracleRealPackages(t *testing.T) { testRealPackages(t, analyzer(t)) }

// TestOracleRealPackages257 is the same against systemd 257.
func TestOracleRealPackages257(t *testing.T) { testRealPackages(t, analyzer257(t)) }

func testRealPackages(t *testing.T, a *oracle.Analyzer) {
	trees := filepath.Join(testcache.Dir(), "realpkgs", "trees")
	ents, err := os.ReadDir(trees)
	if err != nil || len(ents) == 0 {
		testcache.Missing(t, "no package trees in %s (run testdata/realpkgs/fetch.sh)", trees)
	}
	if v, err := os.ReadFile(filepath.Join(testcache.Dir(), "realpkgs", "versions.txt")); err == nil {
		t.Logf("package versions:\n%s", v)
	}
	var jobs []job
	pkgs := 0
	for _, e := range ents {
		root := filepath.Join(trees, e.Name())
		l, err := unitload.New(tree.DirFS{Root: root}, a.Version)
		if err != nil {
			t.Fatal(err)
		}
		names := l.Names("service")
		if len(names) > 0 {
			pkgs++
		}
		sort.Strings(names)
		for _, n := range names {
			jobs = append(jobs, job{label: e.Name() + ": " + n, root: root, unit: n})
		}
	}
	if pkgs < 20 {
		t.Fatalf("only %d packages with service units in %s", pkgs, trees)
	}
	runDifferential(t, a, jobs)
}

// TestOracleRealDebs reads every real package as a .deb (both xz
// decoders) and checks that each service unit scores as systemd scores the
// extracted tree: score pkg.deb == score <tree> == systemd-analyze.
func TestOracleRealDebs(t *testing.T) {
	a := analyzer(t)
	versions, err := os.ReadFile(filepath.Join(testcache.Dir(), "realpkgs", "versions.txt"))
	if err != nil {
		testcache.Missing(t, "no package cache (run testdata/realpkgs/fetch.sh): %v", err)
	}
	sc, err := score.New(a.Version)
	if err != nil {
		t.Fatal(err)
	}
	trees := filepath.Join(testcache.Dir(), "realpkgs", "trees")
	pkgs, units := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(versions)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		name, deb := f[0], f[2]
		root := filepath.Join(trees, name)
		for _, m := range []decompress.Method{decompress.Exec, decompress.Go} {
			p, err := debread.Read(context.Background(), deb, debread.Options{XZ: m})
			if err != nil {
				t.Fatalf("%s: %v", deb, err)
			}
			if p.Name != name {
				t.Errorf("%s: package name %q, want %q", deb, p.Name, name)
			}
			fromDeb, err := sc.Tree(p.Tree)
			if err != nil {
				t.Fatal(err)
			}
			fromTree, err := sc.Tree(tree.DirFS{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			if len(fromDeb) != len(fromTree) {
				t.Errorf("%s (%s): %d units from the .deb, %d from the tree", name, m, len(fromDeb), len(fromTree))
				continue
			}
			for i, u := range fromDeb {
				if u.Type != "service" {
					continue
				}
				theirs, oerr := a.Security(context.Background(), root, u.Unit)
				if diffs := compare(u, theirs, oerr); len(diffs) > 0 {
					t.Errorf("%s: %s from the .deb (%s):\n  %s", name, u.Unit, m, strings.Join(diffs, "\n  "))
				}
				if d := compare(fromTree[i], theirs, oerr); len(d) > 0 || fromTree[i].Unit != u.Unit {
					t.Errorf("%s: %s from the tree differs", name, u.Unit)
				}
				if m == decompress.Exec {
					units++
				}
			}
		}
		pkgs++
	}
	if pkgs < 20 {
		t.Fatalf("only %d packages", pkgs)
	}
	t.Logf("%d service units of %d .deb packages score as systemd-analyze scores their trees", units, pkgs)
}

// TestOracleRPM builds RPMs from testdata/rpm with rpmbuild in gzip, xz
// and zstd payloads and checks that `score x.rpm` equals systemd-analyze
// on the same unit files (extracted with rpm2cpio | cpio).
func TestOracleRPM(t *testing.T) {
	a := analyzer(t)
	for _, tool := range []string{"rpmbuild", "rpm2cpio", "cpio"} {
		if _, err := exec.LookPath(tool); err != nil {
			testcache.Missing(t, "%s not installed", tool)
		}
	}
	spec, _ := filepath.Abs("../../testdata/rpm/foo.spec")
	sc, err := score.New(a.Version)
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, define := range []string{"w9.gzdio", "w6.xzdio", "w19.zstdio"} {
		top := t.TempDir()
		cmd := exec.Command("rpmbuild", "-bb", "--nodeps", "--define", "_topdir "+top,
			"--define", "_sourcedir "+filepath.Join(filepath.Dir(spec), "foo"), "--define", "_tmppath "+top,
			"--define", "_binary_payload "+define, spec)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rpmbuild %s: %v\n%s", define, err, out)
		}
		rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
		if len(rpms) != 1 {
			t.Fatalf("built %v", rpms)
		}
		p, err := source.Open(context.Background(), rpms[0], source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tree := t.TempDir()
		x := exec.Command("sh", "-c", `rpm2cpio "$1" | cpio -idm --quiet`, "sh", rpms[0])
		x.Dir = tree
		if out, err := x.CombinedOutput(); err != nil {
			t.Fatalf("rpm2cpio: %v\n%s", err, out)
		}
		us, err := sc.Tree(p.Tree)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if u.Type != "service" {
				continue
			}
			theirs, oerr := a.Security(context.Background(), tree, u.Unit)
			if diffs := compare(u, theirs, oerr); len(diffs) > 0 {
				t.Errorf("%s (%s): %s:\n  %s", filepath.Base(rpms[0]), define, u.Unit, strings.Join(diffs, "\n  "))
			}
			units++
		}
	}
	if units < 6 {
		t.Fatalf("only %d units compared", units)
	}
	t.Logf("%d service units of RPMs in three payload formats score as systemd-analyze scores them", units)
}
