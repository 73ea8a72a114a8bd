package source

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

func TestKindAndDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lib/systemd/system"), 0o755)
	os.WriteFile(filepath.Join(dir, "lib/systemd/system/a.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o644)
	os.Symlink("a.service", filepath.Join(dir, "lib/systemd/system/b.service"))
	os.WriteFile(filepath.Join(dir, "x.deb"), []byte("!<arch>\nrest"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.rpm"), []byte{0xed, 0xab, 0xee, 0xdb, 3, 0}, 0o644)
	os.WriteFile(filepath.Join(dir, "x.txt"), []byte("text"), 0o644)
	for name, want := range map[string]pkgmodel.Format{"": pkgmodel.Dir, "x.deb": pkgmodel.Deb, "x.rpm": pkgmodel.RPM, "x.txt": ""} {
		got, err := Kind(filepath.Join(dir, name))
		if err != nil || got != want {
			t.Errorf("Kind(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := Kind(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
	p, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WalkEntries(p); err != nil {
		t.Fatal(err)
	}
	got := map[string]pkgmodel.Entry{}
	for _, e := range p.Entries {
		got[e.Path] = e
	}
	if e := got["/lib/systemd/system/a.service"]; e.Type != tree.Regular || !e.Kept || e.UID != -1 {
		t.Errorf("a.service: %+v", e)
	}
	if e := got["/lib/systemd/system/b.service"]; e.Type != tree.Symlink || e.Link != "a.service" {
		t.Errorf("b.service: %+v", e)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "x.txt"), Options{}); err == nil {
		t.Error("a text file opened as a package")
	}
}
