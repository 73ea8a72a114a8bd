package debwrite

import (
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
)

// Compression parameters are fixed here, never taken from the machine,
// so the same input gives the same bytes everywhere (Contracts: Rewritten
// .deb). Every writer is single-threaded and pure Go: an external `xz -T0`
// splits its blocks by CPU count, and klauspost's zstd encoder splits work
// by GOMAXPROCS unless told to use one goroutine.
//
//   - xz: ulikunitz/xz, LZMA2 with an 8 MiB dictionary (xz -6's), CRC64
//     check (what dpkg's liblzma writes), one block, the HashTable4 matcher.
//     BinaryTree would be closer to liblzma but in v0.5.17 it is ~60×
//     slower and compresses worse (1 MB of systemd's data.tar: 19 s and
//     646 kB against 0.3 s and 450 kB); HashTable4 compresses systemd's
//     9.9 MB data.tar to 3.46 MB (xz -6: 3.03 MB) at ~3.6 MB/s.
//   - gzip: standard library at level 9 (dpkg-deb's default level), a
//     header with no name and mtime 0.
//   - zstd: klauspost/compress at SpeedDefault (≈ zstd -3, dpkg-deb's
//     default), 8 MiB window, one goroutine, frame checksum on.
//   - none: the tar as it is.
//
// bzip2 has no pure-Go writer; lzma (legacy, deprecated by dpkg) cannot
// even be read by internal/decompress. Such members are refused.
func compressor(f decompress.Format, w io.Writer) (io.WriteCloser, error) {
	switch f {
	case decompress.None:
		return nopCloser{w}, nil
	case decompress.Gzip:
		z, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return z, nil
	case decompress.XZ:
		z, err := xz.WriterConfig{
			Properties: &lzma.Properties{LC: 3, LP: 0, PB: 2},
			DictCap:    8 << 20,
			BufSize:    4096,
			BlockSize:  1<<63 - 1,
			CheckSum:   xz.CRC64,
			Matcher:    lzma.HashTable4,
		}.NewWriter(w)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return z, nil
	case decompress.Zstd:
		z, err := zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithWindowSize(8<<20),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(true),
			zstd.WithLowerEncoderMem(false))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return z, nil
	}
	return nil, fmt.Errorf("no reproducible %s compressor: cannot write a %s member (only xz, gzip, zstd and none)", f, f)
}

// whyNot explains why a format cannot be written.
func whyNot(f decompress.Format) string {
	switch f {
	case decompress.Bzip2:
		return "bzip2 members cannot be recompressed: there is no pure-Go bzip2 writer (the standard library only reads bzip2)"
	case decompress.LZMA:
		return "lzma members are not supported: the reader cannot decompress them and dpkg-deb has deprecated the format"
	}
	return fmt.Sprintf("%s members cannot be recompressed reproducibly", f)
}

// canCompress reports whether compressor supports f, so a package is
// refused before anything is written.
func canCompress(f decompress.Format) bool {
	switch f {
	case decompress.None, decompress.Gzip, decompress.XZ, decompress.Zstd:
		return true
	}
	return false
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// chunker hands its writer fixed-size chunks whatever the sizes of the
// writes it gets. The tar stream arrives in pieces whose sizes depend on
// how the decompressor's pipe happened to deliver them; a compressor whose
// output depended on write boundaries (a flush, a block cut) would then
// vary from run to run. Fixed chunks take that question off the table.
type chunker struct {
	w   io.Writer
	buf []byte
	n   int
}

func newChunker(w io.Writer, size int) *chunker {
	return &chunker{w: w, buf: make([]byte, size)}
}

func (c *chunker) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := copy(c.buf[c.n:], p)
		c.n += k
		p = p[k:]
		if c.n == len(c.buf) {
			if _, err := c.w.Write(c.buf); err != nil {
				return total - len(p), err
			}
			c.n = 0
		}
	}
	return total, nil
}

// Flush writes the last, partial chunk.
func (c *chunker) Flush() error {
	if c.n == 0 {
		return nil
	}
	_, err := c.w.Write(c.buf[:c.n])
	c.n = 0
	return err
}
