package dropins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteIdempotent(t *testing.T) {
	root := t.TempDir()
	f := []File{{Path: "/lib/systemd/system/a.service.d/10-systemd-harden.conf", Content: []byte("[Service]\nPrivateTmp=yes\n")}}
	res, err := Write(root, f)
	if err != nil || !res[0].Changed {
		t.Fatalf("%v %v", res, err)
	}
	st, _ := os.Stat(filepath.Join(root, f[0].Path))
	res, err = Write(root, f)
	if err != nil || res[0].Changed {
		t.Fatalf("second run changed something: %v %v", res, err)
	}
	st2, _ := os.Stat(filepath.Join(root, f[0].Path))
	if !st.ModTime().Equal(st2.ModTime()) {
		t.Error("the file was rewritten")
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
}

// TestSymlinkEscape: a staging tree whose unit directory is a symlink
// leading outside is refused, and nothing is written outside.
func TestSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "lib/systemd"), 0o755)
	if err := os.Symlink(outside, filepath.Join(root, "lib/systemd/system")); err != nil {
		t.Fatal(err)
	}
	_, err := Write(root, []File{{Path: "/lib/systemd/system/a.service.d/10-systemd-harden.conf", Content: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), root) {
		t.Fatalf("escape not refused: %v", err)
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 0 {
		t.Errorf("wrote outside the root: %v", ents)
	}
	// A relative symlink that climbs out is refused the same way.
	root2 := t.TempDir()
	os.MkdirAll(filepath.Join(root2, "usr/lib/systemd"), 0o755)
	os.Symlink("../../../../../../"+outside, filepath.Join(root2, "usr/lib/systemd/system"))
	if _, err := Write(root2, []File{{Path: "/usr/lib/systemd/system/b.service.d/x.conf", Content: []byte("x")}}); err == nil {
		t.Error("relative escape not refused")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote outside the root: %v", ents)
	}
}
