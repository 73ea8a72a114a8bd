// Command dh_systemd_harden is the debhelper face of systemd-harden: dh
// runs it after dh_installsystemd (through the systemd-harden add-on) to
// write hardening drop-ins into debian/<pkg>/. All work happens in
// internal/dhrun and internal/dhopts; this only wires the process.
package main

import (
	"context"
	"os"

	"github.com/systemd-harden/systemd-harden/internal/dhrun"
)

func main() {
	os.Exit(dhrun.Run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
