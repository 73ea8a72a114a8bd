package score_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/systemd-harden/systemd-harden/internal/score"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

type benchTree struct {
	root  string
	units []string
}

// benchTrees lists the service units of the real packages.
func benchTrees(b *testing.B) ([]benchTree, int) {
	b.Helper()
	trees := filepath.Join(testcache.Dir(), "realpkgs", "trees")
	ents, err := os.ReadDir(trees)
	if err != nil || len(ents) == 0 {
		b.Skipf("no package trees in %s (run testdata/realpkgs/fetch.sh)", trees)
	}
	var out []benchTree
	n := 0
	for _, e := range ents {
		root := filepath.Join(trees, e.Name())
		l, err := unitload.New(tree.DirFS{Root: root}, 252)
		if err != nil {
			b.Fatal(err)
		}
		names := l.Names("service")
		if len(names) == 0 {
			continue
		}
		out = append(out, benchTree{root, names})
		n += len(names)
	}
	return out, n
}

func scoreAll(b *testing.B, sc *score.Scorer, trees []benchTree) {
	for _, t := range trees {
		if _, err := sc.Named(tree.DirFS{Root: t.root}, t.units...); err != nil {
			b.Fatal(err)
		}
	}
}

// analyzeAll runs systemd-analyze once per package tree with all its
// units as arguments (batched: its start-up cost is paid once per tree).
func analyzeAll(b *testing.B, bin, policy string, trees []benchTree) {
	for _, t := range trees {
		args := append([]string{"security", "--offline=true", "--root=" + t.root, "--security-policy=" + policy, "--no-pager"}, t.units...)
		cmd := exec.CommandContext(context.Background(), bin, args...)
		_ = cmd.Run() // masked units make it exit 1; the others are still assessed
	}
}

// BenchmarkScore measures in-process scoring of every service unit of the
// real packages from disk, systemd-analyze batched over the same units,
// and the ratio of the two measured in the same iterations.
func BenchmarkScore(b *testing.B) {
	trees, n := benchTrees(b)
	sc, err := score.New(252)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			scoreAll(b, sc, trees)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "units/s")
	})
	// The same units already in memory, as the package readers hold them:
	// the scoring cost alone, without file system calls.
	mem := memTrees(b, trees)
	b.Run("ours-in-memory", func(b *testing.B) {
		for b.Loop() {
			for i, t := range trees {
				if _, err := sc.Named(mem[i], t.units...); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "units/s")
	})
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		b.Skip("systemd-analyze not installed")
	}
	policy := filepath.Join(b.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte("{}"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("systemd-analyze-batched", func(b *testing.B) {
		for b.Loop() {
			analyzeAll(b, bin, policy, trees)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "units/s")
	})
	b.Run("ratio", func(b *testing.B) {
		var ours, theirs time.Duration
		for b.Loop() {
			t0 := time.Now()
			scoreAll(b, sc, trees)
			t1 := time.Now()
			analyzeAll(b, bin, policy, trees)
			ours += t1.Sub(t0)
			theirs += time.Since(t1)
		}
		b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-faster-than-systemd-analyze")
		b.ReportMetric(float64(n), "units")
	})
}

// memTrees copies the unit directories of each tree into memory.
func memTrees(b *testing.B, trees []benchTree) []tree.FS {
	var out []tree.FS
	for _, t := range trees {
		m := tree.NewMemFS()
		for _, d := range []string{"lib/systemd/system", "usr/lib/systemd/system", "etc/systemd/system"} {
			root := filepath.Join(t.root, d)
			_ = filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, t.root+"/"))
				switch {
				case e.Type()&os.ModeSymlink != 0:
					target, _ := os.Readlink(p)
					m.AddSymlink(rel, target)
				case e.Type().IsRegular():
					data, err := os.ReadFile(p)
					if err != nil {
						b.Fatal(err)
					}
					m.AddFile(rel, data)
				case e.IsDir():
					m.AddDir(rel)
				}
				return nil
			})
		}
		out = append(out, m)
	}
	return out
}
