package arwriter_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/systemd-harden/systemd-harden/internal/arwriter"
)

// FuzzAdd writes two members, the second streamed one byte at a time and
// declared delta bytes longer than its data, and checks that:
//   - invalid names, mtimes and sizes are refused before anything is written;
//   - a declared size that differs from the data is always refused;
//   - whatever was accepted reads back unchanged through pault.ag/go/debian
//     and through the strict field-by-field parse below.
func FuzzAdd(f *testing.F) {
	f.Add("debian-binary", "control.tar.xz", int64(epoch), []byte("2.0\nxyz"), uint16(4), int8(0))
	f.Add("data.tar.zst", "_gpgorigin", int64(0), []byte{}, uint16(0), int8(0))
	f.Add("a", "b", int64(arwriter.MaxMtime), []byte("odd"), uint16(1), int8(-1))
	f.Add("debian-binary/", "x y", int64(-1), []byte("\n"), uint16(0), int8(1))
	f.Add("sixteen-chars-xx", "//", int64(arwriter.MaxMtime+1), []byte("abc"), uint16(9), int8(0))
	f.Fuzz(func(t *testing.T, name1, name2 string, mtime int64, data []byte, split uint16, delta int8) {
		k := int(split) % (len(data) + 1)
		part1, part2 := data[:k], data[k:]
		size2 := int64(len(part2)) + int64(delta)

		var buf bytes.Buffer
		w := arwriter.New(&buf)
		var accepted []member

		_, herr := arwriter.Header(name1, mtime, int64(len(part1)))
		err := w.AddBytes(name1, mtime, part1)
		if (err == nil) != (herr == nil) {
			t.Fatalf("AddBytes(%q) = %v but Header = %v", name1, err, herr)
		}
		if err != nil && buf.Len() != 0 {
			t.Fatalf("refused member %q wrote %q", name1, buf.Bytes())
		}
		if err == nil {
			accepted = append(accepted, member{name1, mtime, part1})
		}

		before := buf.Len()
		_, herr = arwriter.Header(name2, mtime, size2)
		err = w.Add(name2, mtime, iotest.OneByteReader(bytes.NewReader(part2)), size2)
		switch {
		case herr != nil:
			if err == nil {
				t.Fatalf("Add(%q, size %d) accepted what Header refused: %v", name2, size2, herr)
			}
			if buf.Len() != before {
				t.Fatalf("refused member %q wrote bytes", name2)
			}
		case delta != 0:
			if !errors.Is(err, arwriter.ErrSizeMismatch) {
				t.Fatalf("Add(%q) with size off by %d = %v, want ErrSizeMismatch", name2, delta, err)
			}
			if cerr := w.Close(); !errors.Is(cerr, arwriter.ErrSizeMismatch) {
				t.Fatalf("Close after mismatch = %v", cerr)
			}
			return
		case err != nil:
			t.Fatalf("Add(%q): %v", name2, err)
		default:
			accepted = append(accepted, member{name2, mtime, part2})
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		archive := buf.Bytes()
		checkRoundTrip(t, archive, accepted)
		strictParse(t, archive, accepted)
	})
}

// strictParse checks every header byte against the dpkg layout
// independently of arwriter.Header's format string.
func strictParse(t *testing.T, archive []byte, members []member) {
	t.Helper()
	if !bytes.HasPrefix(archive, []byte("!<arch>\n")) {
		t.Fatalf("no magic: %q", archive)
	}
	rest := archive[8:]
	for _, m := range members {
		if len(rest) < 60 {
			t.Fatalf("member %q: %d bytes left for the header", m.name, len(rest))
		}
		h := string(rest[:60])
		field := func(from, to int, want string) {
			t.Helper()
			if got := h[from:to]; got != want+strings.Repeat(" ", to-from-len(want)) {
				t.Fatalf("member %q: header bytes %d..%d = %q, want %q left-aligned", m.name, from, to, got, want)
			}
		}
		field(0, 16, m.name)
		field(16, 28, strconv.FormatInt(m.mtime, 10))
		field(28, 34, "0")
		field(34, 40, "0")
		field(40, 48, "100644")
		field(48, 58, strconv.Itoa(len(m.data)))
		if h[58:60] != "`\n" {
			t.Fatalf("member %q: header ends %q", m.name, h[58:60])
		}
		rest = rest[60:]
		if !bytes.Equal(rest[:len(m.data)], m.data) {
			t.Fatalf("member %q: data differs", m.name)
		}
		rest = rest[len(m.data):]
		if len(m.data)%2 == 1 {
			if len(rest) == 0 || rest[0] != '\n' {
				t.Fatalf("member %q: odd size without a '\\n' pad", m.name)
			}
			rest = rest[1:]
		}
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes after the last member", len(rest))
	}
}
