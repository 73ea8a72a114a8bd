// Package cli is the systemd-harden command line: a thin layer that parses
// flags, calls the library and prints results. Run is what main and the
// testscript tests call.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v3"

	"github.com/systemd-harden/systemd-harden/internal/sdversion"
)

// Version is the tool's version, set by the build (-ldflags -X).
var Version = "0.1.0"

// Exit statuses (Contracts).
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitInput    = 2
)

// exitError carries an exit status and an optional one-line message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// env is what every command needs: output streams.
type env struct {
	stdout, stderr io.Writer
}

// Run runs the command line args (args[0] is the program name) and returns
// the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := (&env{stdout: stdout, stderr: stderr}).command()
	err := app.Run(ctx, args)
	if err == nil {
		return ExitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.msg != "" {
			fmt.Fprintln(stderr, "systemd-harden: "+xe.msg)
		}
		return xe.code
	}
	// Anything else is a usage error from the flag parser.
	fmt.Fprintln(stderr, "systemd-harden: "+strings.TrimSpace(err.Error()))
	return ExitInput
}

// Command returns the root command, with every subcommand and flag, without
// running it: what the man page generator (internal/manpage) documents, so
// the pages are built from the same definitions as --help. Its output
// streams are discarded.
func Command() *ucli.Command {
	return (&env{stdout: io.Discard, stderr: io.Discard}).command()
}

// command builds the root command; Run and Command share it.
func (e *env) command() *ucli.Command {
	return &ucli.Command{
		Name:                  "systemd-harden",
		Usage:                 "score, check and harden the systemd units a package ships",
		Version:               Version,
		Writer:                e.stdout,
		ErrWriter:             e.stderr,
		HideHelpCommand:       true,
		EnableShellCompletion: true,
		ExitErrHandler:        func(context.Context, *ucli.Command, error) {},
		Commands: []*ucli.Command{
			e.scoreCommand(),
			e.applyCommand(),
			e.checkCommand(),
			e.tiersCommand(),
			e.explainCommand(),
			e.migrateCommand(),
			e.sysvNotesCommand(),
		},
	}
}

// targetVersion returns the systemd version to model: the flag, else the
// build environment's.
func targetVersion(ctx context.Context, flag int) (int, error) {
	v := flag
	if v == 0 {
		v = sdversion.Detect(ctx)
	}
	if err := sdversion.Check(v); err != nil {
		return 0, fail(ExitInput, "%v", err)
	}
	return v, nil
}
