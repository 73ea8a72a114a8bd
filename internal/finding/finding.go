// Package finding is the shared shape of a policy finding (a tag raised on
// a package or unit), produced by the policy engine and printed by the
// report formats.
package finding

import (
	"fmt"
	"strings"
)

// Severity orders findings; --fail-on S fails on S "or above".
type Severity int

const (
	Pedantic Severity = iota
	Info
	Warning
	Error
)

var severityNames = []string{"pedantic", "info", "warning", "error"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity accepts error, warning, info, pedantic.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (error, warning, info or pedantic)", s)
}

// FailOn is the threshold of --fail-on; None never fails.
type FailOn struct {
	None bool
	At   Severity
}

// ParseFailOn accepts a severity or "none".
func ParseFailOn(s string) (FailOn, error) {
	if strings.EqualFold(s, "none") {
		return FailOn{None: true}, nil
	}
	sev, err := ParseSeverity(s)
	if err != nil {
		return FailOn{}, fmt.Errorf("--fail-on: %w (or none)", err)
	}
	return FailOn{At: sev}, nil
}

// Fails reports whether a finding makes the run fail: at or above the
// threshold and not overridden.
func (f FailOn) Fails(x Finding) bool {
	return !f.None && x.Overridden == "" && x.Severity >= f.At
}

// Evidence points at what made a signal fire.
type Evidence struct {
	Path string `json:"path"`
	Line int    `json:"line"` // 0 when not line-based
	Text string `json:"text"`
}

func (e Evidence) String() string {
	switch {
	case e.Path == "":
		return e.Text
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Text)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Text)
}

// Finding is one tag raised on a package or unit.
type Finding struct {
	Package    string // "" when unknown (a plain directory)
	Version    string
	Arch       string
	Unit       string // "" for package-level findings
	Tag        string
	Severity   Severity
	Detail     string // the context printed after the tag
	Path       string // file inside the package, "" when none
	Line       int    // 0 when not line-based
	Tier       string
	Overridden string // the override's reason, "" when not overridden
}
