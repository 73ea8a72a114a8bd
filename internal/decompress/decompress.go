// Package decompress opens the compressed streams found in .deb members
// and .rpm payloads behind one interface, with a size budget.
//
// xz is the slow one: the best pure-Go decoder (xi2/xz) is 3× slower than
// liblzma with threads on real Debian data (../shared/notes/go-libraries.md
// §3), so by default an `xz -dc -T0` subprocess decodes when xz is on PATH,
// with xi2/xz as the fallback. zstd uses klauspost/compress in-process
// (on par with the zstd CLI); gzip and bzip2 use the standard library.
package decompress

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/xi2/xz"
)

// Method is how xz is decoded.
type Method string

const (
	Auto Method = "auto" // exec xz when on PATH, else Go
	Go   Method = "go"   // pure Go (xi2/xz)
	Exec Method = "exec" // `xz -dc -T0` subprocess; an error when xz is missing
)

// EnvMethod is the environment variable that selects the method when no
// flag does.
const EnvMethod = "SYSTEMD_HARDEN_XZ"

// ParseMethod validates a method name ("" means Auto, or $SYSTEMD_HARDEN_XZ).
func ParseMethod(s string) (Method, error) {
	if s == "" {
		s = os.Getenv(EnvMethod)
	}
	switch Method(s) {
	case "", Auto:
		return Auto, nil
	case Go, Exec:
		return Method(s), nil
	}
	return "", fmt.Errorf("unknown xz method %q (auto, go or exec)", s)
}

// Format is a compression format.
type Format string

const (
	None  Format = ""
	Gzip  Format = "gzip"
	XZ    Format = "xz"
	Zstd  Format = "zstd"
	Bzip2 Format = "bzip2"
	LZMA  Format = "lzma"
)

// FromSuffix maps a member name ("data.tar.xz") to its format.
func FromSuffix(name string) (Format, error) {
	switch {
	case strings.HasSuffix(name, ".tar"):
		return None, nil
	case strings.HasSuffix(name, ".gz"):
		return Gzip, nil
	case strings.HasSuffix(name, ".xz"):
		return XZ, nil
	case strings.HasSuffix(name, ".zst"):
		return Zstd, nil
	case strings.HasSuffix(name, ".bz2"):
		return Bzip2, nil
	case strings.HasSuffix(name, ".lzma"):
		return LZMA, nil
	}
	return None, fmt.Errorf("unknown compression of %s", name)
}

// Sniff guesses the format from the first bytes of a stream.
func Sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return XZ
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case bytes.HasPrefix(head, []byte("BZh")):
		return Bzip2
	}
	return None
}

// ErrBudget is returned when the decompressed data exceeds the budget.
var ErrBudget = errors.New("decompressed data exceeds the size budget")

// Budget is a shared count of bytes that may still be decompressed.
type Budget struct {
	mu   sync.Mutex
	left int64
}

// NewBudget returns a budget of n bytes.
func NewBudget(n int64) *Budget { return &Budget{left: n} }

// Take consumes n bytes, failing when not enough are left.
func (b *Budget) Take(n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		b.left = 0
		return ErrBudget
	}
	b.left -= n
	return nil
}

// Left is what remains.
func (b *Budget) Left() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left
}

// DefaultBudget is the total decompressed size allowed per package (Contracts: Limits).
const DefaultBudget int64 = 8 << 30

type budgeted struct {
	r io.Reader
	b *Budget
}

func (r budgeted) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		if berr := r.b.Take(int64(n)); berr != nil {
			return n, berr
		}
	}
	return n, err
}

// Open returns a reader of the decompressed stream. Close releases it and,
// for a subprocess, reports the decoder's own failure.
func Open(ctx context.Context, r io.Reader, f Format, m Method, budget *Budget) (io.ReadCloser, error) {
	var rc io.ReadCloser
	switch f {
	case None:
		rc = io.NopCloser(r)
	case Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			if strings.HasPrefix(err.Error(), "gzip: ") {
				return nil, err // already says what it is
			}
			return nil, fmt.Errorf("gzip: %w", err)
		}
		rc = z
	case Bzip2:
		rc = io.NopCloser(bzip2.NewReader(r))
	case Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		rc = zstdCloser{z}
	case XZ:
		var err error
		if rc, err = openXZ(ctx, r, m); err != nil {
			return nil, err
		}
	case LZMA:
		return nil, fmt.Errorf("lzma compression is not supported")
	default:
		return nil, fmt.Errorf("unknown compression %q", f)
	}
	if budget == nil {
		return rc, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{budgeted{rc, budget}, rc}, nil
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

func openXZ(ctx context.Context, r io.Reader, m Method) (io.ReadCloser, error) {
	if m == Go {
		return goXZ(r)
	}
	bin, err := exec.LookPath("xz")
	if err != nil {
		if m == Exec {
			return nil, fmt.Errorf("xz: the xz program is not on PATH")
		}
		return goXZ(r)
	}
	return execXZ(ctx, bin, r)
}

func goXZ(r io.Reader) (io.ReadCloser, error) {
	z, err := xz.NewReader(r, 0)
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	return io.NopCloser(z), nil
}

// xzProc is an `xz -dc -T0` subprocess reading r.
type xzProc struct {
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr bytes.Buffer
	cancel context.CancelFunc
	done   bool
}

func execXZ(ctx context.Context, bin string, r io.Reader) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	p := &xzProc{cancel: cancel}
	p.cmd = exec.CommandContext(ctx, bin, "-dc", "-T0", "-q")
	p.cmd.Stdin = r
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("xz: %w", err)
	}
	p.out = out
	if err := p.cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("xz: %w", err)
	}
	return p, nil
}

func (p *xzProc) Read(b []byte) (int, error) {
	n, err := p.out.Read(b)
	if err == io.EOF && !p.done {
		// The stream ended: the decoder's verdict decides whether it was
		// complete (a truncated or corrupt stream makes xz exit non-zero).
		p.done = true
		if werr := p.cmd.Wait(); werr != nil {
			return n, p.failure(werr)
		}
	}
	return n, err
}

func (p *xzProc) failure(err error) error {
	msg := strings.TrimSpace(p.stderr.String())
	// xz prefixes its messages with its own path and "(stdin): ".
	if i := strings.Index(msg, "(stdin): "); i >= 0 {
		msg = msg[i+len("(stdin): "):]
	}
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Errorf("xz: %s", msg)
}

func (p *xzProc) Close() error {
	if p.done {
		p.cancel()
		return nil
	}
	// Closed before the end (an error elsewhere, or a reader that stopped
	// early): stop the decoder and reap it.
	p.cancel()
	p.out.Close()
	_ = p.cmd.Wait()
	p.done = true
	return nil
}
