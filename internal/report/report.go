// Package report prints findings in the formats packagers' tools already
// read: lintian's and rpmlint's text lines, JSON Lines (the stable schema
// of DESIGN.md, "check lines") and SARIF 2.1.0 for code-scanning UIs.
//
// Formats print what they are given, in the order given: which findings
// to show (pedantic ones, overridden ones) is the caller's choice, as is
// the exit status. Every format validates all findings first and writes
// in one call, so an error leaves nothing half-written.
//
// Choices where the imitated tools have no direct equivalent:
//
//   - A finding without a package (a plain directory) is printed under the
//     name "(none)", rpmlint's own placeholder, in both text formats; it
//     cannot be mistaken for a package name. JSON writes null.
//   - The text formats print the unit, when there is one, before the
//     detail, so a line reads like the override that silences it
//     ("override <tag> <unit> <detail> because …"). Producers should
//     therefore not repeat the unit in Detail.
//   - lintian: an overridden finding is an "O:" line preceded by "N:"
//     lines with the reason, as lintian --show-overrides prints an
//     override's comment. The pointer is "[path:line]" with the leading
//     "/" dropped, as lintian's pointers are relative to the package root.
//   - rpmlint has only E, W and I: pedantic is printed as I (which
//     rpmlint counts nowhere). Overridden findings are not printed, as
//     rpmlint does not print filtered messages; they are counted as
//     "filtered" in the summary line (the wording of rpmlint 2.5+; the
//     badness and timing parts are left out as they mean nothing here).
//     The details start with the path, as rpmlint's do.
//   - Text formats replace control characters with "?", as lintian does,
//     since details may quote hostile unit files.
package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/tags"
)

// NoPackage is printed for findings whose package is unknown.
const NoPackage = "(none)"

// Options tune Write beyond the findings themselves.
type Options struct {
	// Packages is how many packages were checked, for rpmlint's summary
	// line; 0 counts the distinct packages among the findings, which
	// misses packages without findings.
	Packages int
	// ToolVersion is SARIF's tool.driver.version; left out when empty.
	ToolVersion string
}

type writer func(b *bytes.Buffer, fs []finding.Finding, set *tags.Set, o Options) error

var formats = []struct {
	name string
	// needsSet: the format prints tag data (SARIF rules).
	needsSet bool
	write    writer
}{
	{"lintian", false, writeLintian},
	{"rpmlint", false, writeRpmlint},
	{"json", false, writeJSON},
	{"sarif", true, writeSARIF},
}

// Formats lists the names Write accepts.
func Formats() []string {
	n := make([]string, len(formats))
	for i, f := range formats {
		n[i] = f.name
	}
	return n
}

// Write prints findings in format. set, when not nil, must know every
// finding's tag; the sarif format needs it.
func Write(w io.Writer, format string, fs []finding.Finding, set *tags.Set) error {
	return WriteOptions(w, format, fs, set, Options{})
}

// WriteOptions is Write with Options.
func WriteOptions(w io.Writer, format string, fs []finding.Finding, set *tags.Set, o Options) error {
	for _, f := range formats {
		if f.name != format {
			continue
		}
		if f.needsSet && set == nil {
			return fmt.Errorf("report: format %s needs the tag set", format)
		}
		if err := check(fs, set); err != nil {
			return err
		}
		var b bytes.Buffer
		if err := f.write(&b, fs, set, o); err != nil {
			return err
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	return fmt.Errorf("report: unknown format %q (%s)", format, strings.Join(Formats(), ", "))
}

// check refuses findings no format could print faithfully: a tag the set
// does not know (a typo in a producer) or an out-of-range severity.
func check(fs []finding.Finding, set *tags.Set) error {
	for i, f := range fs {
		if f.Tag == "" {
			return fmt.Errorf("report: finding %d has no tag", i)
		}
		if f.Severity < finding.Pedantic || f.Severity > finding.Error {
			return fmt.Errorf("report: finding %d (%s): invalid severity %d", i, f.Tag, int(f.Severity))
		}
		if set != nil {
			if _, ok := set.Get(f.Tag); !ok {
				return fmt.Errorf("report: finding %d: unknown tag %q", i, f.Tag)
			}
		}
	}
	return nil
}

// letter is lintian's and rpmlint's one-letter severity code.
func letter(s finding.Severity) string {
	return [...]string{"P", "I", "W", "E"}[s]
}

// printable replaces what a terminal would interpret (control characters,
// invalid UTF-8) with "?", as lintian's _quote_print does.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func pathLine(path string, line int) string {
	if path != "" && line > 0 {
		return fmt.Sprintf("%s:%d", path, line)
	}
	return path
}

func pkgName(p string) string {
	if p == "" {
		return NoPackage
	}
	return p
}

func writeLintian(b *bytes.Buffer, fs []finding.Finding, _ *tags.Set, _ Options) error {
	for _, f := range fs {
		code := letter(f.Severity)
		if f.Overridden != "" {
			code = "O"
			for _, l := range strings.Split(f.Overridden, "\n") {
				b.WriteString(strings.TrimRight("N: "+printable(l), " ") + "\n")
			}
		}
		fmt.Fprintf(b, "%s: %s: %s", code, printable(pkgName(f.Package)), printable(f.Tag))
		if ctx := joinNonEmpty(" ", f.Unit, f.Detail); ctx != "" {
			b.WriteString(" " + printable(ctx))
		}
		if f.Path != "" {
			b.WriteString(" [" + printable(pathLine(strings.TrimPrefix(f.Path, "/"), f.Line)) + "]")
		}
		b.WriteByte('\n')
	}
	return nil
}

func writeRpmlint(b *bytes.Buffer, fs []finding.Finding, _ *tags.Set, o Options) error {
	var errs, warns, filtered int
	packages := map[string]bool{}
	for _, f := range fs {
		name := pkgName(f.Package)
		if f.Arch != "" {
			name += "." + f.Arch
		}
		packages[name] = true
		if f.Overridden != "" {
			filtered++
			continue
		}
		l := letter(f.Severity)
		switch f.Severity {
		case finding.Error:
			errs++
		case finding.Warning:
			warns++
		case finding.Pedantic:
			l = "I"
		}
		fmt.Fprintf(b, "%s: %s: %s", printable(name), l, printable(f.Tag))
		if d := joinNonEmpty(" ", pathLine(f.Path, f.Line), f.Unit, f.Detail); d != "" {
			b.WriteString(" " + printable(d))
		}
		b.WriteByte('\n')
	}
	n := o.Packages
	if n == 0 {
		n = len(packages)
	}
	fmt.Fprintf(b, "%d packages and 0 specfiles checked; %d errors, %d warnings, %d filtered\n", n, errs, warns, filtered)
	return nil
}
