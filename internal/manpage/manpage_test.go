package manpage

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v3"

	"github.com/systemd-harden/systemd-harden/internal/cli"
	"github.com/systemd-harden/systemd-harden/internal/dhopts"
)

var meta = Meta{Version: "1.2.3", Date: "2026-01-02"}

func cliPage(t *testing.T) string {
	t.Helper()
	return CLI(cli.Command(), meta)
}

func dhPage(t *testing.T) string {
	t.Helper()
	p, err := DH(dhopts.OptionTable(), meta)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// roffName is how a flag name appears in the page.
func roffName(n string) string {
	if len(n) == 1 {
		return `\-` + Escape(n)
	}
	return `\-\-` + Escape(n)
}

func TestEveryCommandAndFlagDocumented(t *testing.T) {
	root := cli.Command()
	page := cliPage(t)
	cmds := page[strings.Index(page, "\n.SH COMMANDS\n"):]
	var walk func(c *ucli.Command)
	walk = func(c *ucli.Command) {
		for _, sub := range c.VisibleCommands() {
			if !strings.Contains(page, Escape(sub.Name)) {
				t.Errorf("command %s missing", sub.Name)
			}
			// Each flag's entry is in the part of the page after the
			// command's own heading (flag names repeat across commands).
			i := strings.Index(cmds, "\n.B "+Escape(sub.Name)+"\n")
			if i < 0 {
				i = strings.Index(cmds, "\n.BI "+Escape(sub.Name)+" ")
			}
			if i < 0 {
				t.Errorf("no COMMANDS entry for %s", sub.Name)
				continue
			}
			rest := cmds[i:]
			for _, f := range sub.VisibleFlags() {
				for _, n := range f.Names() {
					if !strings.Contains(rest, `\fB`+roffName(n)+`\fR`) {
						t.Errorf("%s: flag %s missing", sub.Name, n)
					}
				}
				if d, ok := f.(ucli.DocGenerationFlag); ok && f.Names()[0] != "help" {
					first := strings.Fields(d.GetUsage())
					if len(first) > 1 && !strings.Contains(rest, Escape(first[1])) {
						t.Errorf("%s: usage of %s missing", sub.Name, f.Names()[0])
					}
				}
			}
			walk(sub)
		}
	}
	walk(root)
	for _, n := range []string{"help", "h", "version", "v"} {
		if !strings.Contains(page, `\fB`+roffName(n)+`\fR`) {
			t.Errorf("global flag %s missing", n)
		}
	}
	for _, sec := range []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS", ".SH OPTIONS", `.SH "EXIT STATUS"`, `.SH "SEE ALSO"`} {
		if !strings.Contains(page, "\n"+sec+"\n") {
			t.Errorf("section %s missing", sec)
		}
	}
}

func TestDHEveryOptionDocumented(t *testing.T) {
	page := dhPage(t)
	own := map[string]bool{}
	for _, o := range dhopts.OptionTable() {
		for _, n := range o.Names {
			if !strings.Contains(page, Escape(optName(n))) {
				t.Errorf("option %s missing", n)
			}
		}
		if o.ToolOnly {
			own[o.Names[0]] = true
			if !strings.Contains(page, `.TP
\fB`+roffName(o.Names[0])+`\fR`) {
				t.Errorf("option %s has no entry", o.Names[0])
			}
		}
	}
	for n := range dhDoc {
		if !own[n] {
			t.Errorf("dhDoc documents --%s, which dhopts does not have", n)
		}
	}
}

func TestDHUndocumentedOption(t *testing.T) {
	opts := append(dhopts.OptionTable(), dhopts.Option{Names: []string{"new-thing"}, ToolOnly: true})
	if _, err := DH(opts, meta); err == nil {
		t.Fatal("an undocumented option rendered without error")
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		`a\b`:          `a\eb`,
		"--x-y":        `\-\-x\-y`,
		".starts":      `\&.starts`,
		"'quote":       `\&'quote`,
		"a\n.b\n'c":    "a\n\\&.b\n\\&'c",
		"mid.dle'ok":   "mid.dle'ok",
		`\fB not bold`: `\efB not bold`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// A flag whose usage starts with a dot or holds backslashes must not turn
// into a roff request or escape.
func TestFlagUsageEscaped(t *testing.T) {
	root := &ucli.Command{
		Name:  "tool",
		Usage: "a test",
		Commands: []*ucli.Command{{
			Name:        "sub",
			Usage:       ".hidden request",
			Description: ".TH evil\n\nC:\\path",
			Flags: []ucli.Flag{
				&ucli.StringFlag{Name: "dot", Usage: ".so /etc/passwd"},
				&ucli.StringFlag{Name: "back", Usage: `a \fB backslash\n`},
				&ucli.StringFlag{Name: "quote", Usage: "'br"},
			},
		}},
	}
	page := CLI(root, meta)
	for _, line := range strings.Split(page, "\n") {
		for _, bad := range []string{".so", ".hidden", ".TH evil", "'br"} {
			if strings.HasPrefix(line, bad) {
				t.Errorf("unescaped request line %q", line)
			}
		}
	}
	for _, want := range []string{`\&.so /etc/passwd.`, `\&.hidden request.`, `A \efB backslash\en.`, `\&'br.`, `C:\epath`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	groffCheck(t, "tool.1", page)
}

func TestReproducible(t *testing.T) {
	if a, b := cliPage(t), cliPage(t); a != b {
		t.Error("two renders of systemd-harden.1 differ")
	}
	if a, b := dhPage(t), dhPage(t); a != b {
		t.Error("two renders of dh_systemd_harden.1 differ")
	}
}

func TestDateFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return v
			}
			return ""
		}
	}
	for in, want := range map[string]string{"": FallbackDate, "0": "1970-01-01", "1764300000": "2025-11-28"} {
		got, err := DateFromEnv(env(in))
		if err != nil || got != want {
			t.Errorf("DateFromEnv(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := DateFromEnv(env("yesterday")); err == nil {
		t.Error("a bad SOURCE_DATE_EPOCH was accepted")
	}
	if p := cliPage(t); !strings.Contains(p, "\n.TH SYSTEMD\\-HARDEN 1 2026-01-02 \"systemd\\-harden 1.2.3\" \"User Commands\"\n") {
		t.Errorf("bad .TH line: %s", strings.SplitN(p, "\n", 3)[1])
	}
}

// groffCheck formats page with groff's strictest warnings and fails on any.
func groffCheck(t *testing.T, name, page string) {
	t.Helper()
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff not installed")
	}
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("groff", "-man", "-ww", "-z", f)
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff -man -ww %s: %v\n%s", name, err, stderr.String())
	}
}

func TestGroffNoWarnings(t *testing.T) {
	groffCheck(t, "systemd-harden.1", cliPage(t))
	groffCheck(t, "dh_systemd_harden.1", dhPage(t))
}
