package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v3"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/exposure"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/score"
	"github.com/systemd-harden/systemd-harden/internal/source"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

func (e *env) scoreCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "score",
		Usage:     "print the exposure score of each service unit, as systemd-analyze security does",
		ArgsUsage: "TARGET...",
		Description: "TARGET is a directory (a root: every unit under its unit directories), a .deb or .rpm\n" +
			"package, or a unit file (with --root, a path inside that root).",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output format: text or json (JSON lines)"},
			&ucli.IntFlag{Name: "systemd-version", Usage: "systemd version to model (default: the installed one, else 252)"},
			&ucli.StringFlag{Name: "root", Usage: "root directory that unit file TARGETs are inside of"},
			&ucli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 1, Usage: "score up to N targets in parallel (output stays in input order)"},
			&ucli.StringFlag{Name: "xz", Usage: "how to decompress xz: auto (xz -T0 when on PATH), go or exec (default $" + decompress.EnvMethod + ", else auto)"},
		},
		Action: e.score,
	}
}

// Tenths is an exposure in tenths, written as a number with one decimal.
type Tenths uint64

func (t Tenths) MarshalJSON() ([]byte, error) { return []byte(exposure.Format(uint64(t))), nil }

// ScoreItem is one item of a score line (Contracts: score lines).
type ScoreItem struct {
	JSONField   string  `json:"json_field"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Exposure    *Tenths `json:"exposure"`
	Good        *bool   `json:"good"`
}

// ScoreLine is one JSON line of `score --format json`.
type ScoreLine struct {
	Package        *string     `json:"package"`
	Version        *string     `json:"version"`
	Unit           string      `json:"unit"`
	AnalyzedAs     *string     `json:"analyzed_as"`
	Path           *string     `json:"path"`
	AliasOf        *string     `json:"alias_of"`
	Masked         bool        `json:"masked"`
	Exposure       *Tenths     `json:"exposure"`
	Level          *string     `json:"level"`
	SystemdVersion int         `json:"systemd_version"`
	Items          []ScoreItem `json:"items"`
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func lineFor(pkg *pkgmodel.Package, u score.Unit, version int) ScoreLine {
	l := ScoreLine{Unit: u.Unit, Path: strp(u.Path), AliasOf: strp(u.AliasOf), Masked: u.Masked, SystemdVersion: version}
	if pkg != nil {
		l.Package, l.Version = strp(pkg.Name), strp(pkg.Version)
	}
	if u.Masked {
		return l
	}
	l.AnalyzedAs = strp(u.AnalyzedAs)
	if u.Result == nil {
		return l
	}
	t := Tenths(u.Result.Exposure)
	l.Exposure = &t
	lv := u.Result.Level()
	l.Level = &lv
	l.Items = make([]ScoreItem, 0, len(u.Result.Rows))
	for _, r := range u.Result.Rows {
		it := ScoreItem{JSONField: r.Item.JSONField, Name: r.Item.Name, Description: r.Description}
		if !r.NA {
			x := Tenths(r.Exposure)
			g := r.Good()
			it.Exposure, it.Good = &x, &g
		}
		l.Items = append(l.Items, it)
	}
	return l
}

// scored is one target's outcome.
type scored struct {
	pkg   *pkgmodel.Package // nil for a plain directory or unit file
	units []score.Unit
	err   error
}

func (e *env) score(ctx context.Context, cmd *ucli.Command) error {
	format := cmd.String("format")
	if format != "text" && format != "json" {
		return fail(ExitInput, "--format: unknown format %q (text or json)", format)
	}
	targets := cmd.Args().Slice()
	if len(targets) == 0 {
		return fail(ExitInput, "score: no TARGET given")
	}
	jobs := int(cmd.Int("jobs"))
	if jobs < 1 {
		return fail(ExitInput, "--jobs must be at least 1")
	}
	xzm, err := decompress.ParseMethod(cmd.String("xz"))
	if err != nil {
		return fail(ExitInput, "--xz: %v", err)
	}
	version, err := targetVersion(ctx, int(cmd.Int("systemd-version")))
	if err != nil {
		return err
	}
	sc, err := score.New(version)
	if err != nil {
		return fail(ExitInput, "%v", err)
	}
	opt := source.Options{XZ: xzm}
	root := cmd.String("root")
	// Every target is read before anything is printed, so a bad target
	// fails the run without partial output; results keep input order.
	results := make([]scored, len(targets))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = e.scoreTarget(ctx, sc, root, t, opt)
		}()
	}
	wg.Wait()
	var bad []string
	for _, r := range results {
		if r.err != nil {
			bad = append(bad, r.err.Error())
		}
	}
	if len(bad) > 0 {
		return fail(ExitInput, "%s", strings.Join(bad, "\nsystemd-harden: "))
	}
	status := ExitOK
	enc := json.NewEncoder(e.stdout)
	first := true
	for _, r := range results {
		for _, u := range r.units {
			for _, w := range u.Warnings {
				fmt.Fprintln(e.stderr, "warning: "+w.String())
			}
			if u.Err != nil {
				fmt.Fprintf(e.stderr, "systemd-harden: %s%s: %v\n", pkgPrefix(r.pkg), u.Unit, u.Err)
				status = ExitFindings
				continue
			}
			if format == "json" {
				if u.Type != "service" {
					continue
				}
				if err := enc.Encode(lineFor(r.pkg, u, version)); err != nil {
					return fail(ExitInput, "writing output: %v", err)
				}
				continue
			}
			if !first {
				fmt.Fprintln(e.stdout)
			}
			first = false
			printText(e.stdout, r.pkg, u)
		}
	}
	if status != ExitOK {
		return &exitError{code: status}
	}
	return nil
}

func pkgPrefix(p *pkgmodel.Package) string {
	if p == nil || p.Name == "" {
		return ""
	}
	return p.Name + ": "
}

// scoreTarget scores one TARGET: a root directory, a package, or a unit file.
func (e *env) scoreTarget(ctx context.Context, sc *score.Scorer, root, target string, opt source.Options) scored {
	if root != "" {
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			return scored{err: fmt.Errorf("%s: --root is not a directory", root)}
		}
		name := path.Base(filepath.ToSlash(target))
		if !unitname.Valid(name) {
			return scored{err: fmt.Errorf("%s: not a unit name", target)}
		}
		us, err := sc.Named(tree.DirFS{Root: root}, name)
		if err != nil {
			return scored{err: fmt.Errorf("%s: %v", root, err)}
		}
		if us[0].Err != nil {
			return scored{err: errors.New(describe(target, us[0].Err))}
		}
		return scored{units: us}
	}
	kind, err := source.Kind(target)
	if err != nil {
		return scored{err: err}
	}
	switch kind {
	case pkgmodel.Dir:
		if unitname.Valid(filepath.Base(target)) {
			return scored{err: fmt.Errorf("%s: is a directory, not a unit file", target)}
		}
		fallthrough
	case pkgmodel.Deb, pkgmodel.RPM:
		p, err := source.Open(ctx, target, opt)
		if err != nil {
			return scored{err: err}
		}
		us, err := sc.Tree(p.Tree)
		if err != nil {
			return scored{err: fmt.Errorf("%s: %v", target, err)}
		}
		if p.Format == pkgmodel.Dir {
			p = nil
		}
		return scored{pkg: p, units: us}
	}
	// A unit file.
	if f, err := os.Open(target); err != nil {
		return scored{err: fmt.Errorf("%s: %v", target, unwrapPathErr(err))}
	} else {
		f.Close()
	}
	name := filepath.Base(target)
	if !unitname.Valid(name) {
		return scored{err: fmt.Errorf("%s: not a unit file (the name must be a unit name such as foo.service)", target)}
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return scored{err: fmt.Errorf("%s: %v", target, err)}
	}
	u, err := sc.File(tree.DirFS{Root: filepath.Dir(abs)}, name)
	if err != nil {
		return scored{err: fmt.Errorf("%s: %v", target, err)}
	}
	if u.Err != nil {
		return scored{err: errors.New(describe(target, u.Err))}
	}
	u.Path = abs
	return scored{units: []score.Unit{u}}
}

// describe names the file first: errors from the loader already carry a
// path inside the root; a host path is more useful for a direct target.
func describe(target string, err error) string {
	var pe *unitfile.Error
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %s", joinLine(target, pe.Path, pe.Line), pe.Msg)
	}
	return fmt.Sprintf("%s: %v", target, err)
}

func joinLine(target, inRoot string, line int) string {
	p := target
	if path.Base(inRoot) != path.Base(filepath.ToSlash(target)) {
		p = target + " (" + inRoot + ")"
	}
	if line > 0 {
		return fmt.Sprintf("%s:%d", p, line)
	}
	return p
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printText prints a table in the style of systemd-analyze security.
func printText(w io.Writer, pkg *pkgmodel.Package, u score.Unit) {
	switch {
	case u.Masked:
		fmt.Fprintf(w, "%s: masked (%s)\n", u.Unit, u.Path)
		return
	case u.Type != "service":
		fmt.Fprintf(w, "%s: %s unit, not scored\n", u.Unit, u.Type)
		return
	}
	rows := append([]exposure.Row(nil), u.Result.Rows...)
	// systemd sorts the table by description, descending, then by name.
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Description != rows[j].Description {
			return rows[i].Description > rows[j].Description
		}
		return rows[i].Item.Name < rows[j].Item.Name
	})
	nw, dw := len("NAME"), len("DESCRIPTION")
	for _, r := range rows {
		nw = max(nw, len(r.Item.Name))
		dw = max(dw, len(r.Description))
	}
	fmt.Fprintf(w, "  %-*s %-*s EXPOSURE\n", nw, "NAME", dw, "DESCRIPTION")
	for _, r := range rows {
		mark, exp := " ", ""
		if !r.NA {
			mark = "✗"
			if r.Good() {
				mark = "✓"
			} else {
				exp = exposure.Format(r.Exposure)
			}
		}
		fmt.Fprintf(w, "%s %-*s %-*s %8s\n", mark, nw, r.Item.Name, dw, r.Description, exp)
	}
	name := u.AnalyzedAs
	if u.AliasOf != "" {
		name = fmt.Sprintf("%s (alias %s)", u.AnalyzedAs, u.Unit)
	}
	if pkg != nil && pkg.Name != "" {
		name = fmt.Sprintf("%s (%s %s)", name, pkg.Name, pkg.Version)
	}
	fmt.Fprintf(w, "\n→ Overall exposure level for %s: %s %s\n", name, exposure.Format(u.Result.Exposure), u.Result.Level())
}
