// Package arwriter writes the Unix ar archives that Debian binary packages
// (.deb, deb(5)) are made of, byte for byte as dpkg-deb writes them.
//
// It exists because the rewritten-.deb sink needs an ar writer and the
// options in Go are not usable as they stand: github.com/blakesmith/ar
// (unmaintained since 2019) appends the odd-size pad byte after every odd
// Write call instead of once per member, so a member streamed with io.Copy
// is corrupted or the copy fails, and goreleaser/nfpm can only build new
// packages from its own description, not re-wrap members of an existing one.
// The format is small enough that owning ~100 lines is cheaper than working
// around either.
//
// The header format copies dpkg's dpkg_ar_member_put_header (lib/dpkg/ar.c):
//
//	"%-16s%-12lu%-6lu%-6lu%-8lo%-10jd`\n"  name, mtime, uid 0, gid 0, mode 0100644, size
//
// Names are written without the GNU "/" terminator, owner and group are
// always 0 and the mode always 100644, whatever the input package had, so a
// rewritten package is as reproducible as one built by dpkg-deb with
// SOURCE_DATE_EPOCH. A member of odd size is followed by one '\n' pad byte.
package arwriter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Magic is the global header every ar archive starts with.
const Magic = "!<arch>\n"

// HeaderSize is the size of a member header.
const HeaderSize = 60

// Limits of the fixed-width decimal header fields. dpkg refuses names
// longer than 15 characters (the 16th byte is kept for readers that expect a
// GNU "/" terminator) and sizes over ten digits; the 12-digit mtime field
// bounds mtime.
const (
	MaxNameLen = 15
	MaxSize    = 9999999999
	MaxMtime   = 999999999999
)

// Errors returned (wrapped) by Add; test with errors.Is.
var (
	// ErrInvalidName: empty, longer than MaxNameLen, or containing a byte
	// other than printable ASCII without space and '/'.
	ErrInvalidName = errors.New("invalid ar member name")
	// ErrInvalidSize: negative or above MaxSize.
	ErrInvalidSize = errors.New("invalid ar member size")
	// ErrInvalidMtime: negative or above MaxMtime.
	ErrInvalidMtime = errors.New("invalid ar member mtime")
	// ErrSizeMismatch: the reader yielded fewer or more bytes than declared.
	ErrSizeMismatch = errors.New("ar member data does not match its declared size")
	// ErrClosed: Add after Close.
	ErrClosed = errors.New("ar writer closed")
)

// Writer writes an ar archive member by member. It is not safe for
// concurrent use.
type Writer struct {
	w       io.Writer
	started bool  // Magic written
	closed  bool  // Close called
	err     error // sticky: the output is broken, nothing more may be written
}

// New returns a Writer that writes an archive to w. Nothing is written
// until the first Add or Close.
func New(w io.Writer) *Writer {
	return &Writer{w: w}
}

// CheckName reports whether name can be written as a member name.
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w %q: length %d not in 1..%d", ErrInvalidName, name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		// A space would be taken for padding and a '/' for a GNU
		// terminator or long-name reference by every ar reader.
		if c := name[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return fmt.Errorf("%w %q: byte %#02x at %d", ErrInvalidName, name, c, i)
		}
	}
	return nil
}

// Header returns the 60-byte header dpkg-deb writes for a member; it is
// exported so tests and callers can check headers without writing.
func Header(name string, mtime, size int64) ([]byte, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if size < 0 || size > MaxSize {
		return nil, fmt.Errorf("%w: member %q: %d not in 0..%d", ErrInvalidSize, name, size, int64(MaxSize))
	}
	if mtime < 0 || mtime > MaxMtime {
		return nil, fmt.Errorf("%w: member %q: %d not in 0..%d", ErrInvalidMtime, name, mtime, int64(MaxMtime))
	}
	h := fmt.Appendf(nil, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", name, mtime, 0, 0, 0o100644, size)
	if len(h) != HeaderSize { // cannot happen after the checks above
		return nil, fmt.Errorf("arwriter: member %q: header is %d bytes, want %d", name, len(h), HeaderSize)
	}
	return h, nil
}

func (w *Writer) start() error {
	if w.started {
		return nil
	}
	w.started = true
	if _, err := io.WriteString(w.w, Magic); err != nil {
		w.err = fmt.Errorf("arwriter: writing global header: %w", err)
		return w.err
	}
	return nil
}

// Add writes one member of exactly size bytes read from data, plus the pad
// byte when size is odd. Invalid arguments are reported before anything is
// written, so the archive stays usable. A reader that yields fewer or more
// than size bytes, or a failing underlying writer, leaves a broken archive:
// that error is returned again by every later Add and by Close.
//
// data may deliver its bytes in any number of Read calls.
func (w *Writer) Add(name string, mtime int64, data io.Reader, size int64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("arwriter: member %q: %w", name, ErrClosed)
	}
	h, err := Header(name, mtime, size)
	if err != nil {
		return fmt.Errorf("arwriter: %w", err)
	}
	if err := w.start(); err != nil {
		return err
	}
	if _, err := w.w.Write(h); err != nil {
		w.err = fmt.Errorf("arwriter: member %q: writing header: %w", name, err)
		return w.err
	}
	n, err := io.CopyN(w.w, data, size)
	if err == io.EOF {
		w.err = fmt.Errorf("arwriter: member %q: %w: declared %d bytes, reader gave %d", name, ErrSizeMismatch, size, n)
		return w.err
	}
	if err != nil {
		w.err = fmt.Errorf("arwriter: member %q: copying data after %d of %d bytes: %w", name, n, size, err)
		return w.err
	}
	// The header already promised size bytes; a longer reader means the
	// caller's size was wrong and the member would be silently truncated.
	var extra [1]byte
	switch _, err := io.ReadFull(data, extra[:]); err {
	case io.EOF:
	case nil:
		w.err = fmt.Errorf("arwriter: member %q: %w: declared %d bytes, reader has more", name, ErrSizeMismatch, size)
		return w.err
	default:
		w.err = fmt.Errorf("arwriter: member %q: checking for data past %d bytes: %w", name, size, err)
		return w.err
	}
	if size%2 == 1 {
		if _, err := w.w.Write([]byte{'\n'}); err != nil {
			w.err = fmt.Errorf("arwriter: member %q: writing pad byte: %w", name, err)
			return w.err
		}
	}
	return nil
}

// AddBytes is Add for a member held in memory.
func (w *Writer) AddBytes(name string, mtime int64, data []byte) error {
	return w.Add(name, mtime, bytes.NewReader(data), int64(len(data)))
}

// Close finishes the archive: it writes the global header if no member was
// added (an empty archive is just Magic) and reports any earlier write
// error. It does not close the underlying writer. Close is idempotent.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	return w.start()
}
