// Package testcache locates what the test setup downloads (`make fetch`:
// real Debian packages, their unpacked trees, the newer systemd-analyze)
// and decides whether a test without it skips or fails.
package testcache

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Dir is the cache directory: $SYSTEMD_HARDEN_CACHE, else the default the
// Makefile uses.
func Dir() string {
	if d := os.Getenv("SYSTEMD_HARDEN_CACHE"); d != "" {
		return d
	}
	return "/var/cache/systemd-harden-test"
}

// Required reports whether missing test inputs are failures rather than
// skips (`make test` sets SYSTEMD_HARDEN_REQUIRE_ORACLE, so a broken setup
// cannot pass by skipping).
func Required() bool { return os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" }

// Missing skips the test, or fails it when inputs are required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// RealDebs returns the real packages of testdata/realpkgs, sorted, or
// skips (fails) the test when they were not fetched.
func RealDebs(t testing.TB) []string {
	t.Helper()
	debs, _ := filepath.Glob(filepath.Join(Dir(), "realpkgs", "debs", "*.deb"))
	if len(debs) == 0 {
		Missing(t, "no packages in %s/realpkgs/debs (run testdata/realpkgs/fetch.sh)", Dir())
	}
	sort.Strings(debs)
	return debs
}
