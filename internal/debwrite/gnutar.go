package debwrite

import (
	"fmt"
	"strings"
)

// blockSize is the tar block; recordSize is GNU tar's default record
// (blocking factor 20), to which dpkg-deb's tar pads every archive.
const (
	blockSize  = 512
	recordSize = 20 * blockSize
)

// nameFieldSize is the size of the ustar/GNU name field. GNU tar stores a
// name of up to exactly 100 bytes there (without a NUL) and uses a
// "././@LongLink" entry for anything longer, as verified against
// `tar --format=gnu` 1.34, the tar dpkg-deb runs.
const nameFieldSize = 100

// Header field offsets and widths of the GNU tar format (tar(5)).
const (
	offName     = 0
	offMode     = 100
	offUID      = 108
	offGID      = 116
	offSize     = 124
	offMtime    = 136
	offChksum   = 148
	offTypeflag = 156
	offMagic    = 257
	offUname    = 265
	offGname    = 297
	lenUname    = 32
	gnuMagic    = "ustar  \x00" // "ustar " plus version " \0": GNU, not POSIX ustar
)

// maxOctal11 is the largest value of an 11-digit octal field (size, mtime).
const maxOctal11 = 1<<33 - 1

// gnuHeader renders the header block(s) GNU tar writes for an entry owned
// by root:root, the way dpkg-deb --root-owner-group (or fakeroot) builds
// one: numeric fields in zero-padded octal with a NUL, the checksum as six
// digits, NUL and space, devmajor/devminor and the GNU atime/ctime fields
// left zero. A name over 100 bytes is preceded by a "././@LongLink" entry
// holding it, exactly as GNU tar writes it (mode 0644, mtime 0, root:root).
// The test TestNewEntriesMatchDpkgDeb compares these bytes with dpkg-deb's.
func gnuHeader(name string, typeflag byte, mode, size, mtime int64) ([]byte, error) {
	if size < 0 || size > maxOctal11 {
		return nil, fmt.Errorf("tar entry %s: size %d does not fit the header", name, size)
	}
	if mtime < 0 || mtime > maxOctal11 {
		return nil, fmt.Errorf("tar entry %s: mtime %d does not fit the header", name, mtime)
	}
	var out []byte
	if len(name) > nameFieldSize {
		long := append([]byte(name), 0)
		out = append(out, rawHeader("././@LongLink", 'L', 0o644, int64(len(long)), 0)...)
		out = append(out, padBlock(long)...)
	}
	return append(out, rawHeader(name, typeflag, mode, size, mtime)...), nil
}

// rawHeader renders one 512-byte header; name is cut to the name field.
func rawHeader(name string, typeflag byte, mode, size, mtime int64) []byte {
	b := make([]byte, blockSize)
	copy(b[offName:offName+nameFieldSize], name)
	copy(b[offMode:], fmt.Sprintf("%07o\x00", mode))
	copy(b[offUID:], "0000000\x00")
	copy(b[offGID:], "0000000\x00")
	copy(b[offSize:], fmt.Sprintf("%011o\x00", size))
	copy(b[offMtime:], fmt.Sprintf("%011o\x00", mtime))
	b[offTypeflag] = typeflag
	copy(b[offMagic:], gnuMagic)
	copy(b[offUname:offUname+lenUname], "root")
	copy(b[offGname:offGname+lenUname], "root")
	setChecksum(b)
	return b
}

// setChecksum writes the header checksum: the sum of all bytes with the
// checksum field counted as spaces, as six octal digits, NUL, space.
func setChecksum(b []byte) {
	copy(b[offChksum:offChksum+8], "        ")
	var sum int64
	for _, c := range b[:blockSize] {
		sum += int64(c)
	}
	copy(b[offChksum:], fmt.Sprintf("%06o\x00 ", sum))
}

// patchSize rewrites the size field of a header block in place and
// refreshes its checksum; everything else (mtime, owner, mode, the format's
// own quirks) stays as the original builder wrote it.
func patchSize(b []byte, size int64) error {
	if len(b) != blockSize {
		return fmt.Errorf("tar header is %d bytes, want %d", len(b), blockSize)
	}
	if size < 0 || size > maxOctal11 {
		return fmt.Errorf("size %d does not fit the header", size)
	}
	copy(b[offSize:offSize+12], fmt.Sprintf("%011o\x00", size))
	setChecksum(b)
	return nil
}

// padBlock returns data followed by zeros up to the next block boundary.
func padBlock(data []byte) []byte {
	out := make([]byte, len(data)+padLen(int64(len(data))))
	copy(out, data)
	return out
}

// padLen is the number of zero bytes after n bytes of entry data.
func padLen(n int64) int {
	return int((blockSize - n%blockSize) % blockSize)
}

// renderFile returns a complete regular-file entry: header(s), data and
// padding.
func renderFile(name string, mode, mtime int64, data []byte) ([]byte, error) {
	h, err := gnuHeader(name, '0', mode, int64(len(data)), mtime)
	if err != nil {
		return nil, err
	}
	return append(h, padBlock(data)...), nil
}

// renderDir returns a directory entry; the name must end in "/" as GNU tar
// writes directory names.
func renderDir(name string, mtime int64) ([]byte, error) {
	if !strings.HasSuffix(name, "/") {
		name += "/"
	}
	return gnuHeader(name, '5', 0o755, 0, mtime)
}
