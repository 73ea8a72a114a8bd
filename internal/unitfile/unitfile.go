// Package unitfile is a lossless parser for systemd unit files and drop-ins.
//
// It follows systemd's own reader (src/shared/conf-parser.c, read_line() in
// src/basic/fileio.c) rather than go-systemd's unit package: go-systemd drops
// comments, lets a comment ending in a backslash swallow the next line, and
// rejects lines systemd accepts (../shared/notes/go-libraries.md), so it can
// neither round-trip a file nor see every directive systemd sees.
//
// The file is kept as physical lines with their exact terminators, so
// Bytes() returns the input byte for byte; the logical view (sections and
// assignments, continuation lines joined) is computed alongside.
package unitfile

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

const (
	// MaxLine is systemd's LONG_LINE_MAX: longer physical or joined lines
	// make the whole file fail to load.
	MaxLine = 1 << 20
	// MaxFile is our own limit for one unit or drop-in (Contracts: Limits).
	MaxFile = 4 << 20
)

// Line is one physical line: its content and the bytes that ended it.
type Line struct {
	Text []byte
	EOL  []byte
}

// Assignment is one logical Key=Value line inside a section.
type Assignment struct {
	Section string
	Key     string
	Value   string
	Line    int // physical line where the assignment starts (1-based)
	EndLine int // physical line where it ends (differs with continuations)
}

// Diag is a warning systemd would log while parsing; it never fails the load.
type Diag struct {
	Path string
	Line int
	Msg  string
}

func (d Diag) String() string { return fmt.Sprintf("%s:%d: %s", d.Path, d.Line, d.Msg) }

// Error is a problem that makes systemd refuse the whole file.
type Error struct {
	Path string
	Line int // 0 when not tied to a line
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// File is a parsed unit file.
type File struct {
	Path        string
	Lines       []Line
	Assignments []Assignment
	Warnings    []Diag
}

// Bytes returns the file exactly as it was read.
func (f *File) Bytes() []byte {
	n := 0
	for _, l := range f.Lines {
		n += len(l.Text) + len(l.EOL)
	}
	out := make([]byte, 0, n)
	for _, l := range f.Lines {
		out = append(out, l.Text...)
		out = append(out, l.EOL...)
	}
	return out
}

// Options selects the sections the unit type knows; assignments in other
// sections are ignored (with a warning unless the name starts with "X-").
type Options struct {
	Sections []string
}

// ServiceOptions returns the options for .service units and their drop-ins.
func ServiceOptions() Options { return OptionsFor("service") }

// OptionsFor returns the options for units of a type ("socket", …): the
// [Unit] and [Install] sections plus the type's own.
func OptionsFor(unitType string) Options {
	own := map[string]string{
		"service": "Service", "socket": "Socket", "timer": "Timer", "mount": "Mount",
		"automount": "Automount", "swap": "Swap", "path": "Path", "slice": "Slice", "scope": "Scope",
	}[unitType]
	s := []string{"Unit", "Install"}
	if own != "" {
		s = append(s, own)
	}
	return Options{Sections: s}
}

// SplitLines splits data the way systemd's read_line() does: a line ends at
// a run of end-of-line characters (\n, \r, NUL) in which no kind repeats and
// nothing follows a NUL, so "\r\n" and "\n\r" are one terminator.
func SplitLines(data []byte) []Line {
	lines := make([]Line, 0, bytes.Count(data, []byte{'\n'})+1)
	start := 0
	i := 0
	for i < len(data) {
		c := data[i]
		if c != '\n' && c != '\r' && c != 0 {
			i++
			continue
		}
		text := data[start:i]
		seen := 0
		j := i
		for j < len(data) {
			k := eolKind(data[j])
			if k == 0 || seen&k != 0 || seen&eolZero != 0 {
				break
			}
			seen |= k
			j++
		}
		lines = append(lines, Line{Text: text, EOL: data[i:j]})
		start, i = j, j
	}
	if start < len(data) {
		lines = append(lines, Line{Text: data[start:]})
	}
	return lines
}

const (
	eolNewline = 1 << iota
	eolReturn
	eolZero
)

func eolKind(c byte) int {
	switch c {
	case '\n':
		return eolNewline
	case '\r':
		return eolReturn
	case 0:
		return eolZero
	}
	return 0
}

func isWhitespace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimLeft and trim strip systemd's WHITESPACE (" \t\n\r").
func trimLeft(b []byte) []byte {
	for len(b) > 0 && isWhitespace(b[0]) {
		b = b[1:]
	}
	return b
}

func trim(b []byte) []byte {
	b = trimLeft(b)
	for len(b) > 0 && isWhitespace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

var bom = []byte("\xef\xbb\xbf")

// Parse reads a unit file. A non-nil error is an *Error: systemd would refuse
// to load the file. The returned File is usable for Bytes() even then.
func Parse(path string, data []byte, opt Options) (*File, error) {
	f := &File{Path: path}
	if len(data) > MaxFile {
		return f, &Error{Path: path, Msg: fmt.Sprintf("file is %d bytes, over the %d byte limit", len(data), MaxFile)}
	}
	f.Lines = SplitLines(data)
	p := parser{f: f, opt: opt}
	return f, p.run()
}

type parser struct {
	f              *File
	opt            Options
	section        string
	hasSection     bool
	sectionIgnored bool
}

func (p *parser) warn(line int, format string, args ...any) {
	p.f.Warnings = append(p.f.Warnings, Diag{Path: p.f.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) run() error {
	var cont []byte
	contStart := 0
	bomSeen := false
	for i, ln := range p.f.Lines {
		n := i + 1
		if len(ln.Text) > MaxLine {
			return &Error{Path: p.f.Path, Line: n, Msg: "line too long"}
		}
		// Comments are recognised before anything else, also inside a
		// continuation, where systemd skips them (systemd.syntax(7)).
		if t := trimLeft(ln.Text); len(t) > 0 && (t[0] == '#' || t[0] == ';') {
			continue
		}
		l := ln.Text
		if !bomSeen && bytes.HasPrefix(l, bom) {
			l = l[len(bom):]
			bomSeen = true
		}
		var cur []byte
		if cont != nil {
			if len(cont)+len(l) > MaxLine {
				return &Error{Path: p.f.Path, Line: n, Msg: "continuation line too long"}
			}
			cur = append(cont, l...)
		} else {
			contStart = n
			if !endsEscaped(l) {
				// The common case: no continuation, no copy.
				if err := p.line(n, n, l); err != nil {
					return err
				}
				continue
			}
			cur = append([]byte(nil), l...)
		}
		if endsEscaped(cur) {
			cur[len(cur)-1] = ' '
			cont = cur
			continue
		}
		if err := p.line(contStart, n, cur); err != nil {
			return err
		}
		cont = nil
	}
	if cont != nil {
		return p.line(contStart, len(p.f.Lines), cont)
	}
	return nil
}

// endsEscaped reports whether s ends in an unescaped backslash.
func endsEscaped(s []byte) bool {
	escaped := false
	for _, c := range s {
		if escaped {
			escaped = false
		} else if c == '\\' {
			escaped = true
		}
	}
	return escaped
}

func (p *parser) line(start, end int, raw []byte) error {
	l := trim(raw)
	if len(l) == 0 {
		return nil
	}
	if !ValidUTF8(l) {
		return &Error{Path: p.f.Path, Line: end, Msg: "line is not valid UTF-8"}
	}
	if l[0] == '[' {
		if l[len(l)-1] != ']' {
			return &Error{Path: p.f.Path, Line: end, Msg: fmt.Sprintf("invalid section header %q", l)}
		}
		name := string(l[1 : len(l)-1])
		if !stringIsSafe(name) {
			return &Error{Path: p.f.Path, Line: end, Msg: fmt.Sprintf("bad characters in section header %q", l)}
		}
		if p.known(name) {
			p.section, p.hasSection, p.sectionIgnored = name, true, false
			return nil
		}
		if len(name) < 2 || name[:2] != "X-" {
			p.warn(end, "Unknown section '%s'. Ignoring.", name)
		}
		p.section, p.hasSection, p.sectionIgnored = "", false, true
		return nil
	}
	if !p.hasSection {
		if !p.sectionIgnored {
			p.warn(end, "Assignment outside of section. Ignoring.")
		}
		return nil
	}
	eq := bytes.IndexByte(l, '=')
	switch {
	case eq < 0:
		p.warn(end, "Missing '=', ignoring line.")
		return nil
	case eq == 0:
		p.warn(end, "Missing key name before '=', ignoring line.")
		return nil
	}
	p.f.Assignments = append(p.f.Assignments, Assignment{
		Section: p.section,
		Key:     string(trim(l[:eq])),
		Value:   string(trim(l[eq+1:])),
		Line:    start,
		EndLine: end,
	})
	return nil
}

func (p *parser) known(name string) bool {
	if p.opt.Sections == nil {
		return true
	}
	for _, s := range p.opt.Sections {
		if s == name {
			return true
		}
	}
	return false
}

// stringIsSafe mirrors systemd's string_is_safe(): no control characters,
// no quotes and no backslash.
func stringIsSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 127 || c == '\\' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

// ValidUTF8 mirrors systemd's utf8_is_valid(): Go's rules plus the
// rejection of the non-characters U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF.
func ValidUTF8(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		if (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE {
			return false
		}
		b = b[size:]
	}
	return true
}
