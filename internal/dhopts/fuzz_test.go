package dhopts

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary command lines, DH_OPTIONS, DH_INTERNAL_OPTIONS
// and Build-Profiles formulas to the parser: it must return options or an
// error, never panic, and never select a package debian/control lacks.
func FuzzParse(f *testing.F) {
	f.Add("-O--tier=strict", "", "-i\x1e-O--tier=strict", "<!nocheck>")
	f.Add("-vi -pp -X", "-N", "", "<a b> <c")
	f.Add("--tier -- x.service -O", "--frobnicate", "-O", "")
	f.Add("-O-O-O--no-act -Psome/dir", "-a -s", "-psample-bin", "<!x>")
	f.Fuzz(func(t *testing.T, argv, dhOptions, internal, profiles string) {
		ctl := &Control{Packages: []Package{
			{Name: "sample-daemon", Arch: "all"},
			{Name: "sample-bin", Arch: "any", Profiles: profiles},
			{Name: "sample-arm", Arch: "arm64 !amd64 linux-"},
		}}
		host := &Host{Arch: "amd64", OS: "linux"}
		env := map[string]string{"DH_OPTIONS": dhOptions, "DH_INTERNAL_OPTIONS": internal}
		o, err := Parse(strings.Fields(argv), func(k string) string { return env[k] }, ctl, host)
		if err != nil {
			return
		}
		for _, p := range o.Packages {
			if !ctl.known(p) {
				t.Fatalf("selected %q, not in debian/control", p)
			}
		}
	})
}
