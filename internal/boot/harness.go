package boot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// Harness runs cases against one rootfs with one systemd-harden binary.
type Harness struct {
	Root    string // the cached rootfs
	Bin     string // systemd-harden
	WorkDir string // per-run logs and rewritten packages

	mu       sync.Mutex
	controls map[string]*control
}

type control struct {
	once sync.Once
	res  *RunResult
}

// UnitExposure is one unit of a rewritten package, from apply's JSON line.
type UnitExposure struct {
	Package  string   `json:"package"`
	Unit     string   `json:"unit"`
	Tier     string   `json:"tier"`
	Status   string   `json:"status"`
	Before   *float64 `json:"before"`
	After    *float64 `json:"after"`
	Added    []string `json:"added"`
	Findings []string `json:"findings"`
	Tested   bool     `json:"tested"` // one of the case's Units
}

// RunResult is one boot: the control or the hardened run.
type RunResult struct {
	Pass    bool    `json:"pass"`
	Seconds float64 `json:"seconds"`
	Step    string  `json:"failed_step,omitempty"` // install, dpkg, start, active, dropin, probe
	Error   string  `json:"error,omitempty"`
	Diag    string  `json:"diagnostics,omitempty"` // systemctl status, journal, systemctl cat
}

// Result is one case's outcome: pass, fail, refused (the expected
// refusal), unchanged (the expected absence of a drop-in; both count as
// passed) or control-failed (not counted).
type Result struct {
	ID       string         `json:"id"`
	Service  string         `json:"service"`
	Tier     string         `json:"tier"`
	Smoke    bool           `json:"smoke"`
	Broken   bool           `json:"negative_control"`
	Outcome  string         `json:"outcome"`
	Error    string         `json:"error,omitempty"`
	Units    []UnitExposure `json:"units"`
	Control  *RunResult     `json:"control"`
	Hardened *RunResult     `json:"hardened"`
	Seconds  float64        `json:"seconds"`
}

// Counted reports whether the result counts towards passed/failed.
func (r Result) Counted() bool { return r.Outcome != "control-failed" }

// Passed reports whether a counted result passed.
func (r Result) Passed() bool {
	return r.Outcome == "pass" || r.Outcome == "refused" || r.Outcome == "unchanged"
}

// Run runs one case: apply the tier, check refusals, boot the control (once
// per service) and the hardened package.
func (h *Harness) Run(ctx context.Context, c Case) (r Result) {
	t0 := time.Now()
	r = Result{ID: c.ID(), Service: c.Service, Tier: c.Tier, Smoke: c.Smoke, Broken: c.BrokenDropin != ""}
	defer func() { r.Seconds = round1(time.Since(t0).Seconds()) }()
	debs := filepath.Join(h.WorkDir, strings.ReplaceAll(c.ID(), "/", "_"))
	if err := os.MkdirAll(debs, 0o755); err != nil {
		r.Outcome, r.Error = "fail", err.Error()
		return r
	}
	units, err := h.apply(ctx, c, debs)
	r.Units = units
	if err != nil {
		r.Outcome, r.Error = "fail", err.Error()
		return r
	}
	unchanged := true
	for _, u := range units {
		if u.Tested && u.Status != "unchanged" {
			unchanged = false
			if c.Unchanged {
				r.Outcome, r.Error = "fail", "expected apply to leave "+u.Unit+" unchanged under tier "+c.Tier+", but it is "+u.Status
				return r
			}
		}
	}
	// Nothing to boot hardened (a session host, or a unit whose own
	// sandbox the tier leaves as it is): what stays as shipped must still
	// work, which the control proves; reported as "unchanged", not "pass".
	unchangedResult := func() Result {
		r.Control = h.control(ctx, c)
		r.Outcome = "unchanged"
		if !r.Control.Pass {
			r.Outcome = "control-failed"
		}
		return r
	}
	if c.Unchanged {
		return unchangedResult()
	}
	refused, why := refusal(c, units)
	switch {
	case c.Refused && refused:
		r.Outcome = "refused"
		return r
	case c.Refused:
		r.Outcome, r.Error = "fail", "expected apply to refuse tier "+c.Tier+", but it did not"
		return r
	case refused:
		r.Outcome, r.Error = "fail", "apply refused tier "+c.Tier+" unexpectedly: "+why
		return r
	}
	if unchanged && c.BrokenDropin == "" {
		return unchangedResult()
	}
	r.Control = h.control(ctx, c)
	if !r.Control.Pass {
		r.Outcome = "control-failed"
		return r
	}
	wantDropin := false
	for _, u := range units {
		if u.Tested && u.Status == "rewritten" {
			wantDropin = true
		}
	}
	r.Hardened = h.boot(ctx, c, debs, true, wantDropin)
	switch {
	case c.BrokenDropin != "" && r.Hardened.Pass:
		r.Outcome, r.Error = "fail", "negative control: the broken drop-in did not make the service fail"
	case c.BrokenDropin != "":
		r.Outcome = "pass"
	case r.Hardened.Pass:
		r.Outcome = "pass"
	default:
		r.Outcome, r.Error = "fail", r.Hardened.Step+": "+r.Hardened.Error
	}
	return r
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func refusal(c Case, units []UnitExposure) (bool, string) {
	for _, u := range units {
		if !u.Tested {
			continue
		}
		if u.Status == "refused" {
			return true, u.Unit + ": status refused"
		}
		for _, f := range u.Findings {
			if f == "tier-refused" && u.Tier != c.Tier {
				return true, u.Unit + ": tier-refused, " + u.Tier + " applied"
			}
		}
	}
	return false, ""
}

// apply rewrites each package in c.Rewrite (taken from the rootfs' apt
// cache, so it matches the dependencies the container installs) into debs/,
// keeping the version so dependent packages' exact-version dependencies hold.
func (h *Harness) apply(ctx context.Context, c Case, debs string) ([]UnitExposure, error) {
	want := map[string]bool{}
	for _, u := range c.Units {
		want[unitname.Family(u)] = true
	}
	var out []UnitExposure
	for _, p := range c.Rewrite {
		src, err := ArchivedDeb(h.Root, p)
		if err != nil {
			return out, err
		}
		dst := filepath.Join(debs, filepath.Base(src))
		cmd := exec.CommandContext(ctx, h.Bin, "apply", "--tier", c.Tier, "--format", "json", "--keep-version", src, "-o", dst)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return out, fmt.Errorf("systemd-harden apply --tier %s %s: %v: %s", c.Tier, filepath.Base(src), err, strings.TrimSpace(stderr.String()))
		}
		sc := bufio.NewScanner(&stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var l struct {
				Package, Unit, Tier, Status string
				Before, After               *float64
				Added                       []struct{ Directive, Value string }
				Findings                    []struct{ Tag string }
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				return out, fmt.Errorf("apply output: %v", err)
			}
			u := UnitExposure{Package: l.Package, Unit: l.Unit, Tier: l.Tier, Status: l.Status, Before: l.Before, After: l.After, Tested: want[l.Unit]}
			for _, a := range l.Added {
				u.Added = append(u.Added, a.Directive+"="+a.Value)
			}
			for _, f := range l.Findings {
				u.Findings = append(u.Findings, f.Tag)
			}
			out = append(out, u)
		}
		if _, err := os.Stat(dst); err != nil {
			// apply writes no package when nothing changed: install the original.
			if err := copyFile(src, dst); err != nil {
				return out, err
			}
		}
	}
	found := map[string]bool{}
	for _, u := range out {
		if u.Tested {
			found[u.Unit] = true
		}
	}
	for u := range want {
		if !found[u] {
			return out, fmt.Errorf("apply reported no line for unit %s", u)
		}
	}
	return out, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// control boots the unmodified packages once per service.
func (h *Harness) control(ctx context.Context, c Case) *RunResult {
	h.mu.Lock()
	if h.controls == nil {
		h.controls = map[string]*control{}
	}
	ct := h.controls[c.Service]
	if ct == nil {
		ct = &control{}
		h.controls[c.Service] = ct
	}
	h.mu.Unlock()
	ct.once.Do(func() {
		debs := filepath.Join(h.WorkDir, c.Service+"_control")
		if err := os.MkdirAll(debs, 0o755); err != nil {
			ct.res = &RunResult{Step: "setup", Error: err.Error()}
			return
		}
		for _, p := range c.Rewrite {
			src, err := ArchivedDeb(h.Root, p)
			if err == nil {
				err = copyFile(src, filepath.Join(debs, filepath.Base(src)))
			}
			if err != nil {
				ct.res = &RunResult{Step: "setup", Error: err.Error()}
				return
			}
		}
		cc := c
		cc.BrokenDropin = ""
		ct.res = h.boot(ctx, cc, debs, false, false)
	})
	return ct.res
}

// boot runs one container: install (starts blocked by policy-rc.d), put the
// packages in debs/ in place with dpkg -i, start the units, require them
// active (and, hardened, with systemd-harden's drop-in loaded), probe.
func (h *Harness) boot(ctx context.Context, c Case, debs string, hardened, wantDropin bool) *RunResult {
	t0 := time.Now()
	res := &RunResult{}
	defer func() { res.Seconds = round1(time.Since(t0).Seconds()) }()
	limit := c.Timeout
	if limit == 0 {
		limit = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	ct, err := Boot(ctx, h.Root, h.WorkDir, map[string]string{debs: "/srv/debs"})
	if err != nil {
		res.Step, res.Error = "boot", err.Error()
		return res
	}
	defer func() {
		if err := ct.Close(); err != nil {
			if res.Pass {
				res.Pass, res.Step, res.Error = false, "cleanup", err.Error()
			} else {
				res.Error += "\ncleanup: " + err.Error()
			}
		}
	}()
	units := strings.Join(c.Units, " ")
	steps := []struct {
		name, script string
		limit        time.Duration
	}{
		{"install", "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && " +
			nz(c.PreInstall) + "apt-get install -y -q --no-download " + strings.Join(c.Install, " "), 150 * time.Second},
		{"dpkg", "dpkg -i /srv/debs/*.deb", 90 * time.Second},
		{"setup", "rm -f /usr/sbin/policy-rc.d && " + broken(c, hardened) + nz(c.Setup) + "systemctl daemon-reload", 60 * time.Second},
		{"start", "systemctl start " + units, 90 * time.Second},
		{"active", "sleep 1; rc=0; for u in " + units + "; do " + unitOK + " || rc=1; done; exit $rc", 20 * time.Second},
	}
	if wantDropin {
		steps = append(steps, struct {
			name, script string
			limit        time.Duration
		}{"dropin", "for u in " + units + "; do systemctl show -p DropInPaths --value $u | grep -q systemd-harden || { echo \"$u: systemd-harden drop-in not loaded: $(systemctl show -p DropInPaths --value $u)\"; exit 1; }; done", 20 * time.Second})
	}
	steps = append(steps,
		struct {
			name, script string
			limit        time.Duration
		}{"probe", c.Probe, 90 * time.Second},
		struct {
			name, script string
			limit        time.Duration
		}{"active", "for u in " + units + "; do " + retry(20, unitOK+" >/dev/null") + " || { echo \"$u: $(systemctl is-active $u) 10 s after the probe\"; exit 1; }; done", 30 * time.Second},
	)
	for _, s := range steps {
		out, err := ct.Exec(ctx, s.limit, s.script)
		if err != nil {
			res.Step = s.name
			res.Error = strings.TrimSpace(lastLines(out, 15) + "\n(" + err.Error() + ")")
			res.Diag, _ = ct.Exec(context.Background(), 30*time.Second,
				"systemctl status --no-pager -l -n 0 "+units+"; echo; journalctl --no-pager -o short-precise -n 80 -u '"+
					strings.Join(c.Units, "' -u '")+"'; echo; systemctl cat --no-pager "+units)
			return res
		}
	}
	res.Pass = true
	return res
}

// unitOK is a shell condition on $u: active, or for a oneshot service
// (inactive once done) run with its conditions met (a skipped oneshot is
// inactive with Result=success too) and finished with Result=success. It
// prints the state.
const unitOK = `{ s=$(systemctl is-active $u); if [ "$(systemctl show -p Type --value $u)" = oneshot ]; then r=$(systemctl show -p Result --value $u); c=$(systemctl show -p ConditionResult --value $u); echo "$u: $s (oneshot, result $r, conditions met: $c)"; [ "$s" != failed ] && [ "$r" = success ] && [ "$c" = yes ]; else echo "$u: $s"; [ "$s" = active ]; fi; }`

func nz(s string) string {
	if s == "" {
		return ""
	}
	return "{ " + s + "; } && "
}

func broken(c Case, hardened bool) string {
	if !hardened || c.BrokenDropin == "" {
		return ""
	}
	d := "/etc/systemd/system/" + c.Units[0] + ".d"
	return "mkdir -p " + d + " && printf '%s' '" + strings.ReplaceAll(c.BrokenDropin, "'", `'\''`) + "' > " + d + "/99-broken.conf && "
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// Summary prints one line per case, the failures with their journal, and
// ends with the line "N passed, M failed".
func Summary(w io.Writer, results []Result) (passed, failed int) {
	rs := append([]Result(nil), results...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	fmt.Fprintf(w, "%-32s %-8s %-8s %-15s %8s %8s\n", "case", "before", "after", "result", "control", "hardened")
	var skipped []string
	for _, r := range rs {
		before, after := "-", "-"
		for _, u := range r.Units {
			if u.Tested && u.Before != nil && u.After != nil {
				before, after = fmt.Sprintf("%.1f", *u.Before), fmt.Sprintf("%.1f", *u.After)
				break
			}
		}
		secs := func(x *RunResult) string {
			if x == nil {
				return "-"
			}
			return fmt.Sprintf("%.1fs", x.Seconds)
		}
		fmt.Fprintf(w, "%-32s %-8s %-8s %-15s %8s %8s\n", r.ID, before, after, r.Outcome, secs(r.Control), secs(r.Hardened))
		switch {
		case !r.Counted():
			skipped = append(skipped, r.ID)
		case r.Passed():
			passed++
		default:
			failed++
		}
	}
	for _, r := range rs {
		if r.Broken && r.Outcome == "pass" && r.Hardened != nil {
			fmt.Fprintf(w, "\n--- %s: negative control failed as expected at step %s: %s\n%s\n", r.ID, r.Hardened.Step,
				r.Hardened.Error, indent(journal(r.Hardened.Diag, 12)))
		}
		if r.Counted() && r.Passed() {
			continue
		}
		fmt.Fprintf(w, "\n--- %s: %s %s\n", r.ID, r.Outcome, r.Error)
		for _, u := range r.Units {
			if u.Tested {
				fmt.Fprintf(w, "    %s (tier %s, %s): %s\n", u.Unit, u.Tier, u.Status, strings.Join(u.Added, " "))
			}
		}
		for _, x := range []*RunResult{r.Control, r.Hardened} {
			if x != nil && !x.Pass {
				fmt.Fprintf(w, "    failed step %s: %s\n%s\n", x.Step, x.Error, indent(x.Diag))
			}
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "\nnot counted (control failed): %s\n", strings.Join(skipped, ", "))
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return passed, failed
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "      " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n      ")
}

// journal picks the last n journal lines (they start with a month name)
// out of a diagnostics dump.
func journal(diag string, n int) string {
	var out []string
	for _, l := range strings.Split(diag, "\n") {
		if len(l) > 16 && l[3] == ' ' && l[6] == ' ' && strings.Contains(l[:16], ":") {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}
