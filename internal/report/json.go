package report

import (
	"bytes"
	"encoding/json"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/tags"
)

// Object is one finding as the JSON "check line" of DESIGN.md's
// Contracts; apply lines embed the same objects in their "findings".
// encoding/json writes struct fields in declaration order, which is the
// contract's key order; pointers give null for unknown values, and no
// field has omitempty, so every key is always present.
type Object struct {
	Package    *string `json:"package"`
	Version    *string `json:"version"`
	Unit       *string `json:"unit"`
	Tag        string  `json:"tag"`
	Severity   string  `json:"severity"`
	Detail     string  `json:"detail"`
	Path       *string `json:"path"`
	Line       *int    `json:"line"`
	Tier       string  `json:"tier"`
	Overridden *string `json:"overridden"`
}

// nullable maps the zero value ("" or 0) to null.
func nullable[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// NewObject converts one finding.
func NewObject(f finding.Finding) Object {
	return Object{
		Package:    nullable(f.Package),
		Version:    nullable(f.Version),
		Unit:       nullable(f.Unit),
		Tag:        f.Tag,
		Severity:   f.Severity.String(),
		Detail:     f.Detail,
		Path:       nullable(f.Path),
		Line:       nullable(f.Line),
		Tier:       f.Tier,
		Overridden: nullable(f.Overridden),
	}
}

// Objects converts findings in order. It never returns nil, so an
// embedding field encodes as [] rather than null.
func Objects(fs []finding.Finding) []Object {
	out := make([]Object, 0, len(fs))
	for _, f := range fs {
		out = append(out, NewObject(f))
	}
	return out
}

func writeJSON(b *bytes.Buffer, fs []finding.Finding, _ *tags.Set, _ Options) error {
	enc := json.NewEncoder(b)
	// Details quote unit files ("a<b", "&&"): keep them readable.
	enc.SetEscapeHTML(false)
	for _, o := range Objects(fs) {
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return nil
}
