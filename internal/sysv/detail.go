package sysv

import (
	"path"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

// Call is one maintainer script line that manages an init script.
type Call struct {
	Script string `json:"script"` // "postinst", "%post", …
	Line   int    `json:"line"`   // 1-based
	Tool   string `json:"tool"`   // "update-rc.d", "invoke-rc.d", "chkconfig", "systemd-sysv-convert"
	Name   string `json:"name"`   // the init script it names, as written ("" when none)
	Text   string `json:"text"`   // the line, trimmed
}

// tools are the commands that manage SysV scripts from maintainer scripts.
var tools = []string{"update-rc.d", "invoke-rc.d", "chkconfig", "systemd-sysv-convert"}

// Calls finds the init script management calls in a package's maintainer
// scripts, in script then line order. Comment lines are skipped; a call
// whose script name is a shell variable keeps it as written.
func Calls(pkg *pkgmodel.Package) []Call {
	var out []Call
	for _, sc := range pkg.Scripts {
		for i, line := range strings.Split(sc.Text, "\n") {
			t := strings.TrimSpace(line)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			words := strings.FieldsFunc(t, func(r rune) bool {
				return r == ' ' || r == '\t' || r == ';' || r == '(' || r == ')' || r == '`' || r == '&' || r == '|'
			})
			for j, w := range words {
				tool := ""
				for _, c := range tools {
					if w == c || strings.HasSuffix(w, "/"+c) {
						tool = c
					}
				}
				if tool == "" {
					continue
				}
				out = append(out, Call{Script: sc.Name, Line: i + 1, Tool: tool, Name: callName(words[j+1:]), Text: t})
				break
			}
		}
	}
	return out
}

// callName is the first argument that is not an option: update-rc.d -f
// NAME remove, invoke-rc.d --skip-systemd-native NAME start, chkconfig
// --del NAME, systemd-sysv-convert --save NAME.
func callName(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") || strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>") {
			continue
		}
		return strings.Trim(a, `"'`)
	}
	return ""
}

// describe fills in what Find leaves out of the plain name match: the LSB
// header, replacement through LSB Provides, the settings file and whether
// the unit reads it, and the maintainer script calls.
func describe(pkg *pkgmodel.Package, l *unitload.Loader, scripts []Script) {
	conffiles := map[string]bool{}
	for _, c := range pkg.Conffiles {
		conffiles[c] = true
	}
	entries := map[string]pkgmodel.Entry{}
	for _, e := range pkg.Entries {
		entries[e.Path] = e
		if e.Conffile {
			conffiles[e.Path] = true
		}
	}
	calls := Calls(pkg)
	for i := range scripts {
		s := &scripts[i]
		s.Conffile = conffiles[s.Path]
		var text []byte
		if e := entries[s.Path]; e.Type == tree.Regular {
			// A script whose contents the reader did not keep has no
			// header to read; the rest of the description still holds.
			text, _ = pkg.Tree.ReadFile(s.Path, pkgmodel.MaxKept)
		}
		s.LSB = ParseLSB(text)
		if s.How == "" {
			// systemd-sysv-generator makes each service name in Provides
			// an alias of the generated unit, so a unit of that name is
			// what the script stands for.
			for _, p := range s.LSB.Provides {
				if strings.HasPrefix(p, "$") || p == s.Name {
					continue
				}
				if u := l.Path(p + ".service"); u != "" {
					s.Replaced, s.How = u, "provides"
					break
				}
			}
		}
		name := strings.TrimSuffix(s.Name, ".sh")
		for _, d := range []string{"/etc/default/", "/etc/sysconfig/"} {
			if e, ok := entries[d+name]; ok && e.Type != tree.Dir {
				s.Default = d + name
				s.DefaultConffile = conffiles[d+name]
				break
			}
		}
		if s.Default != "" {
			// Scripts name the file literally or through a variable
			// (/etc/default/$NAME, /etc/default/${BASENAME}), so any
			// mention of the directory counts.
			s.ScriptReadsDefault = strings.Contains(string(text), path.Dir(s.Default)+"/")
			if s.Replaced != "" && s.How != "masked" {
				s.UnitReadsDefault = readsEnvFile(l, path.Base(s.Replaced), s.Default)
			}
		}
		for _, c := range calls {
			if c.Name == s.Name || c.Name == name {
				s.Calls = append(s.Calls, c)
			}
		}
	}
}

// readsEnvFile reports whether the unit (with its drop-ins) names file in
// an EnvironmentFile= line, optional ("-") or not.
func readsEnvFile(l *unitload.Loader, unit, file string) bool {
	u, err := l.Load(unit)
	if err != nil || u.Masked {
		return false
	}
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Section == "Service" && a.Key == "EnvironmentFile" && strings.TrimPrefix(strings.TrimSpace(a.Value), "-") == file {
				return true
			}
		}
	}
	return false
}
