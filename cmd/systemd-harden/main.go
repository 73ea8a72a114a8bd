// Command systemd-harden scores, checks and hardens the systemd units that
// a package ships. All work happens in internal/; this only wires the
// process to internal/cli.
package main

import (
	"context"
	"os"

	"github.com/systemd-harden/systemd-harden/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args, os.Stdout, os.Stderr))
}
