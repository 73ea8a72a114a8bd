package debwrite

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

// insertion is a new entry, already rendered (header blocks, data and
// padding), with the clean absolute path that decides where it goes.
type insertion struct {
	path string
	raw  []byte
}

// replacement renders what is written instead of an existing entry.
type replacement struct {
	// render gets the entry's raw header blocks as read (extension headers
	// first, the main header last) and, when needData is set, its
	// contents; it returns the complete new entry, padding included.
	render   func(hdr []byte, h *tar.Header, data []byte) ([]byte, error)
	needData bool
}

// tarEdit says how to turn one tar stream into another.
type tarEdit struct {
	// inserts are new entries in dpkg-deb's order (dpkgCompare).
	inserts []insertion
	// replace maps the clean path of an existing entry to its replacement.
	replace map[string]replacement
	// maxReplaced bounds the data held in memory for a replacement that
	// needs the old contents.
	maxReplaced int64
	// trailingLinks is the index of the first entry of the run of symlinks
	// that ends the archive, or -1. dpkg-deb writes every symlink after
	// all other entries (build.c defers them so they are extracted after
	// their targets), so a new file or directory goes before that run,
	// wherever its name sorts.
	trailingLinks int
	// shipped holds the clean paths of the archive's entries: an insertion
	// waits until those of its ancestors the archive ships have been
	// written, so a new entry never precedes its own parent directory even
	// in an archive not sorted the way dpkg-deb sorts.
	shipped map[string]bool
}

// recorder keeps a copy of every byte the tar reader consumes, so entries
// can be written out exactly as they were read: archive/tar parses
// headers but cannot re-emit them byte for byte (GNU numeric formats,
// long-name entries, PAX records, checksum layout would all be
// normalised).
type recorder struct {
	r   io.Reader
	buf []byte
	n   int64 // bytes read so far
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	r.n += int64(n)
	return n, err
}

// countWriter counts what passes through, for the trailer's record padding.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// dpkgCompare orders clean absolute paths the way dpkg-deb walks a tree:
// depth first, each directory right before its contents, the entries of a
// directory sorted by name with strcmp. This is not the order of the full
// path strings: "/a/b" comes before "/a-c" ('-' sorts before '/'), as
// `dpkg-deb -b` of a tree with both shows.
func dpkgCompare(a, b string) int {
	if a == b {
		return 0
	}
	ac, bc := components(a), components(b)
	for i := 0; i < len(ac) && i < len(bc); i++ {
		if c := strings.Compare(ac[i], bc[i]); c != 0 {
			return c
		}
	}
	return len(ac) - len(bc) // an ancestor comes first
}

func components(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// rewriteTar copies the tar stream r to w entry by entry, byte for byte,
// except that entries listed in ed.replace are replaced and ed.inserts are
// added where dpkg-deb would have put them. The end of the archive is
// written the way GNU tar (run by dpkg-deb) writes it: two zero blocks,
// then zeros up to the next 10240-byte record — but only when the input
// was itself padded to whole records; an input ending right after its two
// zero blocks keeps that shape.
//
// It returns the clean paths of the entries it replaced.
func rewriteTar(ctx context.Context, r io.Reader, w io.Writer, ed tarEdit) ([]string, error) {
	rec := &recorder{r: bufio.NewReaderSize(r, 64<<10)}
	tr := tar.NewReader(rec)
	cw := &countWriter{w: w}
	pending := ed.inserts
	emitted := map[string]bool{}
	var replaced []string

	ready := func(p string) bool {
		for d := path.Dir(p); ; d = path.Dir(d) {
			if ed.shipped[d] && !emitted[d] {
				return false
			}
			if d == "/" {
				return true
			}
		}
	}
	// emit writes the pending insertions that belong before the entry at
	// next ("" at the end of the archive: all of them).
	emit := func(next string) error {
		kept := pending[:0:0]
		for _, in := range pending {
			if next != "" && (dpkgCompare(in.path, next) >= 0 || !ready(in.path)) {
				kept = append(kept, in)
				continue
			}
			if _, err := cw.Write(in.raw); err != nil {
				return err
			}
			emitted[in.path] = true
		}
		pending = kept
		return nil
	}

	prevPad, keepPrevPad := 0, false
	buf := make([]byte, 32<<10)
	for idx := 0; ; idx++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("corrupt or truncated: %w", err)
		}
		// What Next consumed: the previous entry's padding, then this
		// entry's header blocks (or the end-of-archive blocks).
		if len(rec.buf) < prevPad {
			return nil, fmt.Errorf("corrupt or truncated: short padding")
		}
		if keepPrevPad {
			if _, err := cw.Write(rec.buf[:prevPad]); err != nil {
				return nil, err
			}
		}
		if err == io.EOF {
			break
		}
		hdr := append([]byte(nil), rec.buf[prevPad:]...)
		rec.buf = rec.buf[:0]

		p, cerr := pkgmodel.CleanMember(h.Name)
		if cerr != nil {
			return nil, cerr
		}
		next := p
		if idx == ed.trailingLinks {
			next = "" // the symlinks dpkg-deb puts last: everything new goes first
		}
		if err := emit(next); err != nil {
			return nil, err
		}
		size := h.Size
		if headerOnly(h.Typeflag) {
			size = 0
		}
		if repl, ok := ed.replace[p]; ok {
			var data []byte
			if repl.needData {
				if size > ed.maxReplaced {
					return nil, fmt.Errorf("%s: %d bytes, over the %d byte limit for an entry to rewrite", h.Name, size, ed.maxReplaced)
				}
				if data, err = io.ReadAll(tr); err != nil {
					return nil, fmt.Errorf("%s: %w", h.Name, err)
				}
				rec.buf = rec.buf[:0]
			} else {
				for {
					_, rerr := tr.Read(buf)
					rec.buf = rec.buf[:0]
					if rerr == io.EOF {
						break
					}
					if rerr != nil {
						return nil, fmt.Errorf("%s: %w", h.Name, rerr)
					}
				}
			}
			out, err := repl.render(hdr, h, data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
			if _, err := cw.Write(out); err != nil {
				return nil, err
			}
			replaced = append(replaced, p)
			keepPrevPad = false // the replacement carries its own padding
		} else {
			if _, err := cw.Write(hdr); err != nil {
				return nil, err
			}
			for {
				// The recorder holds the bytes tr.Read returned, exactly
				// as stored; write those.
				_, rerr := tr.Read(buf)
				if _, err := cw.Write(rec.buf); err != nil {
					return nil, err
				}
				rec.buf = rec.buf[:0]
				if rerr == io.EOF {
					break
				}
				if rerr != nil {
					return nil, fmt.Errorf("%s: %w", h.Name, rerr)
				}
			}
			keepPrevPad = true
		}
		prevPad = padLen(size)
		emitted[p] = true
	}
	if err := emit(""); err != nil {
		return nil, err
	}
	// Read to the end, to learn whether the input was padded to records.
	rest, err := io.Copy(io.Discard, rec.r)
	if err != nil {
		return nil, fmt.Errorf("reading past the end of the archive: %w", err)
	}
	inputLen := rec.n + rest
	trailer := make([]byte, 2*blockSize)
	if _, err := cw.Write(trailer); err != nil {
		return nil, err
	}
	if inputLen%recordSize == 0 {
		if n := (recordSize - cw.n%recordSize) % recordSize; n > 0 {
			if _, err := cw.Write(make([]byte, n)); err != nil {
				return nil, err
			}
		}
	}
	return replaced, nil
}

// headerOnly reports the types whose size field archive/tar (like GNU
// tar) ignores: no data blocks follow their header.
func headerOnly(t byte) bool {
	switch t {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		return true
	}
	return false
}
