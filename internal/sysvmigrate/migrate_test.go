package sysvmigrate

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot is every path under dir with its contents, for before/after
// comparisons.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var l []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s := rel + " " + fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += " " + string(b)
		}
		l = append(l, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// TestApplyRollback: when a write fails half-way, files already replaced
// or deleted are put back and no temporary file is left.
func TestApplyRollback(t *testing.T) {
	dir := writeTree(t, map[string]string{"debian/a": "old a\n", "debian/b.init": "#!/bin/sh\n", "debian/zz/x": "blocks\n"})
	before := snapshot(t, dir)
	r := &Result{Changes: []FileChange{
		{Path: "debian/a", Old: []byte("old a\n"), New: []byte("new a\n"), Mode: 0o644},
		{Path: "debian/b.init", Old: []byte("#!/bin/sh\n"), Mode: 0o644},
		{Path: "debian/c", New: []byte("new c\n"), Mode: 0o644},
		// a non-empty directory where a new file should go: the rename fails
		{Path: "debian/zz", New: []byte("zz\n"), Mode: 0o644},
	}}
	if err := r.Apply(dir); err == nil {
		t.Fatal("Apply over a directory succeeded")
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("tree changed by a failed Apply:\n%s\nwant\n%s", after, before)
	}
}

var base = map[string]string{
	"debian/control": "Source: hello\nMaintainer: J <j@example.org>\n\nPackage: hello\nArchitecture: all\nPre-Depends: ${misc:Pre-Depends}\nDescription: x\n y\n",
	"debian/changelog": "hello (1.1-1) UNRELEASED; urgency=medium\n\n  * WIP.\n\n -- J <j@example.org>  Mon, 13 Nov 2023 10:00:00 +0000\n\n" +
		"hello (1.0-1) unstable; urgency=medium\n\n  * Initial.\n\n -- J <j@example.org>  Sun, 12 Nov 2023 10:00:00 +0000\n",
	"debian/init":            "#!/bin/sh\n",
	"upstream/hello.service": "[Service]\nExecStart=/usr/bin/hello\n",
}

// TestPlanRules: debian/init of the first package counts; a unit in the
// upstream tree replaces it; --changelog extends an UNRELEASED entry of
// the same version instead of adding one; a postinst without #DEBHELPER#
// is an input error; output is the same on every run; the changelog
// written parses with dpkg-parsechangelog when it is installed.
func TestPlanRules(t *testing.T) {
	dir := writeTree(t, base)
	opts := Options{Changelog: true, Now: time.Unix(1700000000, 0).UTC()}
	r, err := Plan(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Blockers) != 0 || r.Version != "1.1-1" {
		t.Fatalf("blockers %v, version %s", r.Blockers, r.Version)
	}
	var paths []string
	for _, c := range r.Changes {
		paths = append(paths, c.Path)
	}
	if got := strings.Join(paths, " "); got != "debian/NEWS debian/changelog debian/hello.maintscript debian/hello.postinst debian/init" {
		t.Errorf("changes: %s", got)
	}
	r2, _ := Plan(dir, opts)
	if string(r.Diff()) != string(r2.Diff()) {
		t.Error("two plans differ")
	}
	if err := r.Apply(dir); err != nil {
		t.Fatal(err)
	}
	cl, _ := os.ReadFile(filepath.Join(dir, "debian/changelog"))
	if strings.Count(string(cl), "UNRELEASED") != 1 || !strings.Contains(string(cl), "  * Drop the SysV init script /etc/init.d/hello;") {
		t.Errorf("changelog:\n%s", cl)
	}
	fi, err := os.Stat(filepath.Join(dir, "debian/hello.postinst"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("new postinst: %v %v", fi, err)
	}
	if _, err := exec.LookPath("dpkg-parsechangelog"); err == nil {
		for _, f := range []string{"debian/changelog", "debian/NEWS"} {
			out, err := exec.Command("dpkg-parsechangelog", "-l", filepath.Join(dir, f), "-S", "Version").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "1.1-1" {
				t.Errorf("dpkg-parsechangelog %s: %s %v", f, out, err)
			}
		}
	}

	// A symlinked postinst is refused, not replaced.
	dir = writeTree(t, base)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "debian/hello.postinst")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	if _, err := Plan(dir, Options{}); err == nil || !strings.Contains(err.Error(), "debian/hello.postinst: not a regular file") {
		t.Errorf("symlinked postinst: %v", err)
	}
	if snapshot(t, dir) != before {
		t.Error("tree changed")
	}

	files := map[string]string{"debian/hello.postinst": "#!/bin/sh\nexit 0\n"}
	for k, v := range base {
		files[k] = v
	}
	dir = writeTree(t, files)
	if _, err := Plan(dir, Options{}); err == nil || !strings.Contains(err.Error(), "no #DEBHELPER# line") {
		t.Errorf("postinst without #DEBHELPER#: %v", err)
	}
}

// TestVersionRules: the first version without the script must be newer
// than the last release even under an UNRELEASED entry, and --changelog
// does not stack a second UNRELEASED entry.
func TestVersionRules(t *testing.T) {
	dir := writeTree(t, base)
	before := snapshot(t, dir)
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Version: "1.0-1"}, "not newer than the released 1.0-1"},
		{Options{Version: "0.9"}, "not newer than the released 1.0-1"},
		{Options{Version: "1.2-1", Changelog: true}, "the top entry 1.1-1 is UNRELEASED but --version is 1.2-1"},
	} {
		_, err := Plan(dir, c.opts)
		var ie *InputError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ie) {
			t.Errorf("Plan(%+v) = %v, want an input error with %q", c.opts, err, c.want)
		}
	}
	if r, err := Plan(dir, Options{Version: "1.2-1"}); err != nil || r.Version != "1.2-1" {
		t.Errorf("--version 1.2-1 under UNRELEASED 1.1-1: %v", err)
	}
	if snapshot(t, dir) != before {
		t.Error("Plan changed the tree")
	}
}
