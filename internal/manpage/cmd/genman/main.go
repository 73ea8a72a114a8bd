// Command genman writes the man pages systemd-harden.1 and
// dh_systemd_harden.1 into a directory, generated from the commands' own
// definitions (see internal/manpage). debian/rules runs it at build time:
//
//	go run ./internal/manpage/cmd/genman -o debian/_build/man -version 0.1.0
//
// The date is SOURCE_DATE_EPOCH's, else a fixed one: the output is the
// same bytes on every run.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/systemd-harden/systemd-harden/internal/cli"
	"github.com/systemd-harden/systemd-harden/internal/dhopts"
	"github.com/systemd-harden/systemd-harden/internal/manpage"
)

func main() {
	out := flag.String("o", "", "output directory (created if missing)")
	version := flag.String("version", cli.Version, "version for the pages' header")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: genman -o DIR [-version V]")
		os.Exit(2)
	}
	if err := run(*out, *version); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}

func run(dir, version string) error {
	m, err := manpage.DefaultMeta(version)
	if err != nil {
		return err
	}
	// The root command carries the version --version prints.
	cli.Version = version
	dh, err := manpage.DH(dhopts.OptionTable(), m)
	if err != nil {
		return err
	}
	pages := map[string]string{
		"systemd-harden.1":    manpage.CLI(cli.Command(), m),
		manpage.DHName + ".1": dh,
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, text := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
