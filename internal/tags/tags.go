// Package tags loads the finding tags: one deb822 file per tag under
// templates/tags/, the way lintian keeps its tags, so that a tag's
// severity and explanation are data reviewed like prose, not strings
// scattered through the code.
package tags

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"pault.ag/go/debian/control"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/templates"
)

// Tag is one finding tag as declared in its file.
type Tag struct {
	Name     string
	Severity finding.Severity
	// Explanation is the deb822 value decoded: the leading space of each
	// continuation line removed, " ." turned into an empty line, no
	// trailing newline. Further indentation (examples) is kept.
	Explanation string
	// SeeAlso holds references in file order: manual pages as
	// "name(section)" and URLs.
	SeeAlso []string
}

// Summary is the explanation's first paragraph on one line, for places
// that have room for one sentence (SARIF's shortDescription).
func (t Tag) Summary() string {
	para, _, _ := strings.Cut(t.Explanation, "\n\n")
	return strings.Join(strings.Fields(para), " ")
}

// Set is the loaded, validated tags.
type Set struct {
	tags  map[string]Tag
	names []string // sorted
}

// Get returns the named tag.
func (s *Set) Get(name string) (Tag, bool) {
	t, ok := s.tags[name]
	return t, ok
}

// Names returns every tag name, sorted.
func (s *Set) Names() []string {
	return append([]string(nil), s.names...)
}

// Load reads the tags embedded in the binary.
func Load() (*Set, error) {
	return LoadFS(templates.FS, "tags")
}

// Prefixes are what a tag name may start with: what the tag is about
// (DESIGN.md, "Findings"). A new subject is added here on purpose.
var Prefixes = []string{"unit-", "tier-", "sysv-", "dynamic-user-", "package-", "config-"}

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

// fields are the accepted deb822 fields; anything else is an error so a
// misspelt field cannot be silently ignored.
var fields = map[string]bool{"Tag": true, "Severity": true, "Explanation": true, "See-Also": true}

// LoadFS reads every dir/*.tag file of fsys. Other files are ignored (the
// embed pattern only takes *.tag anyway). Any invalid file fails the whole
// load: a broken tag is a bug in the binary, not an input problem.
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	s := &Set{tags: map[string]Tag{}}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tag") {
			continue
		}
		p := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("tags: %w", err)
		}
		t, err := parse(data, strings.TrimSuffix(e.Name(), ".tag"))
		if err != nil {
			return nil, fmt.Errorf("tags: %s: %w", p, err)
		}
		// File names are unique within a directory, but keep the check so
		// a future loader over several directories cannot shadow a tag.
		if _, dup := s.tags[t.Name]; dup {
			return nil, fmt.Errorf("tags: %s: duplicate tag %q", p, t.Name)
		}
		s.tags[t.Name] = t
		s.names = append(s.names, t.Name)
	}
	sort.Strings(s.names)
	return s, nil
}

// parse reads and validates one tag file whose name (without .tag) is
// fileName.
func parse(data []byte, fileName string) (Tag, error) {
	// A clearsigned file would be accepted unverified by the reader
	// (nil keyring): tag files are never signed, so refuse.
	if bytes.HasPrefix(data, []byte("-----BEGIN PGP")) {
		return Tag{}, errors.New("signed tag files are not supported")
	}
	r, err := control.NewParagraphReader(bytes.NewReader(data), nil)
	if err != nil {
		return Tag{}, err
	}
	para, err := r.Next()
	if err == io.EOF {
		return Tag{}, errors.New("empty file")
	}
	if err != nil {
		return Tag{}, err
	}
	if _, err := r.Next(); err != io.EOF {
		if err != nil {
			return Tag{}, err
		}
		return Tag{}, errors.New("more than one paragraph")
	}

	// The reader records duplicate fields twice in Order and keeps only
	// the last value, and files a continuation line before any field
	// under "": catch both.
	seen := map[string]bool{}
	for _, k := range para.Order {
		if !fields[k] {
			return Tag{}, fmt.Errorf("unknown field %q (Tag, Severity, Explanation, See-Also)", k)
		}
		if seen[k] {
			return Tag{}, fmt.Errorf("duplicate field %q", k)
		}
		seen[k] = true
	}
	if _, ok := para.Values[""]; ok {
		return Tag{}, errors.New("continuation line before the first field")
	}
	for _, k := range []string{"Tag", "Severity", "Explanation"} {
		if strings.TrimSpace(para.Values[k]) == "" {
			return Tag{}, fmt.Errorf("missing %s field", k)
		}
	}

	t := Tag{Name: para.Values["Tag"]}
	if !nameRE.MatchString(t.Name) {
		return Tag{}, fmt.Errorf("tag name %q: want lowercase words joined by '-'", t.Name)
	}
	if !hasPrefix(t.Name) {
		return Tag{}, fmt.Errorf("tag name %q: want one of the prefixes %s", t.Name, strings.Join(Prefixes, " "))
	}
	if t.Name != fileName {
		return Tag{}, fmt.Errorf("field Tag %q does not match the file name %q", t.Name, fileName+".tag")
	}

	sev, err := finding.ParseSeverity(para.Values["Severity"])
	if err != nil || sev.String() != para.Values["Severity"] {
		return Tag{}, fmt.Errorf("field Severity %q: want error, warning, info or pedantic", para.Values["Severity"])
	}
	t.Severity = sev

	t.Explanation = strings.TrimRight(para.Values["Explanation"], "\n")

	if sa, ok := para.Values["See-Also"]; ok {
		for _, ref := range strings.Split(sa, ",") {
			ref = strings.TrimSpace(ref)
			if ref == "" {
				return Tag{}, errors.New("See-Also: empty reference")
			}
			t.SeeAlso = append(t.SeeAlso, ref)
		}
	}
	return t, nil
}

func hasPrefix(name string) bool {
	for _, p := range Prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
