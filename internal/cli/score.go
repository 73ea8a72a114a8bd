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

	ucli "github.com/urfave/cli/v3"

	"github.com/systemd-harden/systemd-harden/internal/exposure"
	"github.com/systemd-harden/systemd-harden/internal/score"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

func (e *env) scoreCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "score",
		Usage:     "print the exposure score of each service unit, as systemd-analyze security does",
		ArgsUsage: "TARGET...",
		Description: "TARGET is a directory (a root: every unit under its unit directories) or a unit file\n" +
			"(with --root, a path inside that root).",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output format: text or json (JSON lines)"},
			&ucli.IntFlag{Name: "systemd-version", Usage: "systemd version to model (default: the installed one, else 252)"},
			&ucli.StringFlag{Name: "root", Usage: "root directory that unit file TARGETs are inside of"},
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

func lineFor(u score.Unit, version int) ScoreLine {
	l := ScoreLine{Unit: u.Unit, Path: strp(u.Path), AliasOf: strp(u.AliasOf), Masked: u.Masked, SystemdVersion: version}
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

func (e *env) score(ctx context.Context, cmd *ucli.Command) error {
	format := cmd.String("format")
	if format != "text" && format != "json" {
		return fail(ExitInput, "--format: unknown format %q (text or json)", format)
	}
	targets := cmd.Args().Slice()
	if len(targets) == 0 {
		return fail(ExitInput, "score: no TARGET given")
	}
	version, err := targetVersion(ctx, int(cmd.Int("systemd-version")))
	if err != nil {
		return err
	}
	sc, err := score.New(version)
	if err != nil {
		return fail(ExitInput, "%v", err)
	}
	root := cmd.String("root")
	// Resolve every target before printing anything, so a bad target
	// fails the run without partial output.
	var units []score.Unit
	for _, t := range targets {
		us, err := e.scoreTarget(sc, root, t)
		if err != nil {
			return err
		}
		units = append(units, us...)
	}
	status := ExitOK
	enc := json.NewEncoder(e.stdout)
	first := true
	for _, u := range units {
		for _, w := range u.Warnings {
			fmt.Fprintln(e.stderr, "warning: "+w.String())
		}
		if u.Err != nil {
			fmt.Fprintf(e.stderr, "systemd-harden: %s: %v\n", u.Unit, u.Err)
			status = ExitFindings
			continue
		}
		if format == "json" {
			if u.Type != "service" {
				continue
			}
			if err := enc.Encode(lineFor(u, version)); err != nil {
				return fail(ExitInput, "writing output: %v", err)
			}
			continue
		}
		if !first {
			fmt.Fprintln(e.stdout)
		}
		first = false
		printText(e.stdout, u)
	}
	if status != ExitOK {
		return &exitError{code: status}
	}
	return nil
}

// scoreTarget scores one TARGET: a root directory, or a unit file.
func (e *env) scoreTarget(sc *score.Scorer, root, target string) ([]score.Unit, error) {
	if root != "" {
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			return nil, fail(ExitInput, "%s: --root is not a directory", root)
		}
		name := path.Base(filepath.ToSlash(target))
		if !unitname.Valid(name) {
			return nil, fail(ExitInput, "%s: not a unit name", target)
		}
		us, err := sc.Named(tree.DirFS{Root: root}, name)
		if err != nil {
			return nil, fail(ExitInput, "%s: %v", root, err)
		}
		if us[0].Err != nil {
			return nil, fail(ExitInput, "%v", describe(target, us[0].Err))
		}
		return us, nil
	}
	fi, err := os.Stat(target)
	if err != nil {
		return nil, fail(ExitInput, "%s: %v", target, unwrapPathErr(err))
	}
	if fi.IsDir() {
		if unitname.Valid(filepath.Base(target)) {
			return nil, fail(ExitInput, "%s: is a directory, not a unit file", target)
		}
		us, err := sc.Tree(tree.DirFS{Root: target})
		if err != nil {
			return nil, fail(ExitInput, "%s: %v", target, err)
		}
		return us, nil
	}
	if !fi.Mode().IsRegular() {
		return nil, fail(ExitInput, "%s: not a regular file", target)
	}
	if f, err := os.Open(target); err != nil {
		return nil, fail(ExitInput, "%s: %v", target, unwrapPathErr(err))
	} else {
		f.Close()
	}
	name := filepath.Base(target)
	if !unitname.Valid(name) {
		return nil, fail(ExitInput, "%s: not a unit file (the name must be a unit name such as foo.service)", target)
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, fail(ExitInput, "%s: %v", target, err)
	}
	u, err := sc.File(tree.DirFS{Root: filepath.Dir(abs)}, name)
	if err != nil {
		return nil, fail(ExitInput, "%s: %v", target, err)
	}
	if u.Err != nil {
		return nil, fail(ExitInput, "%v", describe(target, u.Err))
	}
	u.Path = abs
	return []score.Unit{u}, nil
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
func printText(w io.Writer, u score.Unit) {
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
	fmt.Fprintf(w, "\n→ Overall exposure level for %s: %s %s\n", name, exposure.Format(u.Result.Exposure), u.Result.Level())
}
