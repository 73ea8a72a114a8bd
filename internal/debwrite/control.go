package debwrite

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// field is one field of the control paragraph, located in the file.
type field struct {
	name  string // as written ("Version")
	value string // first line's value, trimmed
	line  int    // index into lines
}

// controlFile is the control member split into lines, so fields can be
// edited while every other byte stays as the packager's tools wrote it
// (pault.ag's Marshal would reformat the whole paragraph; notes/debian.md
// §14.1).
type controlFile struct {
	lines  []string // each with its "\n" (the last one maybe without)
	fields map[string]field
}

func parseControl(b []byte) (*controlFile, error) {
	c := &controlFile{fields: map[string]field{}}
	s := string(b)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			i = len(s) - 1
		}
		c.lines = append(c.lines, s[:i+1])
		s = s[i+1:]
	}
	for i, l := range c.lines {
		t := strings.TrimRight(l, "\r\n")
		if strings.TrimSpace(t) == "" {
			break // end of the (single) binary paragraph
		}
		if t[0] == ' ' || t[0] == '\t' || t[0] == '#' {
			continue // continuation line or comment
		}
		name, value, ok := strings.Cut(t, ":")
		if !ok {
			return nil, fmt.Errorf("control file line %d: not a field: %q", i+1, t)
		}
		key := strings.ToLower(name)
		if _, dup := c.fields[key]; dup {
			return nil, fmt.Errorf("control file line %d: field %s given twice", i+1, name)
		}
		c.fields[key] = field{name: name, value: strings.TrimSpace(value), line: i}
	}
	return c, nil
}

func (c *controlFile) get(name string) (field, bool) {
	f, ok := c.fields[strings.ToLower(name)]
	return f, ok
}

// set replaces a single-line field's value, keeping the field name as
// written and the line ending.
func (c *controlFile) set(f field, value string) {
	end := "\n"
	if !strings.HasSuffix(c.lines[f.line], "\n") {
		end = ""
	}
	c.lines[f.line] = f.name + ": " + value + end
}

// insertBefore adds a line before the given field's line.
func (c *controlFile) insertBefore(f field, line string) {
	c.lines = append(c.lines[:f.line], append([]string{line}, c.lines[f.line:]...)...)
	for k, g := range c.fields {
		if g.line >= f.line {
			g.line++
			c.fields[k] = g
		}
	}
}

func (c *controlFile) bytes() []byte { return []byte(strings.Join(c.lines, "")) }

// versionPlan is how the control file's identity changes.
type versionPlan struct {
	oldVersion, newVersion string
	// source is the new Source field value, "" for no change.
	source string
}

// planVersion decides the new Version and Source fields the way
// dpkg-gencontrol writes them (scripts/dpkg-gencontrol.pl: when the binary
// version differs from the source version, or the package name from the
// source name, it writes "Source: <src>" plus " (<source version>)" when
// the versions differ). The source version is the one already in
// "Source: src (ver)" (a binNMU), else the original binary version.
//
// A version that already ends with the suffix is left alone, so running
// apply again on a rewritten package does not stack "+harden1+harden1".
func planVersion(c *controlFile, keep bool, suffix string) (versionPlan, error) {
	vf, ok := c.get("Version")
	if !ok || vf.value == "" {
		return versionPlan{}, fmt.Errorf("control file has no Version field")
	}
	pf, ok := c.get("Package")
	if !ok || pf.value == "" {
		return versionPlan{}, fmt.Errorf("control file has no Package field")
	}
	vp := versionPlan{oldVersion: vf.value, newVersion: vf.value}
	if keep || strings.HasSuffix(vf.value, suffix) {
		return vp, nil
	}
	vp.newVersion = vf.value + suffix
	srcName, srcVersion := pf.value, vf.value
	if sf, ok := c.get("Source"); ok {
		name, rest, _ := strings.Cut(sf.value, " ")
		srcName = name
		if v, ok := strings.CutPrefix(strings.TrimSpace(rest), "("); ok {
			if v, ok := strings.CutSuffix(v, ")"); ok && strings.TrimSpace(v) != "" {
				srcVersion = strings.TrimSpace(v)
			}
		}
	}
	if vp.newVersion != srcVersion {
		vp.source = srcName + " (" + srcVersion + ")"
	}
	return vp, nil
}

// checkSuffix accepts what can be appended to a Debian version without
// changing how it splits into epoch, upstream version and revision
// (deb-version(7)): no ':' and no '-'.
func checkSuffix(s string) error {
	if s == "" {
		return fmt.Errorf("empty version suffix")
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '+', r == '~':
		default:
			return fmt.Errorf("version suffix %q: %q is not allowed (letters, digits, '.', '+', '~')", s, r)
		}
	}
	return nil
}

// editControl applies the version plan and adds sizeDelta to
// Installed-Size. A control file without Installed-Size keeps none: the
// rewrite does not invent a field its builder left out.
func editControl(b []byte, vp versionPlan, sizeDelta int64) ([]byte, error) {
	c, err := parseControl(b)
	if err != nil {
		return nil, err
	}
	if vp.newVersion != vp.oldVersion {
		vf, _ := c.get("Version")
		c.set(vf, vp.newVersion)
	}
	if vp.source != "" {
		if sf, ok := c.get("Source"); ok {
			if sf.value != vp.source {
				c.set(sf, vp.source)
			}
		} else {
			// dpkg-gencontrol's field order puts Source right before
			// Version (after Package and Package-Type).
			vf, _ := c.get("Version")
			c.insertBefore(vf, "Source: "+vp.source+"\n")
		}
	}
	if sizeDelta != 0 {
		if f, ok := c.get("Installed-Size"); ok {
			n, err := strconv.ParseInt(f.value, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("control file: Installed-Size %q is not a number", f.value)
			}
			c.set(f, strconv.FormatInt(n+sizeDelta, 10))
		}
	}
	return c.bytes(), nil
}

// md5Line renders one md5sums line as `md5sum` (and so dh_md5sums)
// writes it: hash, two spaces, the path without its leading "/". A name
// with a backslash gets md5sum's escaping: a leading '\' on the line and
// the backslash doubled (control characters were refused earlier).
func md5Line(p string, data []byte) string {
	name := strings.TrimPrefix(p, "/")
	sum := fmt.Sprintf("%x", md5.Sum(data))
	if strings.Contains(name, `\`) {
		return `\` + sum + "  " + strings.ReplaceAll(name, `\`, `\\`) + "\n"
	}
	return sum + "  " + name + "\n"
}

// md5Path returns the path named by an md5sums line ("" if the line does
// not parse), undoing md5sum's escaping.
func md5Path(line string) string {
	line = strings.TrimRight(line, "\r\n")
	escaped := strings.HasPrefix(line, `\`)
	if escaped {
		line = line[1:]
	}
	if len(line) < 34 || (line[32] != ' ') || (line[33] != ' ' && line[33] != '*') {
		return ""
	}
	name := line[34:]
	if escaped {
		name = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(name)
	}
	return "/" + strings.TrimPrefix(name, "./")
}

// editMD5sums replaces the lines of the given paths and inserts the
// missing ones where `LC_ALL=C sort` (dh_md5sums) would have put them:
// before the first line whose path sorts after. Lines it cannot parse are
// kept as they are.
func editMD5sums(old []byte, lines map[string]string) []byte {
	var paths []string
	for p := range lines {
		paths = append(paths, p)
	}
	slices.Sort(paths) // Go compares strings bytewise, as LC_ALL=C sort does
	var out bytes.Buffer
	done := map[string]bool{}
	s := string(old)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			i = len(s) - 1
		}
		line := s[:i+1]
		s = s[i+1:]
		p := md5Path(line)
		if p != "" {
			for len(paths) > 0 && paths[0] < p {
				if !done[paths[0]] {
					out.WriteString(lines[paths[0]])
					done[paths[0]] = true
				}
				paths = paths[1:]
			}
			if l, ok := lines[p]; ok {
				if !done[p] {
					out.WriteString(l)
					done[p] = true
				}
				continue
			}
		}
		if !strings.HasSuffix(line, "\n") {
			line += "\n" // a last line without newline gets one before more lines follow
		}
		out.WriteString(line)
	}
	for _, p := range paths {
		if !done[p] {
			out.WriteString(lines[p])
		}
	}
	return out.Bytes()
}
