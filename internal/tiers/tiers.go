// Package tiers reads the policy tiers (templates/tiers/*.tier, deb822
// paragraphs): the first paragraph names the tier, each further one is a
// directive with its value, minimum systemd version, the exposure items it
// satisfies, the signals that rule it out and its rationale.
package tiers

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"pault.ag/go/debian/control"

	"github.com/systemd-harden/systemd-harden/templates"
)

// Directive is one setting a tier adds.
type Directive struct {
	Key string
	// Value, ValueRoot and ValueUser are the assignments' values, one per
	// line; ValueRoot/ValueUser (when non-nil) replace Value for a service
	// that runs as root / as another user.
	Value, ValueRoot, ValueUser []string
	Merge                       string // "", "paths", "families", "capabilities"
	Since                       int
	Satisfies                   []string
	RuledOutBy                  []string
	Risk                        string
	Rationale                   string
	Tier                        string // the tier that defines it
	// Base is the same key in the tier this one builds on, used when this
	// directive is ruled out but the weaker one is not.
	Base *Directive
}

// Values returns the assignment values for a service running as root or not.
func (d *Directive) Values(root bool) []string {
	if root && d.ValueRoot != nil {
		return d.ValueRoot
	}
	if !root && d.ValueUser != nil {
		return d.ValueUser
	}
	return d.Value
}

// Tier is a named list of directives.
type Tier struct {
	Name        string
	BuildsOn    string
	Description string
	own         []*Directive
	// Directives are the effective directives: the base tier's, with keys
	// this tier redefines replaced in place, then this tier's new ones.
	Directives []*Directive
}

// Set is every tier, by name.
type Set struct {
	tiers map[string]*Tier
	order []string
}

// Load reads the embedded tiers.
func Load() (*Set, error) { return LoadFS(templates.Tiers, "tiers") }

// LoadFS reads tiers from dir in fsys.
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading tiers: %w", err)
	}
	s := &Set{tiers: map[string]*Tier{}}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".tier") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", e.Name(), err)
		}
		t, err := parse(e.Name(), data)
		if err != nil {
			return nil, err
		}
		if t.Name+".tier" != e.Name() {
			return nil, fmt.Errorf("%s: names tier %q", e.Name(), t.Name)
		}
		s.tiers[t.Name] = t
	}
	for _, t := range s.tiers {
		if err := s.resolve(t, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	for n := range s.tiers {
		s.order = append(s.order, n)
	}
	sort.Slice(s.order, func(i, j int) bool { return s.depth(s.order[i]) < s.depth(s.order[j]) })
	return s, nil
}

func (s *Set) depth(name string) int {
	d := 0
	for t := s.tiers[name]; t != nil && t.BuildsOn != ""; t = s.tiers[t.BuildsOn] {
		d++
	}
	return d
}

func (s *Set) resolve(t *Tier, seen map[string]bool) error {
	if t.Directives != nil {
		return nil
	}
	if seen[t.Name] {
		return fmt.Errorf("tier %s builds on itself", t.Name)
	}
	seen[t.Name] = true
	var out []*Directive
	if t.BuildsOn != "" {
		base, ok := s.tiers[t.BuildsOn]
		if !ok {
			return fmt.Errorf("tier %s builds on unknown tier %s", t.Name, t.BuildsOn)
		}
		if err := s.resolve(base, seen); err != nil {
			return err
		}
		out = append(out, base.Directives...)
	}
	for _, d := range t.own {
		replaced := false
		for i, b := range out {
			if b.Key == d.Key {
				d.Base = b
				out[i] = d
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, d)
		}
	}
	t.Directives = out
	return nil
}

// Get returns a tier.
func (s *Set) Get(name string) (*Tier, bool) {
	t, ok := s.tiers[name]
	return t, ok
}

// Names lists the tiers, weakest first.
func (s *Set) Names() []string { return append([]string(nil), s.order...) }

func lines(v string, present bool) []string {
	if !present {
		return nil
	}
	out := []string{}
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func list(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// stripComments drops '#' lines, which deb822 allows but the control
// parser does not.
func stripComments(data []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("#")) {
			b.Write(l)
		}
	}
	return b.Bytes()
}

var knownFields = map[string]bool{
	"Directive": true, "Value": true, "Value-Root": true, "Value-User": true, "Merge": true,
	"Since": true, "Satisfies": true, "Ruled-Out-By": true, "Risk": true, "Rationale": true,
}

func parse(file string, data []byte) (*Tier, error) {
	r, err := control.NewParagraphReader(bytes.NewReader(stripComments(data)), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	paras, err := r.All()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(paras) == 0 || paras[0].Values["Tier"] == "" {
		return nil, fmt.Errorf("%s: the first paragraph must name the Tier", file)
	}
	h := paras[0].Values
	t := &Tier{Name: h["Tier"], BuildsOn: strings.TrimSpace(h["Builds-On"]), Description: h["Description"]}
	for i, p := range paras[1:] {
		v := p.Values
		for k := range v {
			if !knownFields[k] {
				return nil, fmt.Errorf("%s: paragraph %d: unknown field %s", file, i+2, k)
			}
		}
		d := &Directive{Key: v["Directive"], Merge: v["Merge"], Risk: v["Risk"], Rationale: v["Rationale"], Tier: t.Name,
			Satisfies: list(v["Satisfies"]), RuledOutBy: list(v["Ruled-Out-By"])}
		if d.Key == "" {
			return nil, fmt.Errorf("%s: paragraph %d has no Directive", file, i+2)
		}
		_, hasV := v["Value"]
		vr, hasR := v["Value-Root"]
		vu, hasU := v["Value-User"]
		d.Value, d.ValueRoot, d.ValueUser = lines(v["Value"], hasV), lines(vr, hasR), lines(vu, hasU)
		if !hasV && !hasR && !hasU && d.Merge != "paths" {
			return nil, fmt.Errorf("%s: %s has no Value", file, d.Key)
		}
		n, err := strconv.Atoi(strings.TrimSpace(v["Since"]))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: Since: %w", file, d.Key, err)
		}
		d.Since = n
		if d.Rationale == "" {
			return nil, fmt.Errorf("%s: %s has no Rationale", file, d.Key)
		}
		if len(d.RuledOutBy) == 0 && d.Risk == "" {
			return nil, fmt.Errorf("%s: %s names neither a signal that rules it out nor the risk it takes", file, d.Key)
		}
		t.own = append(t.own, d)
	}
	return t, nil
}
