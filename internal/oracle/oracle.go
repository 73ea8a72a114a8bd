// Package oracle runs the real `systemd-analyze security --offline` and
// reads its table, so tests and benchmarks can compare our scores with
// systemd's own. It asks for the debug table (SYSTEMD_ANALYZE_DEBUG=1),
// which adds the weight, badness and range columns, and passes an empty
// security policy so a host policy file cannot leak in.
package oracle

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Analyzer is one systemd-analyze binary (or wrapper script).
type Analyzer struct {
	Bin     string
	Version int
	policy  string
	Env     []string // extra environment, e.g. SYSTEMD_UNIT_PATH for 257
}

var versionRE = regexp.MustCompile(`(?m)^systemd (\d+)`)

// New probes bin for its version and writes the empty policy file into dir.
func New(ctx context.Context, bin, dir string) (*Analyzer, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", bin, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("%s --version: no version in %q", bin, out)
	}
	v, _ := strconv.Atoi(string(m[1]))
	policy := filepath.Join(dir, "empty-policy.json")
	if err := os.WriteFile(policy, []byte("{}\n"), 0o644); err != nil {
		return nil, fmt.Errorf("writing policy: %w", err)
	}
	return &Analyzer{Bin: bin, Version: v, policy: policy}, nil
}

// Row is one line of the table.
type Row struct {
	Mark        string // "✓", "✗" or "" (not applicable)
	Name        string
	Description string
	Weight      uint64
	Badness     uint64 // NA rows carry UINT64_MAX
	NA          bool
	Range       uint64
	Exposure    string // "" when good or not applicable, else "0.2"
}

// Result is systemd's assessment of one unit.
type Result struct {
	ID       string
	Exposure string // "9.6"
	Level    string
	Rows     []Row
}

// Failure is a unit systemd-analyze did not assess.
type Failure struct {
	Unit   string
	Status int
	Stderr string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("systemd-analyze %s: exit %d: %s", f.Unit, f.Status, strings.TrimSpace(f.Stderr))
}

// Masked reports whether systemd refused the unit as masked.
func (f *Failure) Masked() bool { return strings.Contains(f.Stderr, "is masked") }

var overallRE = regexp.MustCompile(`Overall exposure level for (\S+): (\d+\.\d) (\w+)`)

// Security assesses unit inside root.
func (a *Analyzer) Security(ctx context.Context, root, unit string) (*Result, error) {
	args := []string{"security", "--offline=true", "--root=" + root, "--security-policy=" + a.policy, "--no-pager", unit}
	if a.Version >= 257 {
		args = append(args[:len(args)-1], "--instance=test_instance", unit)
	}
	cmd := exec.CommandContext(ctx, a.Bin, args...)
	cmd.Env = append(os.Environ(), "SYSTEMD_ANALYZE_DEBUG=1", "SYSTEMD_COLORS=0", "SYSTEMD_URLIFY=0", "COLUMNS=400")
	cmd.Env = append(cmd.Env, a.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		st := -1
		if ee, ok := err.(*exec.ExitError); ok {
			st = ee.ExitCode()
		}
		return nil, &Failure{Unit: unit, Status: st, Stderr: stderr.String()}
	}
	return parse(stdout.Bytes())
}

func parse(out []byte) (*Result, error) {
	r := &Result{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	header := true
	for sc.Scan() {
		line := sc.Text()
		if m := overallRE.FindStringSubmatch(line); m != nil {
			r.ID, r.Exposure, r.Level = m[1], m[2], m[3]
			continue
		}
		if header {
			header = !strings.Contains(line, "NAME")
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		row, err := parseRow(line)
		if err != nil {
			return nil, err
		}
		r.Rows = append(r.Rows, row)
	}
	if r.Exposure == "" {
		return nil, fmt.Errorf("no overall exposure line in output:\n%s", out)
	}
	return r, sc.Err()
}

func parseRow(line string) (Row, error) {
	var row Row
	switch {
	case strings.HasPrefix(line, "✓"):
		row.Mark, line = "✓", strings.TrimPrefix(line, "✓")
	case strings.HasPrefix(line, "✗"):
		row.Mark, line = "✗", strings.TrimPrefix(line, "✗")
	}
	f := strings.Fields(line)
	if len(f) < 5 {
		return row, fmt.Errorf("unexpected row %q", line)
	}
	row.Name = f[0]
	rest := f[1:]
	if strings.Contains(rest[len(rest)-1], ".") {
		row.Exposure = rest[len(rest)-1]
		rest = rest[:len(rest)-1]
	}
	n := len(rest)
	var err error
	if row.Range, err = strconv.ParseUint(rest[n-1], 10, 64); err != nil {
		return row, fmt.Errorf("row %q: range: %w", line, err)
	}
	if row.Badness, err = strconv.ParseUint(rest[n-2], 10, 64); err != nil {
		return row, fmt.Errorf("row %q: badness: %w", line, err)
	}
	row.NA = row.Badness == ^uint64(0)
	if row.Weight, err = strconv.ParseUint(rest[n-3], 10, 64); err != nil {
		return row, fmt.Errorf("row %q: weight: %w", line, err)
	}
	row.Description = strings.Join(rest[:n-3], " ")
	return row, nil
}
