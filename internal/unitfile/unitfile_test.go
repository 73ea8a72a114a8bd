package unitfile

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/coreos/go-systemd/v22/unit"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
)

func TestSplitLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // text|eol
	}{
		{"a\nb", []string{"a|\n", "b|"}},
		{"a\r\nb\r\n", []string{"a|\r\n", "b|\r\n"}},
		{"a\n\rb", []string{"a|\n\r", "b|"}},
		{"a\r\rb", []string{"a|\r", "|\r", "b|"}},
		{"a\n\nb", []string{"a|\n", "|\n", "b|"}},
		{"a\x00\nb", []string{"a|\x00", "|\n", "b|"}},
		{"", nil},
	} {
		var got []string
		for _, l := range SplitLines([]byte(tc.in)) {
			got = append(got, string(l.Text)+"|"+string(l.EOL))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("SplitLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

type kv struct{ section, key, value string }

func assignments(f *File) []kv {
	var out []kv
	for _, a := range f.Assignments {
		out = append(out, kv{a.Section, a.Key, a.Value})
	}
	return out
}

func TestParseSemantics(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []kv
		warns    int
	}{
		{"basic", "[Service]\nExecStart=/bin/true\n", []kv{{"Service", "ExecStart", "/bin/true"}}, 0},
		{"spaces around =", "[Service]\n  Key  =  a b  \n", []kv{{"Service", "Key", "a b"}}, 0},
		{"comments", "# c\n; c\n[Service]\n  # indented comment\nA=1\n", []kv{{"Service", "A", "1"}}, 0},
		{"continuation", "[Service]\nA=one \\\n  two\n", []kv{{"Service", "A", "one    two"}}, 0},
		{"comment inside continuation", "[Service]\nA=one\\\n# skipped\n two\n", []kv{{"Service", "A", "one  two"}}, 0},
		{"comment ending in backslash does not continue", "[Service]\n# old \\\nProtectSystem=strict\n", []kv{{"Service", "ProtectSystem", "strict"}}, 0},
		{"escaped backslash is not a continuation", "[Service]\nA=x\\\\\nB=y\n", []kv{{"Service", "A", "x\\\\"}, {"Service", "B", "y"}}, 0},
		{"continuation at EOF", "[Service]\nA=x \\", []kv{{"Service", "A", "x"}}, 0},
		{"empty line ends continuation", "[Service]\nA=x\\\n\nB=y\n", []kv{{"Service", "A", "x"}, {"Service", "B", "y"}}, 0},
		{"CRLF", "[Service]\r\nA=1\r\n", []kv{{"Service", "A", "1"}}, 0},
		{"BOM", "\xef\xbb\xbf[Service]\nA=1\n", []kv{{"Service", "A", "1"}}, 0},
		{"quotes and specifiers kept", "[Service]\nA=\"%i\" '%n'\n", []kv{{"Service", "A", "\"%i\" '%n'"}}, 0},
		{"missing =", "[Service]\nA\nB=1\n", []kv{{"Service", "B", "1"}}, 1},
		{"missing key", "[Service]\n=1\n", nil, 1},
		{"outside section", "A=1\n[Service]\nB=2\n", []kv{{"Service", "B", "2"}}, 1},
		{"unknown section", "[Bogus]\nA=1\n[Service]\nB=2\n", []kv{{"Service", "B", "2"}}, 1},
		{"X- section silently ignored", "[X-Foo]\nA=1\n", nil, 0},
		{"empty value", "[Service]\nA=\n", []kv{{"Service", "A", ""}}, 0},
		{"value with =", "[Service]\nEnvironment=A=b\n", []kv{{"Service", "Environment", "A=b"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("u.service", []byte(tc.in), ServiceOptions())
			if err != nil {
				t.Fatal(err)
			}
			if got := assignments(f); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if len(f.Warnings) != tc.warns {
				t.Errorf("warnings %v, want %d", f.Warnings, tc.warns)
			}
			if !bytes.Equal(f.Bytes(), []byte(tc.in)) {
				t.Errorf("round trip changed the file")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := "[Service]\nA=" + strings.Repeat("x", MaxLine) + "\n"
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"unterminated header", "[Service\nA=1\n", 1, "invalid section header"},
		{"garbage after header", "[Service]x\n", 1, "invalid section header"},
		{"bad characters in header", "[Ser\"vice]\n", 1, "bad characters"},
		{"invalid UTF-8", "[Service]\nA=\xff\n", 2, "not valid UTF-8"},
		{"non-character", "[Service]\nA=\xef\xbf\xbe\n", 2, "not valid UTF-8"},
		{"line too long", long, 2, "line too long"},
		{"continuation too long", "[Service]\nA=" + strings.Repeat("x", MaxLine-10) + "\\\n" + strings.Repeat("y", 20) + "\n", 3, "continuation line too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("u.service", []byte(tc.in), ServiceOptions())
			var pe *Error
			if err == nil || !asError(err, &pe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if pe.Line != tc.line || !strings.Contains(pe.Msg, tc.msg) || pe.Path != "u.service" {
				t.Errorf("err = %v, want line %d and %q", err, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("u.service:%d: ", tc.line)) {
				t.Errorf("message %q does not start with file:line", err)
			}
			if !bytes.Equal(f.Bytes(), []byte(tc.in)) {
				t.Errorf("round trip changed the file")
			}
		})
	}
	if _, err := Parse("big.service", make([]byte, MaxFile+1), ServiceOptions()); err == nil {
		t.Error("file over the limit accepted")
	}
}

func asError(err error, pe **Error) bool {
	e, ok := err.(*Error)
	*pe = e
	return ok
}

// TestRoundTripRealPackages parses every file in the unit directories of
// the real packages the test setup downloaded and checks that it comes
// back byte for byte.
func TestRoundTripRealPackages(t *testing.T) {
	trees := filepath.Join(testcache.Dir(), "realpkgs", "trees")
	if _, err := os.Stat(trees); err != nil {
		testcache.Missing(t, "no package trees in %s (run testdata/realpkgs/fetch.sh)", trees)
	}
	n := 0
	err := filepath.WalkDir(trees, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || !strings.Contains(filepath.ToSlash(p), "/systemd/system/") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, perr := Parse(p, data, Options{})
		if perr != nil {
			t.Errorf("%v", perr)
		}
		if !bytes.Equal(f.Bytes(), data) {
			t.Errorf("%s: round trip differs", p)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 200 {
		t.Fatalf("only %d unit files found", n)
	}
	t.Logf("%d unit files round-tripped byte for byte", n)
}

// FuzzParse: no panic, the round trip is exact, and errors name the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[Service]\nExecStart=/bin/true\n"))
	f.Add([]byte("[Service]\nA=1\\\n# c\n 2\r\n"))
	f.Add([]byte("\xef\xbb\xbf[Unit]\x00[Service]\rA=\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.service", data, ServiceOptions())
		if !bytes.Equal(file.Bytes(), data) {
			t.Fatalf("round trip differs")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.service:") {
			t.Fatalf("error does not name the file: %v", err)
		}
		for _, a := range file.Assignments {
			if a.Key == "" || a.Line < 1 || a.EndLine < a.Line || a.EndLine > len(file.Lines) {
				t.Fatalf("bad assignment %+v", a)
			}
		}
	})
}

// plainSubset reports whether data uses only the syntax where go-systemd
// and systemd agree (go-systemd differs on comments ending in a
// backslash, continuations, CR, NUL, text before the first section and
// lines without '=': ../shared/notes/go-libraries.md).
func plainSubset(data []byte) bool {
	if !ValidUTF8(data) || bytes.ContainsAny(data, "\r\x00\\") || bytes.HasPrefix(data, bom) {
		return false
	}
	// go-systemd trims any Unicode space (strings.TrimSpace); systemd's
	// WHITESPACE is only " \t\n\r", so "\f" or U+00A0 next to a key or
	// value is kept by systemd (a documented divergence).
	for _, r := range string(data) {
		if unicode.IsSpace(r) && !strings.ContainsRune(" \t\n\r", r) {
			return false
		}
	}
	inSection := false
	for _, l := range strings.Split(string(data), "\n") {
		if len(l) > 1000 {
			return false
		}
		t := strings.TrimSpace(l)
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
		case t[0] == '[':
			if !strings.HasSuffix(t, "]") || strings.ContainsAny(t[1:len(t)-1], "[]\"'") || len(t) < 3 {
				return false
			}
			inSection = true
		default:
			eq := strings.IndexByte(t, '=')
			if !inSection || eq <= 0 || strings.ContainsAny(t, "[]") {
				return false
			}
		}
	}
	return true
}

// FuzzAgainstGoSystemd is a differential test: on the syntax both parsers
// share, they must see the same (section, key, value) sequence.
func FuzzAgainstGoSystemd(f *testing.F) {
	f.Add([]byte("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n# c\nUser = nobody\n"))
	f.Add([]byte("[Service]\n; comment\nEnvironment=A=b C=d\n\n[Install]\nWantedBy=multi-user.target\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !plainSubset(data) {
			return
		}
		ours, err := Parse("x.service", data, Options{})
		if err != nil {
			return
		}
		sections, gerr := unit.DeserializeSections(bytes.NewReader(data))
		if gerr != nil {
			t.Fatalf("go-systemd rejects what systemd accepts: %v", gerr)
		}
		var theirs []kv
		for _, s := range sections {
			for _, e := range s.Entries {
				theirs = append(theirs, kv{s.Section, e.Name, e.Value})
			}
		}
		if got := assignments(ours); fmt.Sprint(got) != fmt.Sprint(theirs) {
			t.Fatalf("ours %q, go-systemd %q", got, theirs)
		}
	})
}
