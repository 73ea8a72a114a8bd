package manpage

import (
	"fmt"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/dhopts"
)

// DHName is the debhelper command's name.
const DHName = dhopts.ToolName

// dhSummary is the NAME line's description.
const dhSummary = "harden the systemd services of a package with drop-ins"

// dhDoc documents the command's own options (dhopts.OptionTable entries
// with ToolOnly), by primary name: the value's placeholder, if it takes
// one, and the text. A test keeps it and the table in step.
var dhDoc = map[string]struct{ Arg, Text string }{
	"tier": {"TIER", "The policy tier: baseline, strict or dynamic-user. " +
		"Default: the configuration file's, else baseline."},
	"systemd-version": {"N", "The systemd the package targets (252, or 257 and later). " +
		"Default: the configuration file's, else the systemd of the build environment, else 252."},
	"check-only": {"", "Change nothing; fail the build when a finding is at or above --fail-on (default error). " +
		"The findings are printed on standard error as lintian-style tags."},
	"fail-on": {"SEVERITY", "With --check-only, the lowest severity that fails: error, warning, info, pedantic or none."},
	"report":  {"DIR", "Also copy each package's plan to DIR/<package>/."},
}

// DH renders dh_systemd_harden(1) from the option table opts (normally
// dhopts.OptionTable()).
func DH(opts []dhopts.Option, m Meta) (string, error) {
	var own, common []dhopts.Option
	for _, o := range opts {
		if o.ToolOnly {
			if _, ok := dhDoc[o.Names[0]]; !ok {
				return "", fmt.Errorf("manpage: option --%s of %s is not documented in dhDoc", o.Names[0], DHName)
			}
			own = append(own, o)
		} else {
			common = append(common, o)
		}
	}
	w := &writer{}
	w.th(DHName, "1", m, "Debhelper")

	w.req("SH", "NAME")
	w.raw(Escape(DHName) + ` \- ` + Escape(dhSummary))

	w.req("SH", "SYNOPSIS")
	w.req("B", DHName)
	w.raw(`.RI [ "debhelper options" ]`)
	for _, o := range own {
		if d := dhDoc[o.Names[0]]; o.TakesValue {
			w.req("RB", "[", optName(o.Names[0]))
			w.req("IR", d.Arg, "]")
		} else {
			w.req("RB", "[", optName(o.Names[0]), "]")
		}
	}
	w.raw(`.RI [ UNIT ...]`)

	w.req("SH", "DESCRIPTION")
	w.raw(proseText(DHName + ".description"))

	w.req("SH", "FILES")
	w.raw(proseText(DHName + ".files"))

	w.req("SH", "OPTIONS")
	w.raw(proseText(DHName + ".options"))
	var names []string
	for _, o := range common {
		for _, n := range o.Names {
			names = append(names, optName(n))
		}
	}
	w.text(strings.Join(names, ", ") + ".")
	w.req("PP")
	w.raw(proseText(DHName + ".options2"))
	for _, o := range own {
		d := dhDoc[o.Names[0]]
		w.req("TP")
		var parts []string
		for _, n := range o.Names {
			p := `\fB` + Escape(optName(n)) + `\fR`
			if o.TakesValue {
				p += ` \fI` + Escape(d.Arg) + `\fR`
			}
			parts = append(parts, p)
		}
		w.raw(strings.Join(parts, ", "))
		w.textPara(d.Text, "IP")
	}
	w.req("TP")
	w.req("I", "UNIT")
	w.raw("Only these services.")

	w.req("SH", "EXIT STATUS")
	w.raw(proseText(DHName + ".exit"))
	w.req("SH", "SEE ALSO")
	w.raw(proseText(DHName + ".seealso"))
	return w.String(), nil
}

// optName is "-x" or "--long".
func optName(n string) string {
	if len(n) == 1 {
		return "-" + n
	}
	return "--" + n
}
