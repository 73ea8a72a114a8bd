package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v3"

	"github.com/systemd-harden/systemd-harden/internal/debwrite"
	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/dropins"
	"github.com/systemd-harden/systemd-harden/internal/dynuser"
	"github.com/systemd-harden/systemd-harden/internal/exposure"
	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgconfig"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/plan"
	"github.com/systemd-harden/systemd-harden/internal/report"
	"github.com/systemd-harden/systemd-harden/internal/sdversion"
	"github.com/systemd-harden/systemd-harden/internal/source"
	"github.com/systemd-harden/systemd-harden/internal/sysv"
	"github.com/systemd-harden/systemd-harden/internal/tags"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
)

// DefaultTier applies when neither the command line nor the package's
// configuration names one (Contracts: precedence).
const DefaultTier = "baseline"

func policyFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "tier", Usage: "policy tier: baseline, strict, dynamic-user (default: the config file's, else " + DefaultTier + ")"},
		&ucli.StringFlag{Name: "config", Usage: "per-package configuration file (debian/<pkg>.systemd-harden)"},
		&ucli.IntFlag{Name: "systemd-version", Usage: "systemd version to target (default: the config file's, else the installed one, else 252)"},
		&ucli.StringSliceFlag{Name: "unit", Usage: "only this unit (repeatable)"},
		&ucli.StringFlag{Name: "package", Usage: "the binary package a directory target belongs to (debian/<pkg>/, %{buildroot}): names it in findings, plans and overrides"},
		&ucli.StringFlag{Name: "xz", Usage: "how to decompress xz: auto, go or exec"},
		&ucli.StringFlag{Name: "notes", Usage: "write the dynamic-user migration notes to FILE (Markdown; JSON lines when FILE ends in .json or .jsonl)"},
	}
}

// writeNotes writes the dynamic-user migration notes of a run.
func writeNotes(file string, r *policyRun) error {
	if file == "" {
		return nil
	}
	var notes []dynuser.Note
	for _, p := range r.plans {
		if p.Dynamic != nil {
			notes = append(notes, dynuser.NewNote(r.pkg.Name, r.pkg.Version, string(r.pkg.Format), p.Dynamic))
		}
	}
	var b strings.Builder
	var err error
	if strings.HasSuffix(file, ".json") || strings.HasSuffix(file, ".jsonl") {
		err = dynuser.WriteJSON(&b, notes)
	} else {
		err = dynuser.WriteMarkdown(&b, notes)
	}
	if err != nil {
		return err
	}
	return atomicWrite(file, []byte(b.String()))
}

// policyRun is the shared setup of apply and check for one target.
type policyRun struct {
	pkg      *pkgmodel.Package
	cfg      *pkgconfig.Config
	tier     string
	version  int
	plans    []plan.Unit
	findings []finding.Finding
}

func (e *env) preparePolicy(ctx context.Context, cmd *ucli.Command, target string, check bool) (*policyRun, error) {
	var cfg *pkgconfig.Config
	if f := cmd.String("config"); f != "" {
		c, err := pkgconfig.Load(f)
		if err != nil {
			return nil, fail(ExitInput, "%v", err)
		}
		cfg = c
	}
	tier := cmd.String("tier")
	if tier == "" && cfg != nil {
		tier = cfg.Tier
	}
	if tier == "" {
		tier = DefaultTier
	}
	v := int(cmd.Int("systemd-version"))
	if v == 0 && cfg != nil {
		v = cfg.SystemdVersion
	}
	version, err := targetVersion(ctx, v)
	if err != nil {
		return nil, err
	}
	xzm, err := decompress.ParseMethod(cmd.String("xz"))
	if err != nil {
		return nil, fail(ExitInput, "--xz: %v", err)
	}
	pkg, err := source.Open(ctx, target, source.Options{XZ: xzm})
	if err != nil {
		return nil, fail(ExitInput, "%v", err)
	}
	if pkg.Format == pkgmodel.Dir {
		if !check {
			if err := dropins.CheckConfined(target, sdversion.SearchPaths(version)); err != nil {
				return nil, fail(ExitInput, "%v", err)
			}
		}
		if err := source.WalkEntries(pkg); err != nil {
			return nil, fail(ExitInput, "%v", err)
		}
	}
	if name := cmd.String("package"); name != "" {
		// A staging directory has no name of its own; a built package
		// carries one, which a flag must not contradict.
		if pkg.Format != pkgmodel.Dir {
			return nil, fail(ExitInput, "--package: %s is a built package (%s); it names itself", target, pkg.Format)
		}
		pkg.Name = name
	}
	set, err := tiers.Load()
	if err != nil {
		return nil, fail(ExitInput, "%v", err)
	}
	pl, err := plan.New(pkg, set, plan.Options{Tier: tier, Version: version, ToolVersion: Version,
		Units: cmd.StringSlice("unit"), Config: cfg.PlanConfig()})
	if err != nil {
		return nil, fail(ExitInput, "%v", err)
	}
	plans, err := pl.Plan(check)
	if err != nil {
		return nil, fail(ExitInput, "%s: %v", target, err)
	}
	r := &policyRun{pkg: pkg, cfg: cfg, tier: tier, version: version, plans: plans}
	for _, p := range plans {
		r.findings = append(r.findings, p.Findings...)
	}
	scripts, err := sysv.Find(pkg, version)
	if err != nil {
		return nil, fail(ExitInput, "%s: %v", target, err)
	}
	r.findings = append(r.findings, sysv.Findings(pkg, scripts, tier)...)
	r.findings = append(r.findings, pkgconfig.Unused(cfg.PlanConfig(), pkg.Name, pkg.Version, tier)...)
	r.findings = cfg.Apply(r.findings, pkg.Name, pkg.Version, tier)
	return r, nil
}

func (e *env) checkCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "check",
		Usage:     "evaluate packages against a tier without changing anything; report findings as tags",
		ArgsUsage: "TARGET...",
		Flags: append(policyFlags(),
			&ucli.StringFlag{Name: "format", Value: "lintian", Usage: "output: " + strings.Join(report.Formats(), ", ")},
			&ucli.StringFlag{Name: "fail-on", Value: "error", Usage: "exit 1 on findings at or above: error, warning, info, pedantic, none"},
		),
		Action: e.check,
	}
}

func (e *env) check(ctx context.Context, cmd *ucli.Command) error {
	failOn, err := finding.ParseFailOn(cmd.String("fail-on"))
	if err != nil {
		return fail(ExitInput, "%v", err)
	}
	targets := cmd.Args().Slice()
	if len(targets) == 0 {
		return fail(ExitInput, "check: no TARGET given")
	}
	set, err := tags.Load()
	if err != nil {
		return fail(ExitInput, "%v", err)
	}
	format := cmd.String("format")
	var all []finding.Finding
	for _, t := range targets {
		r, err := e.preparePolicy(ctx, cmd, t, true)
		if err != nil {
			return err
		}
		all = append(all, r.findings...)
		if err := writeNotes(cmd.String("notes"), r); err != nil {
			return fail(ExitInput, "%v", err)
		}
	}
	if err := report.WriteOptions(e.stdout, format, all, set, report.Options{Packages: len(targets), ToolVersion: Version}); err != nil {
		return fail(ExitInput, "%v", err)
	}
	return failStatus(failOn, all)
}

func failStatus(f finding.FailOn, fs []finding.Finding) error {
	for _, x := range fs {
		if f.Fails(x) {
			return &exitError{code: ExitFindings}
		}
	}
	return nil
}

func (e *env) applyCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "apply",
		Usage:     "apply a tier: write drop-ins into a staging tree, or a rewritten .deb",
		ArgsUsage: "TARGET",
		Flags: append(policyFlags(),
			&ucli.BoolFlag{Name: "dry-run", Usage: "print the plan, write nothing"},
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "output: text or json (JSON lines)"},
			&ucli.StringFlag{Name: "fail-on", Usage: "exit 1 on findings at or above this severity (as check)"},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the rewritten package (.deb targets)"},
			&ucli.BoolFlag{Name: "keep-version", Usage: "keep the package version (default: add +harden1)"},
			&ucli.BoolFlag{Name: "strip-signatures", Usage: "drop signature members of a signed .deb instead of refusing it"},
			&ucli.StringFlag{Name: "filelist", Usage: "write an RPM %files list of the drop-ins (with %dir lines) to this absolute path"},
			&ucli.StringFlag{Name: "report", Usage: "write the plan (plan.jsonl, plan.txt) into this directory"},
		),
		Action: e.apply,
	}
}

// ApplyLine is one JSON line of apply (Contracts: apply lines).
type ApplyLine struct {
	Package  *string         `json:"package"`
	Version  *string         `json:"version"`
	Unit     string          `json:"unit"`
	Path     string          `json:"path"`
	Tier     string          `json:"tier"`
	Status   string          `json:"status"`
	Before   Tenths          `json:"before"`
	After    Tenths          `json:"after"`
	Added    []plan.Added    `json:"added"`
	Skipped  []plan.Skipped  `json:"skipped"`
	Findings []report.Object `json:"findings"`
	Dropin   *string         `json:"dropin"`
}

func (e *env) apply(ctx context.Context, cmd *ucli.Command) error {
	targets := cmd.Args().Slice()
	if len(targets) != 1 {
		return fail(ExitInput, "apply: give exactly one TARGET")
	}
	target := targets[0]
	format := cmd.String("format")
	if format != "text" && format != "json" {
		return fail(ExitInput, "--format: unknown format %q (text or json)", format)
	}
	var failOn *finding.FailOn
	if s := cmd.String("fail-on"); s != "" {
		f, err := finding.ParseFailOn(s)
		if err != nil {
			return fail(ExitInput, "%v", err)
		}
		failOn = &f
	}
	dry := cmd.Bool("dry-run")
	if !dry {
		// Refuse bad output paths before anything is written (Contracts:
		// status 2 leaves everything untouched).
		if err := checkOutputs(cmd.String("filelist"), cmd.String("report"), cmd.String("notes")); err != nil {
			return fail(ExitInput, "%v", err)
		}
	}
	r, err := e.preparePolicy(ctx, cmd, target, false)
	if err != nil {
		return err
	}
	var files []dropins.File
	var stale []string
	for _, p := range r.plans {
		switch {
		case p.Content != nil && !p.Existing:
			files = append(files, dropins.File{Path: p.Dropin, Content: p.Content})
		case p.Content == nil && p.Status == "unchanged":
			// an earlier drop-in of ours that the plan no longer needs
			if b, err := r.pkg.Tree.ReadFile(dropinFor(p), 1<<20); err == nil && strings.HasPrefix(string(b), "# Written by systemd-harden") {
				stale = append(stale, dropinFor(p))
			}
		}
	}
	switch r.pkg.Format {
	case pkgmodel.RPM:
		e.printSpecChange(r)
		return fail(ExitInput, "%s: refusing to rewrite an .rpm: changing it would invalidate its header digests and signatures; add the drop-ins above to the spec instead", target)
	case pkgmodel.Deb:
		out := cmd.String("output")
		if out == "" && !dry {
			return fail(ExitInput, "apply: a .deb target needs -o OUT.deb (the input is never modified)")
		}
		if !dry {
			var add []debwrite.File
			for _, p := range r.plans {
				if p.Content != nil {
					add = append(add, debwrite.File{Path: p.Dropin, Mode: 0o644, Data: p.Content})
				}
			}
			if _, err := debwrite.Rewrite(ctx, target, out, add, debwrite.Options{KeepVersion: cmd.Bool("keep-version"),
				StripSignatures: cmd.Bool("strip-signatures")}); err != nil {
				return fail(ExitInput, "%v", err)
			}
		}
	default:
		if !dry {
			if _, err := dropins.Write(target, files); err != nil {
				return fail(ExitInput, "%v", err)
			}
			if err := dropins.Remove(target, stale); err != nil {
				return fail(ExitInput, "%v", err)
			}
		}
	}
	if err := e.printPlans(e.stdout, format, r, dry); err != nil {
		return err
	}
	if !dry {
		if err := writeFilelist(cmd.String("filelist"), r.plans); err != nil {
			return fail(ExitInput, "%v", err)
		}
		if err := e.writeReport(cmd.String("report"), r); err != nil {
			return fail(ExitInput, "%v", err)
		}
	}
	if err := writeNotes(cmd.String("notes"), r); err != nil {
		return fail(ExitInput, "%v", err)
	}
	if failOn != nil {
		return failStatus(*failOn, r.findings)
	}
	return nil
}

func dropinFor(p plan.Unit) string {
	return filepath.ToSlash(filepath.Join(filepath.Dir(p.Path), filepath.Base(p.Path)+".d", plan.DropinName))
}

func (e *env) printPlans(w io.Writer, format string, r *policyRun, dry bool) error {
	byUnit := map[string][]finding.Finding{}
	for _, f := range r.findings {
		byUnit[f.Unit] = append(byUnit[f.Unit], f)
	}
	enc := json.NewEncoder(w)
	for _, p := range r.plans {
		if format == "json" {
			l := ApplyLine{Package: strp(r.pkg.Name), Version: strp(r.pkg.Version), Unit: p.Unit, Path: p.Path, Tier: p.Tier,
				Status: p.Status, Before: Tenths(p.Before), After: Tenths(p.After), Added: p.Added, Skipped: p.Skipped,
				Findings: report.Objects(byUnit[p.Unit]), Dropin: strp(p.Dropin)}
			if l.Added == nil {
				l.Added = []plan.Added{}
			}
			if l.Skipped == nil {
				l.Skipped = []plan.Skipped{}
			}
			if err := enc.Encode(l); err != nil {
				return fail(ExitInput, "writing output: %v", err)
			}
			continue
		}
		printPlanText(w, p, dry)
	}
	return nil
}

// writeFilelist writes the RPM file list of the drop-ins: a %dir line for
// each <unit>.d directory and the drop-in itself, so a spec lists them
// with `%files -f FILE`. The path must be absolute (%files -f resolves a
// relative name inside the build directory).
func writeFilelist(file string, plans []plan.Unit) error {
	if file == "" {
		return nil
	}
	if !filepath.IsAbs(file) {
		return fmt.Errorf("--filelist %s: the path must be absolute", file)
	}
	var b strings.Builder
	for _, p := range plans {
		if p.Content == nil {
			continue
		}
		fmt.Fprintf(&b, "%%dir %s\n%s\n", filepath.Dir(p.Dropin), p.Dropin)
	}
	return atomicWrite(file, []byte(b.String()))
}

// writeReport writes the plan as JSON lines and as text into dir.
func (e *env) writeReport(dir string, r *policyRun) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	var js, txt strings.Builder
	if err := e.printPlans(&js, "json", r, false); err != nil {
		return err
	}
	if err := e.printPlans(&txt, "text", r, false); err != nil {
		return err
	}
	if err := atomicWrite(filepath.Join(dir, "plan.jsonl"), []byte(js.String())); err != nil {
		return err
	}
	if err := atomicWrite(filepath.Join(dir, "plan.txt"), []byte(txt.String())); err != nil {
		return err
	}
	if r.tier == "dynamic-user" {
		// The migration notes belong beside the plan, where a spec's %doc
		// or a package's docs pick them up.
		return writeNotes(filepath.Join(dir, "migration-notes.md"), r)
	}
	return nil
}

// checkOutputs refuses output paths that would fail only after the
// drop-ins were written: a relative --filelist, a missing parent
// directory, a --report that is not a directory.
func checkOutputs(filelist, report, notes string) error {
	if filelist != "" {
		if !filepath.IsAbs(filelist) {
			return fmt.Errorf("--filelist %s: the path must be absolute", filelist)
		}
		if err := parentDir(filelist); err != nil {
			return fmt.Errorf("--filelist %s: %w", filelist, err)
		}
	}
	if notes != "" {
		if err := parentDir(notes); err != nil {
			return fmt.Errorf("--notes %s: %w", notes, err)
		}
	}
	if report != "" {
		if fi, err := os.Stat(report); err == nil && !fi.IsDir() {
			return fmt.Errorf("--report %s: not a directory", report)
		} else if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("--report: %w", err)
		}
	}
	return nil
}

func parentDir(file string) error {
	fi, err := os.Stat(filepath.Dir(file))
	if err != nil {
		return fmt.Errorf("its directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", filepath.Dir(file))
	}
	return nil
}

// atomicWrite writes a file through a temporary name and a rename.
func atomicWrite(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".systemd-harden-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

func printPlanText(w io.Writer, p plan.Unit, dry bool) {
	fmt.Fprintf(w, "%s: %s, tier %s: exposure %s → %s\n", p.Unit, p.Status, p.Tier, exposure.Format(p.Before), exposure.Format(p.After))
	for _, a := range p.Added {
		fmt.Fprintf(w, "  + %s=%s\n", a.Directive, a.Value)
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "  - %s skipped (%s: %s)\n", s.Directive, s.Signal, s.Evidence)
	}
	if p.Dropin != "" {
		fmt.Fprintf(w, "  drop-in %s\n", p.Dropin)
		if dry && p.Content != nil {
			for _, l := range strings.Split(strings.TrimRight(string(p.Content), "\n"), "\n") {
				fmt.Fprintf(w, "  | %s\n", l)
			}
		}
	}
}

// printSpecChange prints what a packager adds to an RPM spec instead of a
// rewritten .rpm: the drop-in files and the %install/%files lines.
func (e *env) printSpecChange(r *policyRun) {
	w := e.stdout
	fmt.Fprintf(w, "# %s %s: add to the spec (tier %s).\n", r.pkg.Name, r.pkg.Version, r.tier)
	for _, p := range r.plans {
		if p.Content == nil {
			continue
		}
		dir := filepath.Dir(p.Dropin)
		fmt.Fprintf(w, "\n# %%install\nmkdir -p %%{buildroot}%s\ncat > %%{buildroot}%s <<'EOF'\n%sEOF\n", dir, p.Dropin, p.Content)
		fmt.Fprintf(w, "# %%files\n%%dir %s\n%s\n", dir, p.Dropin)
	}
	fmt.Fprintln(w, "\n# or, with the macro: %systemd_harden -t "+r.tier+" at the end of %install")
}

func (e *env) tiersCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "tiers",
		Usage: "print the policy tiers and their directives",
		Flags: []ucli.Flag{&ucli.StringFlag{Name: "format", Value: "text", Usage: "text or json"}},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			set, err := tiers.Load()
			if err != nil {
				return fail(ExitInput, "%v", err)
			}
			return printTiers(e.stdout, set, cmd.String("format"))
		},
	}
}

// TierLine is one JSON line of `tiers --format json`: a directive of a tier.
type TierLine struct {
	Tier       string   `json:"tier"`
	Directive  string   `json:"directive"`
	Value      []string `json:"value"`
	ValueRoot  []string `json:"value_root"`
	ValueUser  []string `json:"value_user"`
	Since      int      `json:"since"`
	Satisfies  []string `json:"satisfies"`
	RuledOutBy []string `json:"ruled_out_by"`
	Risk       *string  `json:"risk"`
	Rationale  string   `json:"rationale"`
	DefinedIn  string   `json:"defined_in"`
}

func printTiers(w io.Writer, set *tiers.Set, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, name := range set.Names() {
			t, _ := set.Get(name)
			for _, d := range t.Directives {
				if err := enc.Encode(TierLine{Tier: name, Directive: d.Key, Value: d.Value, ValueRoot: d.ValueRoot, ValueUser: d.ValueUser,
					Since: d.Since, Satisfies: d.Satisfies, RuledOutBy: d.RuledOutBy, Risk: strp(d.Risk), Rationale: d.Rationale, DefinedIn: d.Tier}); err != nil {
					return fail(ExitInput, "writing output: %v", err)
				}
			}
		}
	case "text":
		for i, name := range set.Names() {
			t, _ := set.Get(name)
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s", name)
			if t.BuildsOn != "" {
				fmt.Fprintf(w, " (builds on %s)", t.BuildsOn)
			}
			fmt.Fprintf(w, ": %s\n", strings.SplitN(t.Description, "\n", 2)[0])
			for _, d := range t.Directives {
				v := strings.Join(d.Value, " / ")
				if d.ValueRoot != nil {
					v += " [root: " + strings.Join(d.ValueRoot, " / ") + "]"
				}
				if d.ValueUser != nil {
					v += " [user: " + strings.Join(d.ValueUser, " / ") + "]"
				}
				fmt.Fprintf(w, "  %s=%s  (systemd ≥ %d", d.Key, v, d.Since)
				if len(d.RuledOutBy) > 0 {
					fmt.Fprintf(w, "; skipped on: %s", strings.Join(d.RuledOutBy, ", "))
				}
				fmt.Fprintf(w, ")\n      %s\n", d.Rationale)
			}
		}
	default:
		return fail(ExitInput, "--format: unknown format %q (text or json)", format)
	}
	return nil
}

func (e *env) explainCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "explain",
		Usage:     "print the explanation of finding tags",
		ArgsUsage: "TAG...",
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			set, err := tags.Load()
			if err != nil {
				return fail(ExitInput, "%v", err)
			}
			names := cmd.Args().Slice()
			if len(names) == 0 {
				names = set.Names()
			}
			if err := report.Explain(e.stdout, set, names...); err != nil {
				return fail(ExitInput, "%v", err)
			}
			return nil
		},
	}
}
