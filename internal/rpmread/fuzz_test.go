package rpmread

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzRead from the crafted packages")

// seeds are small packages of every shape the reader knows: the checked-in
// corpus is written from them with -update-seeds.
func seeds() map[string][]byte {
	valid := crafted{compressor: "gzip"}.build()
	links := crafted{compressor: "zstd", compress: zst, files: append(defaultFiles(),
		cfile{path: "/usr/lib/systemd/system/baz.service", mode: 0o100644, data: "[Unit]\n", ino: 77},
		cfile{path: "/usr/lib/systemd/system/qux.service", mode: 0o100644, data: "[Unit]\n", ino: 77},
		cfile{path: "/run/foo.pid", mode: 0o100644, flags: fileGhost}),
		edit: func(h *header) {
			h.set(strs(tagTriggerScripts, "systemctl daemon-reload"))
			h.set(strs(tagTriggerName, "systemd"))
			h.set(strs(tagTriggerVersion, "200"))
			h.set(ints(tagTriggerFlags, typeInt32, senseTriggerIn|senseLess))
			h.set(ints(tagTriggerIndex, typeInt32, 0))
		}}.build()
	stripped := crafted{members: func(ms []cpioMember) []cpioMember {
		for i := range ms {
			ms[i].magic = "07070X"
		}
		return ms
	}}.build()
	sigEnd, hdrEnd := layout(valid)
	return map[string][]byte{
		"valid-gzip":      valid,
		"hardlinks-zstd":  links,
		"stripped-cpio":   stripped,
		"uncompressed":    crafted{compress: func(b []byte) []byte { return b }}.build(),
		"cut-in-sig":      valid[:sigEnd-3],
		"cut-in-header":   valid[:hdrEnd-7],
		"cut-in-payload":  valid[:len(valid)-40],
		"dotdot-member":   crafted{members: func(ms []cpioMember) []cpioMember { return append(ms, cpioMember{name: "../x", mode: 0o100644}) }}.build(),
		"through-symlink": crafted{files: []cfile{{path: "/a", mode: 0o120777, link: "/etc"}, {path: "/a/b", mode: 0o100644}}}.build(),
	}
}

// TestSeeds reads the valid seeds: hard links between kept files in a
// zstd payload, a trigger, a ghost, an uncompressed payload.
func TestSeeds(t *testing.T) {
	s := seeds()
	for _, name := range []string{"valid-gzip", "hardlinks-zstd", "uncompressed"} {
		if _, err := ReadFrom(context.Background(), name, bytes.NewReader(s[name]), Options{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	p, err := ReadFrom(context.Background(), "x.rpm", bytes.NewReader(s["hardlinks-zstd"]), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Entries {
		got = append(got, fmt.Sprintf("%s hard=%v link=%s kept=%v size=%d", e.Path, e.HardLink, e.Link, e.Kept, e.Size))
	}
	const unit = "/usr/lib/systemd/system/"
	want := []string{
		"/etc/foo.conf hard=false link= kept=false size=6",
		"/usr/lib/systemd/system hard=false link= kept=false size=0",
		unit + "foo.service hard=false link= kept=true size=33",
		unit + "bar.service hard=false link=foo.service kept=false size=0",
		unit + "baz.service hard=false link= kept=true size=7",
		unit + "qux.service hard=true link=" + unit + "baz.service kept=true size=7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries\n got %q\nwant %q", got, want)
	}
	if data, err := p.Tree.ReadFile(unit+"qux.service", 100); err != nil || string(data) != "[Unit]\n" {
		t.Errorf("hard link contents %q %v", data, err)
	}
	if s, ok := p.Script("%triggerin"); !ok || s.Condition != "systemd < 200" || s.Interpreter != "/bin/sh" {
		t.Errorf("trigger %+v", s)
	}
}

func TestWriteSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite the fuzz corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds() {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRead checks that no input panics the reader and that every error
// is a one-line *pkgmodel.Error naming the package first.
func FuzzRead(f *testing.F) {
	for _, b := range seeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadFrom(context.Background(), "fuzz.rpm", bytes.NewReader(data),
			Options{XZ: decompress.Go, Budget: 32 << 20})
		if err != nil {
			var pe *pkgmodel.Error
			if !errors.As(err, &pe) || pe.Package != "fuzz.rpm" || !strings.HasPrefix(err.Error(), "fuzz.rpm: ") {
				t.Fatalf("error %q (%T) does not name the package first", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if p.Source != "fuzz.rpm" || p.Format != pkgmodel.RPM {
			t.Fatalf("package %q %q", p.Source, p.Format)
		}
	})
}
