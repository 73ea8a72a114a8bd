// Package dhrun is dh_systemd_harden: it turns parsed debhelper options
// into one engine run per binary package (the same apply/check the CLI
// runs, so the dh face can never disagree with `systemd-harden apply`),
// and speaks debhelper's dialect on the way out: quiet by default, the
// changed files under -v, findings and errors on stderr, the log under
// DH_INTERNAL_OVERRIDE.
package dhrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/cli"
	"github.com/systemd-harden/systemd-harden/internal/dhopts"
)

// ConfigName is the pkgfile name: debian/<pkg>.systemd-harden.
const ConfigName = "systemd-harden"

// StateDir holds each package's plan and notes, under debian/ so that
// dh_clean removes it with the rest of debian/.debhelper.
const StateDir = "debian/.debhelper/systemd-harden"

// unitDirs are where a staging tree's units live (dh_installsystemd
// writes to either, depending on the release).
var unitDirs = []string{"lib/systemd/system", "usr/lib/systemd/system", "etc/systemd/system"}

const usage = `Usage: dh_systemd_harden [debhelper options] [--tier TIER] [--systemd-version N]
       [--check-only [--fail-on SEVERITY]] [--report DIR] [UNIT...]

Hardens the systemd services in debian/<pkg>/ with drop-ins (see
dh_systemd_harden(1)); the configuration is debian/<pkg>.systemd-harden.
`

// Run is the whole command: argv without the program name. It returns the
// exit status (Contracts: 0 done, 1 findings at or above --fail-on under
// --check-only, 2 usage or input errors).
func Run(ctx context.Context, argv []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(argv) > 0 && (argv[0] == "--help" || argv[0] == "-h") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	ctl, err := dhopts.LoadControl("debian/control")
	if err != nil {
		return errorf(stderr, 2, "%v", err)
	}
	host, err := dhopts.HostFromEnv(getenv)
	if err != nil {
		return errorf(stderr, 2, "%v", err)
	}
	o, err := dhopts.Parse(argv, getenv, ctl, host)
	if err != nil {
		return errorf(stderr, 2, "%v", err)
	}
	for _, w := range o.Warnings {
		fmt.Fprintf(stderr, "%s: warning: %s\n", dhopts.ToolName, w)
	}
	if o.Help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(o.Packages) == 0 {
		return 0
	}
	r := &runner{o: o, host: host, stdout: stdout, stderr: stderr}
	status := 0
	matched := map[string]bool{}
	for _, pkg := range o.Packages {
		st, err := r.pkg(ctx, pkg, matched)
		if err != nil {
			return errorf(stderr, 2, "%v", err)
		}
		if st > status {
			status = st
		}
	}
	// A unit named on the command line that no package ships is a typo
	// that would otherwise leave it unhardened.
	for _, u := range o.Units {
		if !matched[u] {
			return errorf(stderr, 2, "unit %s: not shipped by any package acted on (%s)", u, strings.Join(o.Packages, ", "))
		}
	}
	if status != 0 {
		return status
	}
	if err := o.WriteLog(); err != nil {
		return errorf(stderr, 2, "%v", err)
	}
	return 0
}

func errorf(w io.Writer, code int, format string, a ...any) int {
	fmt.Fprintf(w, "%s: error: %s\n", dhopts.ToolName, fmt.Sprintf(format, a...))
	return code
}

type runner struct {
	o              *dhopts.Options
	host           *dhopts.Host
	stdout, stderr io.Writer
}

// services lists the .service files of a staging tree's unit directories,
// with their paths inside the tree.
func services(tmp string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, d := range unitDirs {
		ents, err := os.ReadDir(filepath.Join(tmp, d))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", filepath.Join(tmp, d), err)
		}
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".service") {
				continue
			}
			out[e.Name()] = append(out[e.Name()], "/"+d+"/"+e.Name())
		}
	}
	return out, nil
}

func hasInitScripts(tmp string) bool {
	ents, err := os.ReadDir(filepath.Join(tmp, "etc/init.d"))
	return err == nil && len(ents) > 0
}

// pkg runs the engine on one package; it returns the engine's status
// (1 only for --check-only findings) or an error for status 2.
func (r *runner) pkg(ctx context.Context, pkg string, matched map[string]bool) (int, error) {
	o := r.o
	tmp := o.TmpDirFor(pkg)
	svcs, err := services(tmp)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", pkg, err)
	}
	// The units to act on: the positional ones this package has, minus
	// -X matches (debhelper's -X is a substring of the path).
	var names []string
	for n := range svcs {
		names = append(names, n)
	}
	sort.Strings(names)
	restricted := false
	if len(o.Units) > 0 {
		restricted = true
		want := map[string]bool{}
		for _, u := range o.Units {
			want[u] = true
		}
		var keep []string
		for _, n := range names {
			if want[n] {
				keep = append(keep, n)
				matched[n] = true
			}
		}
		names = keep
	}
	if len(o.Exclude) > 0 {
		var keep []string
		for _, n := range names {
			excluded := false
			for _, p := range svcs[n] {
				for _, x := range o.Exclude {
					if x != "" && strings.Contains(p, x) {
						excluded = true
					}
				}
			}
			if excluded {
				restricted = true
				continue
			}
			keep = append(keep, n)
		}
		names = keep
	}
	if len(names) == 0 && (restricted || !hasInitScripts(tmp)) {
		// Nothing of ours in this package (dh's NOOP promise covers
		// the common case before we are even started).
		return 0, nil
	}
	args := []string{"systemd-harden"}
	state := filepath.Join(StateDir, pkg)
	if o.CheckOnly {
		args = append(args, "check", "--format", "lintian")
		failOn := o.FailOn
		if failOn == "" {
			failOn = "error"
		}
		args = append(args, "--fail-on", failOn)
	} else {
		args = append(args, "apply", "--format", "json", "--report", state)
		if o.FailOn != "" {
			args = append(args, "--fail-on", o.FailOn)
		}
	}
	if o.Tier != "" {
		args = append(args, "--tier", o.Tier)
	}
	if o.SystemdVersion != "" {
		args = append(args, "--systemd-version", o.SystemdVersion)
	}
	if cfg := o.PkgFile("debian", pkg, ConfigName, r.host); cfg != "" {
		args = append(args, "--config", cfg)
	}
	args = append(args, "--package", pkg)
	if restricted {
		for _, n := range names {
			args = append(args, "--unit", n)
		}
	}
	args = append(args, tmp)
	if o.Verbose {
		fmt.Fprintf(r.stdout, "\t%s\n", shellJoin(args))
	}
	if o.NoAct {
		return 0, nil
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return 0, fmt.Errorf("%s: %w", pkg, err)
	}
	var out, errb bytes.Buffer
	st := cli.Run(ctx, args, &out, &errb)
	// The engine's warnings (unknown keys, …) belong to the build log.
	r.forward(errb.Bytes(), pkg)
	if st == 2 {
		return 0, fmt.Errorf("%s: systemd-harden refused the package (see above)", pkg)
	}
	if o.CheckOnly {
		if err := atomicWrite(filepath.Join(state, "check.txt"), out.Bytes()); err != nil {
			return 0, err
		}
		if err := r.copyReport(pkg, state); err != nil {
			return 0, err
		}
		for _, l := range lines(out.Bytes()) {
			// Errors and warnings always reach the log; info and
			// pedantic notes only under -v, as debhelper is quiet.
			if o.Verbose || strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ") {
				fmt.Fprintln(r.stderr, l)
			}
		}
		if st == 1 {
			fmt.Fprintf(r.stderr, "%s: error: %s: findings at or above --fail-on=%s (see debian/%s.systemd-harden to override with a reason)\n",
				dhopts.ToolName, pkg, orDefault(o.FailOn, "error"), pkg)
		}
		return st, nil
	}
	if err := r.report(out.Bytes(), pkg, state); err != nil {
		return 0, err
	}
	return st, nil
}

// applyLine is the part of an apply JSON line the dh face prints.
type applyLine struct {
	Unit     string  `json:"unit"`
	Tier     string  `json:"tier"`
	Status   string  `json:"status"`
	Dropin   *string `json:"dropin"`
	Findings []struct {
		Tag        string  `json:"tag"`
		Severity   string  `json:"severity"`
		Detail     string  `json:"detail"`
		Path       *string `json:"path"`
		Overridden *string `json:"overridden"`
	} `json:"findings"`
}

// report prints the changed files under -v and the warnings and errors
// always, and copies the plan to --report DIR/<pkg>/.
func (r *runner) report(out []byte, pkg, state string) error {
	for _, l := range lines(out) {
		var a applyLine
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			return fmt.Errorf("%s: reading the engine's plan: %w", pkg, err)
		}
		if r.o.Verbose && a.Dropin != nil && a.Status == "rewritten" {
			fmt.Fprintf(r.stdout, "\tinstall -m0644 %s\n", filepath.Join(r.o.TmpDirFor(pkg), *a.Dropin))
		}
		for _, f := range a.Findings {
			if f.Overridden != nil {
				continue
			}
			code := map[string]string{"error": "E", "warning": "W", "info": "I", "pedantic": "P"}[f.Severity]
			if code == "" || (!r.o.Verbose && code != "E" && code != "W") {
				continue
			}
			line := fmt.Sprintf("%s: %s: %s", code, pkg, f.Tag)
			if f.Detail != "" {
				line += " " + f.Detail
			}
			if f.Path != nil {
				line += " [" + *f.Path + "]"
			}
			fmt.Fprintln(r.stderr, line)
		}
	}
	return r.copyReport(pkg, state)
}

// copyReport copies the package's state directory to --report DIR/<pkg>/.
func (r *runner) copyReport(pkg, state string) error {
	if r.o.Report == "" {
		return nil
	}
	dst := filepath.Join(r.o.Report, pkg)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	ents, err := os.ReadDir(state)
	if err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(state, e.Name()))
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		if err := atomicWrite(filepath.Join(dst, e.Name()), b); err != nil {
			return err
		}
	}
	return nil
}

// forward copies the engine's stderr, naming the package and the command
// instead of "systemd-harden" so the build log says who complained.
func (r *runner) forward(b []byte, pkg string) {
	for _, l := range lines(b) {
		l = strings.TrimPrefix(l, "systemd-harden: ")
		fmt.Fprintf(r.stderr, "%s: %s: %s\n", dhopts.ToolName, pkg, l)
	}
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// shellJoin quotes like Dh_Lib's escape_shell, for the -v line.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}

func atomicWrite(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".dh-systemd-harden-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Chmod(0o644), tmp.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
