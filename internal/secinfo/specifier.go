package secinfo

import (
	"fmt"
	"path"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// unitCtx is what specifier expansion knows about the unit. The manager
// is the system manager running as root, as under systemd-analyze
// --offline; host-specific values (hostname, machine id, …) are fixed
// placeholders because only their shape can matter to the assessment.
type unitCtx struct {
	id       string
	fragment string
}

// expand mirrors unit_full_printf() of systemd 252.
func (c unitCtx) expand(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	p, _ := unitname.Parse(c.id)
	prefixInst := strings.TrimSuffix(c.id, "."+p.Type)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("unterminated specifier")
		}
		i++
		var v string
		switch s[i] {
		case '%':
			v = "%"
		case 'i':
			v = p.Instance
		case 'I':
			v = unescape(p.Instance)
		case 'j':
			v = lastComponent(p.Prefix)
		case 'J':
			v = unescape(lastComponent(p.Prefix))
		case 'n':
			v = c.id
		case 'N':
			v = prefixInst
		case 'p':
			v = p.Prefix
		case 'P':
			v = unescape(p.Prefix)
		case 'f':
			if p.Instance != "" {
				v = unescapePath(p.Instance)
			} else {
				v = unescapePath(p.Prefix)
			}
		case 'y':
			v = c.fragment
		case 'Y':
			v = path.Dir(c.fragment)
		case 'c', 'r', 'R':
			v = "/system.slice"
		case 'C':
			v = "/var/cache"
		case 'd':
			v = "/run/credentials/" + c.id
		case 'E':
			v = "/etc"
		case 'L':
			v = "/var/log"
		case 'S':
			v = "/var/lib"
		case 't':
			v = "/run"
		case 'h':
			v = "/root"
		case 's':
			v = "/bin/sh"
		case 'a':
			v = "x86-64"
		case 'A', 'B', 'M', 'o', 'w', 'W', 'q':
			v = ""
		case 'b', 'm':
			v = "00000000000000000000000000000000"
		case 'H', 'l':
			v = "localhost"
		case 'v':
			v = "6.1.0"
		case 'g', 'u':
			v = "root"
		case 'G', 'U':
			v = "0"
		case 'T':
			v = "/tmp"
		case 'V':
			v = "/var/tmp"
		default:
			return "", fmt.Errorf("unknown specifier %%%c", s[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func lastComponent(prefix string) string {
	if i := strings.LastIndexByte(prefix, '-'); i >= 0 {
		return prefix[i+1:]
	}
	return prefix
}

func unescape(s string) string { return unit.UnitNameUnescape(s) }

func unescapePath(s string) string { return unit.UnitNamePathUnescape(s) }
