package cli_test

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/systemd-harden/systemd-harden/internal/cli"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
)

// benchDebs returns the packages testdata/bench/fetch.sh downloaded.
func benchDebs(b *testing.B) []string {
	b.Helper()
	out, err := exec.Command("../../testdata/bench/fetch.sh").Output()
	if err != nil {
		b.Skipf("bench packages unavailable: %v", err)
	}
	return strings.Fields(string(out))
}

// smallDebs returns the real packages of the test suite (63 small ones).
func smallDebs(b *testing.B) []string {
	b.Helper()
	debs, _ := filepath.Glob(filepath.Join(testcache.Dir(), "realpkgs", "debs", "*.deb"))
	if len(debs) < 20 {
		b.Skip("run testdata/realpkgs/fetch.sh first")
	}
	return debs
}

func runScore(b *testing.B, args ...string) {
	b.Helper()
	argv := append([]string{"systemd-harden", "score", "--format", "json", "--systemd-version", "252"}, args...)
	if st := cli.Run(context.Background(), argv, io.Discard, io.Discard); st != 0 {
		b.Fatalf("score exited %d", st)
	}
}

func dpkgTar(b *testing.B, debs []string) {
	b.Helper()
	for _, d := range debs {
		cmd := exec.Command("sh", "-c", `dpkg-deb --fsys-tarfile "$1" | tar -t >/dev/null`, "sh", d)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("dpkg-deb | tar -t %s: %v\n%s", d, err, out)
		}
	}
}

// BenchmarkDebs: `score` over ten real packages (two large) against the
// floor of listing their data.tar with dpkg-deb | tar -t, in the same run.
func BenchmarkDebs(b *testing.B) {
	debs := benchDebs(b)
	b.Run("score", func(b *testing.B) {
		for b.Loop() {
			runScore(b, debs...)
		}
	})
	b.Run("dpkg-deb-tar-t", func(b *testing.B) {
		for b.Loop() {
			dpkgTar(b, debs)
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var ours, floor time.Duration
		for b.Loop() {
			t0 := time.Now()
			runScore(b, debs...)
			t1 := time.Now()
			dpkgTar(b, debs)
			ours += t1.Sub(t0)
			floor += time.Since(t1)
		}
		b.ReportMetric(ours.Seconds()/floor.Seconds(), "score/dpkg-deb-tar")
		b.ReportMetric(float64(len(debs)), "packages")
	})
}

// BenchmarkLintian: `score` against lintian on three of the packages.
func BenchmarkLintian(b *testing.B) {
	if _, err := exec.LookPath("lintian"); err != nil {
		b.Skip("lintian not installed")
	}
	var three []string
	for _, d := range benchDebs(b) {
		for _, n := range []string{"/openssh-server_", "/redis-server_", "/systemd_"} {
			if strings.Contains(d, n) {
				three = append(three, d)
			}
		}
	}
	var ours, theirs time.Duration
	for b.Loop() {
		t0 := time.Now()
		runScore(b, three...)
		t1 := time.Now()
		for _, d := range three {
			// lintian's exit status reflects its own findings; only the time matters.
			_ = exec.Command("lintian", "--no-cfg", d).Run()
		}
		ours += t1.Sub(t0)
		theirs += time.Since(t1)
	}
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-faster-than-lintian")
}

// BenchmarkJobs: --jobs 2 over many small packages against the serial run.
func BenchmarkJobs(b *testing.B) {
	debs := smallDebs(b)
	var serial, parallel time.Duration
	for b.Loop() {
		t0 := time.Now()
		runScore(b, debs...)
		t1 := time.Now()
		runScore(b, append([]string{"--jobs", "2"}, debs...)...)
		serial += t1.Sub(t0)
		parallel += time.Since(t1)
	}
	b.ReportMetric(parallel.Seconds()/serial.Seconds(), "jobs2/serial")
	b.ReportMetric(float64(len(debs)), "packages")
}
