package cli

import (
	"context"
	"fmt"
	"os"

	ucli "github.com/urfave/cli/v3"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/source"
	"github.com/systemd-harden/systemd-harden/internal/sysv"
	"github.com/systemd-harden/systemd-harden/internal/sysvmigrate"
)

// migrateCommand is `migrate-sysv`: drop the SysV init scripts of a
// Debian source tree whose units replace them. The work is in
// internal/sysvmigrate; this only maps its results to output and exit
// statuses.
func (e *env) migrateCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "migrate-sysv",
		Usage:     "drop the SysV init scripts of a Debian source tree (a unified diff; --apply makes the change)",
		ArgsUsage: "SOURCE_DIR",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "apply", Usage: "change the tree (all or nothing) instead of printing the diff only"},
			&ucli.StringFlag{Name: "version", Usage: "first version without the scripts (default: the top changelog entry when UNRELEASED)"},
			&ucli.BoolFlag{Name: "changelog", Usage: "add the change to an UNRELEASED debian/changelog entry"},
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if cmd.NArg() != 1 {
				return fail(ExitInput, "migrate-sysv: exactly one SOURCE_DIR expected, got %d", cmd.NArg())
			}
			dir := cmd.Args().First()
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return fail(ExitInput, "%s: not a directory", dir)
			}
			r, err := sysvmigrate.Plan(dir, sysvmigrate.Options{Version: cmd.String("version"), Changelog: cmd.Bool("changelog")})
			if err != nil {
				// Unparsable packaging files and unreadable trees alike:
				// nothing was written (Contracts: status 2).
				return fail(ExitInput, "%s: %v", dir, err)
			}
			for _, u := range r.Upstream {
				fmt.Fprintf(e.stderr, "systemd-harden: %s: installs an init script from the upstream build; not edited: remove the install rule (or delete the file from debian/tmp before dh_installinit runs) and add the rm_conffile line and postinst guard by hand\n", u)
			}
			if len(r.Blockers) > 0 {
				for _, b := range r.Blockers {
					fmt.Fprintf(e.stdout, "W: %s: sysv-init-script-without-unit %s %s has no unit (debian/%s.service, or %s in the source tree)\n",
						b.Package, b.Unit, b.Script, b.Package, b.Unit)
				}
				return fail(ExitFindings, "")
			}
			for _, n := range r.Notes {
				fmt.Fprintf(e.stderr, "systemd-harden: %s\n", n)
			}
			if len(r.Changes) == 0 {
				fmt.Fprintf(e.stderr, "systemd-harden: %s: no debian/<pkg>.init to drop\n", dir)
				return nil
			}
			if _, err := e.stdout.Write(r.Diff()); err != nil {
				return fail(ExitInput, "writing output: %v", err)
			}
			if cmd.Bool("apply") {
				if err := r.Apply(dir); err != nil {
					return fail(ExitInput, "%s: nothing changed: %v", dir, err)
				}
			}
			return nil
		},
	}
}

// sysvNotesCommand is `sysv-notes`: the migration notes (what dropping the
// init scripts takes) for packages and staging trees.
func (e *env) sysvNotesCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "sysv-notes",
		Usage:     "print what dropping the SysV init scripts of packages takes (Markdown or JSON lines)",
		ArgsUsage: "TARGET...",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or json"},
			&ucli.StringFlag{Name: "next-version", Usage: "first version without the scripts (default: the placeholder " + sysvmigrate.NextVersion + ")"},
			&ucli.IntFlag{Name: "systemd-version", Usage: "systemd version to target (default: the installed one, else 252)"},
			&ucli.StringFlag{Name: "xz", Usage: "how to decompress xz: auto, go or exec"},
		},
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			format := cmd.String("format")
			if format != "markdown" && format != "json" {
				return fail(ExitInput, "--format: %q is not markdown or json", format)
			}
			if cmd.NArg() == 0 {
				return fail(ExitInput, "sysv-notes: no TARGET")
			}
			version, err := targetVersion(ctx, cmd.Int("systemd-version"))
			if err != nil {
				return err
			}
			xzm, err := decompress.ParseMethod(cmd.String("xz"))
			if err != nil {
				return fail(ExitInput, "--xz: %v", err)
			}
			var notes []sysvmigrate.Note
			migratable := true
			for _, target := range cmd.Args().Slice() {
				pkg, err := source.Open(ctx, target, source.Options{XZ: xzm})
				if err != nil {
					return fail(ExitInput, "%v", err)
				}
				if pkg.Format == pkgmodel.Dir {
					if err := source.WalkEntries(pkg); err != nil {
						return fail(ExitInput, "%v", err)
					}
				}
				scripts, err := sysv.Find(pkg, version)
				if err != nil {
					return fail(ExitInput, "%s: %v", target, err)
				}
				n := sysvmigrate.NewNote(pkg, scripts, cmd.String("next-version"))
				migratable = migratable && n.Migratable
				notes = append(notes, n)
			}
			if format == "json" {
				err = sysvmigrate.WriteJSON(e.stdout, notes)
			} else {
				err = sysvmigrate.WriteMarkdown(e.stdout, notes)
			}
			if err != nil {
				return fail(ExitInput, "%v", err)
			}
			// As for migrate-sysv: a script without a unit cannot be
			// dropped yet, and the notes say why.
			if !migratable {
				return fail(ExitFindings, "")
			}
			return nil
		},
	}
}
