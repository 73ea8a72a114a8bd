// Package unitname splits and validates systemd unit names
// ("prefix@instance.type") as src/basic/unit-name.c does.
package unitname

import "strings"

// maxLen is systemd's UNIT_NAME_MAX.
const maxLen = 256

var types = []string{"service", "mount", "swap", "socket", "target", "device", "automount", "timer", "path", "slice", "scope"}

// IsType reports whether s is a unit type name ("service", …).
func IsType(s string) bool {
	for _, t := range types {
		if t == s {
			return true
		}
	}
	return false
}

const validChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\"

func inSet(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(validChars, rune(s[i])) {
			return false
		}
	}
	return true
}

// Parts is a parsed unit name.
type Parts struct {
	Prefix   string
	Instance string // "" for plain names and templates
	Template bool   // "foo@.service"
	At       bool   // the name contains '@'
	Type     string
}

// Parse validates name and splits it. ok is false for invalid names.
func Parse(name string) (p Parts, ok bool) {
	if name == "" || len(name) >= maxLen {
		return p, false
	}
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return p, false
	}
	p.Type = name[dot+1:]
	if !IsType(p.Type) {
		return p, false
	}
	base := name[:dot]
	if at := strings.IndexByte(base, '@'); at >= 0 {
		if at == 0 || strings.IndexByte(base[at+1:], '@') >= 0 {
			return p, false
		}
		p.At = true
		p.Prefix = base[:at]
		p.Instance = base[at+1:]
		p.Template = p.Instance == ""
		if !inSet(p.Prefix) || !inSet(p.Instance) {
			return p, false
		}
		return p, true
	}
	p.Prefix = base
	return p, inSet(base)
}

// Valid reports whether name is a valid unit name of any kind.
func Valid(name string) bool { _, ok := Parse(name); return ok }

// Template returns "foo@.service" for "foo@bar.service", or "" when name is
// not an instance.
func Template(name string) string {
	p, ok := Parse(name)
	if !ok || !p.At || p.Template {
		return ""
	}
	return p.Prefix + "@." + p.Type
}

// Family returns the template of an instance ("foo@bar.service" →
// "foo@.service") and any other name unchanged: the name a unit's
// instances and its template share.
func Family(name string) string {
	if t := Template(name); t != "" {
		return t
	}
	return name
}

// WithInstance returns the instance name of template t ("foo@.service", "i")
// → "foo@i.service".
func WithInstance(t, inst string) string {
	p, ok := Parse(t)
	if !ok || !p.At {
		return t
	}
	return p.Prefix + "@" + inst + "." + p.Type
}

// DropinNames returns, in systemd's order, the names whose "<name>.d/"
// directories hold drop-ins for name within one unit directory: the name
// itself, its template, and the dash-prefix names ("foo-bar-baz.service" →
// "foo-bar-.service" → "foo-.service"), each expanded the same way. It
// follows unit_file_find_dirs() in src/shared/dropin.c.
func DropinNames(name string) []string {
	out := []string{name}
	p, ok := Parse(name)
	if !ok {
		return out
	}
	if p.At && !p.Template {
		out = append(out, DropinNames(p.Prefix+"@."+p.Type)...)
	}
	prefix := p.Prefix
	chopped := false
	for {
		dash := strings.LastIndexByte(prefix, '-')
		if dash <= 0 {
			return out
		}
		if dash+1 < len(prefix) || chopped {
			prefix = prefix[:dash+1]
			break
		}
		prefix = prefix[:dash] // a trailing dash is chopped once
		chopped = true
	}
	built := prefix + "." + p.Type
	if p.At {
		built = prefix + "@" + p.Instance + "." + p.Type
	}
	if !Valid(built) {
		return out
	}
	return append(out, DropinNames(built)...)
}
