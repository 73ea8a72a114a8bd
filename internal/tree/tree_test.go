package tree

import (
	"errors"
	"io/fs"
	"testing"
)

func TestResolveChroot(t *testing.T) {
	m := NewMemFS()
	m.AddFile("/lib/systemd/system/a.service", []byte("x"))
	m.AddSymlink("/lib/systemd/system/abs.service", "/lib/systemd/system/a.service")
	m.AddSymlink("/lib/systemd/system/rel.service", "a.service")
	m.AddSymlink("/lib/systemd/system/up.service", "../../../../../../lib/systemd/system/a.service")
	m.AddSymlink("/etc/systemd/system", "/lib/systemd/system")
	m.AddSymlink("/loop", "/loop")
	for _, tc := range []struct{ in, want string }{
		{"/lib/systemd/system/abs.service", "/lib/systemd/system/a.service"},
		{"/lib/systemd/system/rel.service", "/lib/systemd/system/a.service"},
		// ".." never climbs above the root.
		{"/lib/systemd/system/up.service", "/lib/systemd/system/a.service"},
		// a symlinked directory is followed inside the root
		{"/etc/systemd/system/a.service", "/lib/systemd/system/a.service"},
	} {
		got, e, err := Resolve(m, tc.in)
		if err != nil || got != tc.want || e.Type != Regular {
			t.Errorf("Resolve(%s) = %s, %v, %v; want %s", tc.in, got, e.Type, err, tc.want)
		}
	}
	if _, _, err := Resolve(m, "/loop"); !errors.Is(err, ErrLoop) {
		t.Errorf("loop: err = %v", err)
	}
	if _, _, err := Resolve(m, "/nothere"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	if _, err := m.ReadFile("/lib/systemd/system/a.service", 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit: err = %v", err)
	}
}
