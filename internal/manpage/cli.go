package manpage

import (
	"strings"

	ucli "github.com/urfave/cli/v3"
)

// CLI renders the page of a urfave/cli command tree: root's name and
// usage make NAME, each visible subcommand gets an entry under COMMANDS
// with its own options, and root's options (with --help and --version,
// which urfave/cli adds when it runs) make OPTIONS. The prose sections
// come from prose/<root name>.*.
func CLI(root *ucli.Command, m Meta) string {
	w := &writer{}
	name := root.Name
	w.th(name, "1", m, "User Commands")

	w.req("SH", "NAME")
	w.raw(Escape(name) + ` \- ` + Escape(root.Usage))

	w.req("SH", "SYNOPSIS")
	for i, c := range root.VisibleCommands() {
		if i > 0 {
			w.req("br")
		}
		w.req("B", name)
		synopsisCommand(w, c)
	}
	w.req("br")
	w.req("B", name)
	w.raw(`.RB [ \-\-help | \-\-version ]`)

	w.req("SH", "DESCRIPTION")
	if d := proseText(name + ".description"); d != "" {
		w.raw(d)
	} else {
		w.text(sentence(root.Usage))
	}
	if root.Description != "" {
		w.req("PP")
		w.textPara(root.Description, "PP")
	}

	if cmds := root.VisibleCommands(); len(cmds) > 0 {
		w.req("SH", "COMMANDS")
		for _, c := range cmds {
			command(w, c, "")
		}
	}

	w.req("SH", "OPTIONS")
	w.text("Options of " + name + " itself; --help also works after a command, for that command's help.")
	for _, f := range rootFlags(root) {
		flagEntry(w, f)
	}

	w.section("EXIT STATUS", proseText(name+".exit"))
	w.section("SEE ALSO", proseText(name+".seealso"))
	return w.String()
}

// rootFlags are root's visible flags plus the help and version flags
// urfave/cli adds to it when it runs (Command does not run it).
func rootFlags(root *ucli.Command) []ucli.Flag {
	fs := root.VisibleFlags()
	has := func(n string) bool {
		for _, f := range fs {
			for _, fn := range f.Names() {
				if fn == n {
					return true
				}
			}
		}
		return false
	}
	if !root.HideHelp && !has("help") {
		fs = append(fs, ucli.HelpFlag)
	}
	if root.Version != "" && !root.HideVersion && !has("version") {
		fs = append(fs, ucli.VersionFlag)
	}
	return fs
}

// commandFlags are c's visible flags; --help, which every command has, is
// documented once under OPTIONS.
func commandFlags(c *ucli.Command) []ucli.Flag {
	var out []ucli.Flag
	for _, f := range c.VisibleFlags() {
		if f.Names()[0] == "help" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// synopsisCommand writes "cmd [--flag ARG]... ARGS" for the SYNOPSIS.
func synopsisCommand(w *writer, c *ucli.Command) {
	w.req("B", c.Name)
	if len(commandFlags(c)) > 0 {
		w.raw(`.RI [ options ]`)
	}
	if c.ArgsUsage != "" {
		w.req("I", c.ArgsUsage)
	}
}

// command writes one COMMANDS entry and, indented below it, its options.
func command(w *writer, c *ucli.Command, parent string) {
	full := strings.TrimSpace(parent + " " + c.Name)
	w.req("TP")
	if c.ArgsUsage != "" {
		w.req("BI", full, " "+c.ArgsUsage)
	} else {
		w.req("B", full)
	}
	if len(c.Aliases) > 0 {
		w.text("(also: " + strings.Join(c.Aliases, ", ") + ") ")
	}
	w.textPara(sentence(c.Usage), "IP")
	if c.Description != "" {
		w.req("IP")
		w.textPara(c.Description, "IP")
	}
	if fs := commandFlags(c); len(fs) > 0 {
		w.req("RS")
		for _, f := range fs {
			flagEntry(w, f)
		}
		w.req("RE")
	}
	for _, sub := range c.VisibleCommands() {
		command(w, sub, full)
	}
}

// flagEntry writes ".TP" with the flag's spellings and argument, then its
// usage and default, as --help shows them.
func flagEntry(w *writer, f ucli.Flag) {
	w.req("TP")
	names := f.Names()
	d, _ := f.(ucli.DocGenerationFlag)
	arg := ""
	if d != nil && d.TakesValue() {
		arg = strings.TrimPrefix(d.TypeName(), "[]")
		if arg == "" {
			arg = "value"
		}
	}
	var parts []string
	for _, n := range names {
		dash := "\\-\\-"
		if len(n) == 1 {
			dash = "\\-"
		}
		p := `\fB` + dash + Escape(n) + `\fR`
		if arg != "" {
			p += ` \fI` + Escape(arg) + `\fR`
		}
		parts = append(parts, p)
	}
	w.raw(strings.Join(parts, ", "))
	if d == nil {
		return
	}
	w.textPara(sentence(d.GetUsage()), "IP")
	if def := defaultText(d); def != "" {
		w.text("Default: " + def + ".")
	}
	if mv, ok := f.(ucli.DocGenerationMultiValueFlag); ok && mv.IsMultiValueFlag() && !strings.Contains(d.GetUsage(), "repeatable") {
		w.text("May be given more than once.")
	}
}

// defaultText is the default --help shows, or "" for none worth saying
// (a zero number, false, an empty string).
func defaultText(d ucli.DocGenerationFlag) string {
	if !d.IsDefaultVisible() || !d.TakesValue() {
		return ""
	}
	if t := d.GetDefaultText(); t != "" {
		return t
	}
	switch v := d.GetValue(); v {
	case "", "0", `""`, "[]", "false":
		return ""
	default:
		return v
	}
}

// sentence capitalises the first letter and ends s with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
