package signals

import (
	"path"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// maxConfigFile bounds a configuration file read from the package; kept
// files are already bounded by pkgmodel.MaxKept.
const maxConfigFile = 4 << 20

// readKept reads a file of the package through its symlinks; ok is false
// when it is absent, masked or its contents were not kept.
func (c *ctx) readKept(p string) (string, []byte, bool) {
	if c.pkg.Tree == nil {
		return "", nil, false
	}
	real, e, err := tree.Resolve(c.pkg.Tree, p)
	if err != nil || e.Type != tree.Regular || real == "/dev/null" {
		return "", nil, false
	}
	data, err := c.pkg.Tree.ReadFile(real, maxConfigFile)
	if err != nil {
		return "", nil, false
	}
	return real, data, true
}

// listDir returns the names of the regular files (or links to them) in a
// directory of the package, sorted; nil when it is absent.
func (c *ctx) listDir(dir string) []string {
	if c.pkg.Tree == nil {
		return nil
	}
	real, e, err := tree.Resolve(c.pkg.Tree, dir)
	if err != nil || e.Type != tree.Dir {
		return nil
	}
	ents, err := c.pkg.Tree.ReadDir(real)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.Type == tree.Regular || e.Type == tree.Symlink {
			out = append(out, e.Name)
		}
	}
	return out
}

// envFile is an EnvironmentFile= of the unit that the package ships.
type envFile struct {
	path  string
	lines []envLine
}

type envLine struct {
	line       int
	text       string // as written
	key, value string // the value unquoted
}

// readEnvFiles reads the unit's EnvironmentFile= files that the package
// ships and keeps (/etc/default, /etc/sysconfig): their settings reach
// the command lines through $VAR.
func (c *ctx) readEnvFiles() []envFile {
	var out []envFile
	for _, a := range c.list(c.unit, "Service", "EnvironmentFile") {
		for _, w := range words(c.expand(a.a.Value), false) {
			p := path.Clean(strings.TrimPrefix(w, "-"))
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "%") {
				continue
			}
			_, data, ok := c.readKept(p)
			if !ok {
				continue
			}
			out = append(out, envFile{path: p, lines: parseEnv(string(data))})
		}
	}
	return out
}

// parseEnv reads KEY=VALUE lines as systemd and sh read them: comments,
// "export", quotes; a line continued with a backslash is joined.
func parseEnv(s string) []envLine {
	var out []envLine
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		text := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, "\\") + strings.TrimRight(lines[i], "\r")
		}
		t := strings.TrimSpace(text)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		out = append(out, envLine{line: n, text: strings.TrimSpace(text), key: strings.TrimSpace(k), value: strings.Join(words(v, false), " ")})
	}
	return out
}

// tmpfilesDirs are searched for tmpfiles.d files; a name in an earlier
// directory overrides the same name in a later one, as in tmpfiles.d(5).
var tmpfilesDirs = []string{"/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/local/lib/tmpfiles.d", "/usr/lib/tmpfiles.d", "/lib/tmpfiles.d"}

// tmpfilesLine is one entry of a tmpfiles.d file of the package.
type tmpfilesLine struct {
	file  string
	line  int
	text  string
	typ   byte // the type letter, modifiers dropped
	path  string
	user  string
	group string
}

func (t tmpfilesLine) evidence() finding.Evidence {
	return finding.Evidence{Path: t.file, Line: t.line, Text: t.text}
}

// readTmpfiles reads every tmpfiles.d entry the package ships. Specifiers
// that name system directories are expanded; entries whose path still
// holds a specifier are dropped.
func (c *ctx) readTmpfiles() []tmpfilesLine {
	seen := map[string]bool{}
	type named struct{ name, path string }
	var files []named
	for _, d := range tmpfilesDirs {
		for _, n := range c.listDir(d) {
			if !strings.HasSuffix(n, ".conf") || seen[n] {
				continue
			}
			seen[n] = true
			files = append(files, named{n, path.Join(d, n)})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var out []tmpfilesLine
	for _, f := range files {
		_, data, ok := c.readKept(f.path)
		if !ok {
			continue
		}
		for i, l := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(l)
			if t == "" || t[0] == '#' {
				continue
			}
			fs := words(t, false)
			if len(fs) < 2 || fs[0] == "" {
				continue
			}
			p := expandTmpfiles(fs[1])
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "%") {
				continue
			}
			tl := tmpfilesLine{file: f.path, line: i + 1, text: t, typ: fs[0][0], path: path.Clean(p)}
			if len(fs) > 3 && fs[3] != "-" {
				tl.user = fs[3]
			}
			if len(fs) > 4 && fs[4] != "-" {
				tl.group = fs[4]
			}
			out = append(out, tl)
		}
	}
	return out
}

// expandTmpfiles expands the tmpfiles.d specifiers of system directories
// (tmpfiles.d(5), system mode).
func expandTmpfiles(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	r := strings.NewReplacer("%%", "%%", "%t", "/run", "%S", "/var/lib", "%C", "/var/cache",
		"%L", "/var/log", "%T", "/tmp", "%V", "/var/tmp", "%E", "/etc")
	return r.Replace(s)
}

// logrotateDir holds the package's logrotate configuration.
const logrotateDir = "/etc/logrotate.d"

// logPath is a log file pattern named in a logrotate file.
type logPath struct {
	file string
	line int
	text string
	path string
}

// readLogrotate returns the log paths listed before each "{" of the
// package's logrotate files (several per line, quoted or not, possibly
// globs).
func (c *ctx) readLogrotate() []logPath {
	var out []logPath
	for _, n := range c.listDir(logrotateDir) {
		p := path.Join(logrotateDir, n)
		_, data, ok := c.readKept(p)
		if !ok {
			continue
		}
		depth := 0
		for i, l := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(l)
			if t == "" || t[0] == '#' {
				continue
			}
			head := t
			if depth == 0 {
				if j := strings.IndexByte(t, '{'); j >= 0 {
					head = t[:j]
				}
				ws := words(head, false)
				if len(ws) == 0 || !strings.HasPrefix(ws[0], "/") {
					ws = nil // a global directive ("include /etc/x", "weekly")
				}
				for _, w := range ws {
					if strings.HasPrefix(w, "/") {
						out = append(out, logPath{file: p, line: i + 1, text: t, path: w})
					}
				}
			}
			depth += strings.Count(t, "{") - strings.Count(t, "}")
			if depth < 0 {
				depth = 0
			}
		}
	}
	return out
}
