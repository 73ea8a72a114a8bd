package signals

import (
	"path"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
)

// execLine is one Exec*= assignment and the programs it runs.
type execLine struct {
	assign
	cmds []invocation
	// unsandboxed: every command has the "+" prefix, which runs it with
	// full privileges and without the file-system namespacing, seccomp and
	// capability settings, so nothing a tier adds can break it.
	unsandboxed bool
}

// invocation is a program run by a command line, with its arguments.
// One Exec*= line yields several: each command of a "sh -c" script, and
// the programs behind wrappers (env, nice, sudo, …) as well as the
// wrappers themselves.
type invocation struct {
	prog string
	args []string
}

// maxScriptDepth bounds nested "sh -c" scripts.
const maxScriptDepth = 4

// parseExec splits an Exec*= value into the programs it runs. It follows
// systemd's command-line syntax closely enough for a heuristic: words are
// unquoted, a lone ";" separates commands, the "@-:+!" prefixes are
// dropped; a shell's -c script is split on the shell's separators.
func parseExec(v string) (out []invocation, unsandboxed bool) {
	unsandboxed = true
	n := 0
	for _, cmd := range splitOn(words(v, false), ";") {
		if len(cmd) == 0 {
			continue
		}
		n++
		prefix := cmd[0][:len(cmd[0])-len(strings.TrimLeft(cmd[0], "@-:+!|"))]
		unsandboxed = unsandboxed && strings.Contains(prefix, "+")
		first := strings.TrimLeft(cmd[0], "@-:+!|")
		at := strings.HasPrefix(strings.TrimLeft(cmd[0], "-:+!|"), "@")
		cmd = append([]string{first}, cmd[1:]...)
		if at && len(cmd) > 1 {
			// "@/bin/foo argv0 args": the second word is only argv[0].
			cmd = append([]string{first}, cmd[2:]...)
		}
		out = appendCommand(out, cmd, 0)
	}
	return out, unsandboxed && n > 0
}

// shells run their -c argument as a script.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "busybox": true, "su": true}

// wrappers run the rest of their arguments as a command; shellWords are
// reserved words after which a command follows.
var wrappers = map[string]bool{
	"env": true, "exec": true, "nice": true, "ionice": true, "nohup": true, "timeout": true,
	"chrt": true, "taskset": true, "sudo": true, "doas": true, "runuser": true, "setpriv": true,
	"stdbuf": true, "flock": true, "xargs": true, "command": true, "builtin": true, "time": true,
	"systemd-cat": true, "setsid": true, "unbuffer": true, "chpst": true, "systemd-inhibit": true,
	"if": true, "then": true, "else": true, "elif": true, "do": true, "while": true, "until": true, "!": true, "{": true,
}

// wrapperArg lists a wrapper's options that take a separate value, so the
// value is not taken for the program.
var wrapperArg = map[string]map[string]bool{
	"sudo":            {"-u": true, "-g": true, "-C": true, "-D": true, "-h": true, "-p": true, "-r": true, "-t": true, "-U": true},
	"runuser":         {"-u": true, "-g": true, "-G": true, "-s": true, "-c": true, "--user": true, "--group": true},
	"nice":            {"-n": true, "--adjustment": true},
	"ionice":          {"-c": true, "-n": true, "-p": true, "--class": true, "--classdata": true},
	"taskset":         {"-c": true},
	"systemd-inhibit": {"--what": true, "--who": true, "--why": true, "--mode": true},
	"chrt":            {"-p": true},
	"env":             {"-u": true, "-C": true, "-S": true, "--unset": true, "--chdir": true},
	"setpriv":         {"--reuid": true, "--regid": true, "--groups": true, "--inh-caps": true, "--ambient-caps": true, "--bounding-set": true},
	"stdbuf":          {"-i": true, "-o": true, "-e": true},
	"chpst":           {"-u": true, "-U": true},
	"xargs":           {"-n": true, "-I": true, "-P": true, "-d": true, "-L": true, "-s": true, "-E": true},
	"flock":           {"-w": true, "-E": true, "--timeout": true, "-c": true},
	"systemd-cat":     {"-t": true, "-p": true, "--identifier": true, "--priority": true},
}

// appendCommand records cmd's program and, through wrappers and shell
// scripts, the programs it runs in turn.
func appendCommand(out []invocation, cmd []string, depth int) []invocation {
	// Leading environment assignments (VAR=x prog) are not programs.
	for len(cmd) > 0 && isAssignment(cmd[0]) {
		cmd = cmd[1:]
	}
	if len(cmd) == 0 || depth > maxScriptDepth {
		return out
	}
	prog, args := cmd[0], cmd[1:]
	base := path.Base(prog)
	out = append(out, invocation{prog: prog, args: args})
	if shells[base] {
		for i, a := range args {
			if a == "-c" && i+1 < len(args) {
				for _, sc := range splitScript(args[i+1]) {
					out = appendCommand(out, sc, depth+1)
				}
				return out
			}
		}
		if base != "busybox" {
			return out
		}
	}
	if interpreter(base) {
		// "python3 /usr/bin/supervisord": the script is the program run;
		// code given inline (-c, -m, -e) names none.
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "-c" || a == "-m" || a == "-e" || a == "-E":
				return out
			case a == "-W" || a == "-X" || a == "-I" || a == "-M":
				i++
			case strings.HasPrefix(a, "-"):
			default:
				return appendCommand(out, args[i:], depth+1)
			}
		}
		return out
	}
	if !wrappers[base] && base != "busybox" && base != "start-stop-daemon" {
		return out
	}
	if base == "start-stop-daemon" {
		// The daemon it starts follows --exec/--startas/-x/-a, or "--".
		for i := 0; i < len(args); i++ {
			a := args[i]
			if (a == "--exec" || a == "-x" || a == "--startas" || a == "-a") && i+1 < len(args) {
				out = append(out, invocation{prog: args[i+1], args: afterDashes(args[i+2:])})
			} else if v, ok := strings.CutPrefix(a, "--exec="); ok {
				out = append(out, invocation{prog: v, args: afterDashes(args[i+1:])})
			}
		}
		return out
	}
	skip := wrapperArg[base]
	numeric := base == "nice" || base == "timeout" || base == "chrt" || base == "taskset" || base == "flock"
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return appendCommand(out, args[i+1:], depth+1)
		case strings.HasPrefix(a, "-"):
			if skip[a] {
				i++
			}
			continue
		case isAssignment(a):
			continue
		case numeric && looksNumeric(a):
			continue
		case base == "flock" && i == firstNonOption(args):
			continue // the lock file
		}
		return appendCommand(out, args[i:], depth+1)
	}
	return out
}

// interpreter reports whether a program runs a script given as its first
// argument (python3, perl, ruby; versioned names included).
func interpreter(base string) bool {
	for _, p := range []string{"python", "perl", "ruby"} {
		if rest, ok := strings.CutPrefix(base, p); ok && strings.Trim(rest, "0123456789.") == "" {
			return true
		}
	}
	return false
}

func afterDashes(args []string) []string {
	for i, a := range args {
		if a == "--" {
			return args[i+1:]
		}
	}
	return nil
}

func firstNonOption(args []string) int {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			return i
		}
	}
	return -1
}

func isAssignment(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 || strings.HasPrefix(w, "-") {
		return false
	}
	for _, r := range w[:i] {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func looksNumeric(w string) bool {
	w = strings.TrimRight(w, "smhd")
	if w == "" {
		return false
	}
	for _, r := range w {
		if !(r >= '0' && r <= '9' || r == '.' || r == ',' || r == '-') {
			return false
		}
	}
	return true
}

func splitOn(ws []string, sep string) [][]string {
	var out [][]string
	cur := []string{}
	for _, w := range ws {
		if w == sep {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, w)
	}
	return append(out, cur)
}

// sepWord marks a shell separator in the word list from words(…, true).
const sepWord = "\x00;"

// splitScript splits a shell script into simple commands.
func splitScript(s string) [][]string {
	var out [][]string
	for _, c := range splitOn(words(s, true), sepWord) {
		if len(c) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// words splits s into words, removing quotes and backslash escapes. With
// shell set, the shell's command separators (; & | ( ) ` newline, "$(")
// become sepWord and redirections (">", "<") become their own words, so a
// redirection's target is an argument.
func words(s string, shell bool) []string {
	var out []string
	var b strings.Builder
	in := false // a word is being built (possibly empty, from quotes)
	flush := func() {
		if in {
			out = append(out, b.String())
		}
		b.Reset()
		in = false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r' || (ch == '\n' && !shell):
			flush()
		case ch == '\\' && i+1 < len(s):
			i++
			if s[i] == '\n' {
				continue
			}
			b.WriteByte(s[i])
			in = true
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				b.WriteString(s[i+1:])
				i = len(s)
			} else {
				b.WriteString(s[i+1 : i+1+j])
				i += j + 1
			}
			in = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			in = true
		case shell && (ch == ';' || ch == '&' || ch == '|' || ch == '(' || ch == ')' || ch == '`' || ch == '\n'):
			flush()
			out = append(out, sepWord)
		case shell && ch == '$' && i+1 < len(s) && s[i+1] == '(':
			flush()
			out = append(out, sepWord)
			i++
		case shell && (ch == '>' || ch == '<'):
			flush()
			op := string(ch)
			for i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '&') {
				i++
				op += string(s[i])
			}
			out = append(out, op)
		default:
			b.WriteByte(ch)
			in = true
		}
	}
	flush()
	return out
}

// progMatcher decides whether an invocation runs a program of interest.
type progMatcher struct {
	pattern string                   // glob on the program's base name
	args    func(args []string) bool // nil: any arguments
	// command: only a program the line runs counts, not one named by an
	// argument (the path fallback of execRuns): for signals that rule
	// out much, "python3 /usr/lib/foo/cron" or "test -x /usr/sbin/smartctl"
	// is no evidence.
	command bool
}

func progs(patterns ...string) []progMatcher {
	out := make([]progMatcher, len(patterns))
	for i, p := range patterns {
		out[i] = progMatcher{pattern: p}
	}
	return out
}

// commands is progs for programs that count only when run.
func commands(patterns ...string) []progMatcher {
	out := progs(patterns...)
	for i := range out {
		out[i].command = true
	}
	return out
}

func (m progMatcher) match(inv invocation) bool {
	ok, _ := path.Match(m.pattern, path.Base(inv.prog))
	return ok && (m.args == nil || m.args(inv.args))
}

// binPath reports whether an absolute path names a program by its place:
// a bin or sbin directory, or a package's private lib/libexec directory.
func binPath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	d := path.Dir(p)
	if strings.Contains(path.Base(d), "bin") {
		return true
	}
	for _, pre := range []string{"/usr/lib/", "/usr/libexec/", "/lib/", "/usr/local/lib/", "/opt/"} {
		if strings.HasPrefix(d+"/", pre) {
			return true
		}
	}
	return false
}

// execRuns returns the sandboxed Exec*= lines (of the given keys; all
// when none) that run one of the programs: as a command, behind a wrapper or in a
// shell script, or named by an absolute bin path among the arguments
// ("--mailer=/usr/sbin/sendmail", start-stop-daemon --exec).
func (c *ctx) execRuns(keys []string, ms ...progMatcher) []finding.Evidence {
	var out []finding.Evidence
	for _, e := range c.execs {
		if e.unsandboxed || len(keys) > 0 && !contains(keys, e.a.Key) {
			continue
		}
		if e.runs(ms) {
			out = append(out, e.evidence())
		}
	}
	return out
}

func (e execLine) runs(ms []progMatcher) bool {
	for _, inv := range e.cmds {
		for _, m := range ms {
			if m.match(inv) {
				return true
			}
		}
		if len(ms) == 0 {
			continue
		}
		for _, a := range inv.args {
			if i := strings.IndexByte(a, '='); i >= 0 && strings.HasPrefix(a, "-") {
				a = a[i+1:]
			}
			if !binPath(a) {
				continue
			}
			for _, m := range ms {
				if m.args == nil && !m.command && m.match(invocation{prog: a}) {
					return true
				}
			}
		}
	}
	return false
}

// execMentions returns the sandboxed Exec*= lines whose text satisfies f.
func (c *ctx) execMentions(f func(v string) bool) []finding.Evidence {
	var out []finding.Evidence
	for _, e := range c.execs {
		if !e.unsandboxed && f(c.expand(e.a.Value)) {
			out = append(out, e.evidence())
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
