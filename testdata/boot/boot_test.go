// Package boot_test is the boot-verified tier harness (issue 9): for each
// (service, tier) case it boots Debian 12's systemd under systemd-nspawn,
// installs the real package unchanged (the control) and as rewritten by
// `systemd-harden apply --tier T`, starts the units and probes them.
//
// `go test ./...` never reaches this package (Go skips testdata
// directories); run it by path, as root:
//
//	go test -v -timeout 30m ./testdata/boot/                                 # smoke: one service per tier
//	SYSTEMD_HARDEN_BOOT_SET=full go test -v -timeout 60m ./testdata/boot/    # every case
//
// It skips, printing why, when the machine cannot boot a container (not
// root, no systemd-nspawn, nsenter or mmdebstrap) or SYSTEMD_HARDEN_BOOT=0.
// Other knobs: SYSTEMD_HARDEN_BOOT_CASES (regexp on case ids such as
// nginx/strict), SYSTEMD_HARDEN_BOOT_JOBS (parallel cases, default the CPU
// count), SYSTEMD_HARDEN_BIN (a prebuilt CLI; default: built from this
// tree), SYSTEMD_HARDEN_CACHE (default /var/cache/systemd-harden-test; the
// rootfs lives in its boot/ directory) and SYSTEMD_HARDEN_BOOT_RESULTS (the
// JSON result file; default boot/results-<set>.json in the cache).
package boot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/systemd-harden/systemd-harden/internal/boot"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func TestBoot(t *testing.T) {
	switch os.Getenv("SYSTEMD_HARDEN_BOOT") {
	case "0", "off", "no", "false":
		t.Skip("boot tests disabled: SYSTEMD_HARDEN_BOOT=" + os.Getenv("SYSTEMD_HARDEN_BOOT"))
	}
	if ok, why := boot.CanBoot(); !ok {
		fmt.Println("boot tests skipped: cannot boot a container:", why)
		t.Skip("cannot boot a container: " + why)
	}
	set := env("SYSTEMD_HARDEN_BOOT_SET", "smoke")
	var cases []boot.Case
	switch set {
	case "smoke":
		cases = boot.SmokeCases()
	case "full":
		cases = boot.AllCases()
	default:
		t.Fatalf("SYSTEMD_HARDEN_BOOT_SET=%q: want smoke or full", set)
	}
	if re := os.Getenv("SYSTEMD_HARDEN_BOOT_CASES"); re != "" {
		rx, err := regexp.Compile(re)
		if err != nil {
			t.Fatal(err)
		}
		var keep []boot.Case
		for _, c := range cases {
			if rx.MatchString(c.ID()) {
				keep = append(keep, c)
			}
		}
		cases = keep
	}
	if len(cases) == 0 {
		t.Fatal("no cases selected")
	}
	cache := filepath.Join(env("SYSTEMD_HARDEN_CACHE", "/var/cache/systemd-harden-test"), "boot")
	ctx := context.Background()

	bin := os.Getenv("SYSTEMD_HARDEN_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "systemd-harden")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/systemd-harden/systemd-harden/cmd/systemd-harden")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	var buildLog bytes.Buffer
	t0 := time.Now()
	root, release, err := boot.EnsureRootfs(ctx, cache, boot.Packages(), &buildLog)
	if err != nil {
		t.Fatalf("rootfs: %v\n%s", err, buildLog.String())
	}
	defer release()
	t.Logf("rootfs %s (%.1fs)", root, time.Since(t0).Seconds())

	h := &boot.Harness{Root: root, Bin: bin, WorkDir: t.TempDir()}
	jobs := runtime.NumCPU()
	if n, err := strconv.Atoi(os.Getenv("SYSTEMD_HARDEN_BOOT_JOBS")); err == nil && n > 0 {
		jobs = n
	}
	results := make([]boot.Result, len(cases))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	t1 := time.Now()
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = h.Run(ctx, c)
			r := results[i]
			fmt.Printf("boot: %-32s %-15s %5.1fs\n", r.ID, r.Outcome, r.Seconds)
		}()
	}
	wg.Wait()

	out := env("SYSTEMD_HARDEN_BOOT_RESULTS", filepath.Join(cache, "results-"+set+".json"))
	b, err := json.MarshalIndent(map[string]any{
		"set": set, "rootfs": root, "jobs": jobs, "seconds": time.Since(t1).Seconds(),
		"finished": time.Now().UTC().Format(time.RFC3339), "results": results,
	}, "", "  ")
	if err == nil {
		err = os.WriteFile(out, append(b, '\n'), 0o644)
	}
	if err != nil {
		t.Errorf("result file: %v", err)
	}
	fmt.Printf("\nboot results (%s set, %d jobs, %.0fs): %s\n", set, jobs, time.Since(t1).Seconds(), out)
	passed, failed := boot.Summary(os.Stdout, results)
	for _, r := range results {
		if r.Counted() && !r.Passed() {
			t.Errorf("%s: %s %s", r.ID, r.Outcome, r.Error)
		}
	}
	if passed+failed == 0 {
		t.Errorf("no case counted: every control failed")
	}
	checkClean(t, root)
}

// checkClean asserts that no container, cgroup, propagation directory or
// mount of this run is left behind.
func checkClean(t *testing.T, root string) {
	prefix := fmt.Sprintf("sdh%d-", os.Getpid())
	for _, g := range []string{"/sys/fs/cgroup/unified/", "/sys/fs/cgroup/systemd/", "/sys/fs/cgroup/", "/run/systemd/nspawn/propagate/"} {
		m, _ := filepath.Glob(g + prefix + "*")
		for _, d := range m {
			t.Errorf("left behind: %s", d)
		}
	}
	if out, _ := exec.Command("pgrep", "-f", "systemd-nspawn -D "+root).Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-nspawn still running: pids %s", strings.Fields(string(out)))
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		if strings.Contains(l, root) {
			t.Errorf("mount left behind: %s", l)
		}
	}
}
