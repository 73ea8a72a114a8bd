// Package sdversion models the systemd versions whose offline security
// assessment we reproduce, and finds the one in the build environment.
package sdversion

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// Default is used when no systemd can be found (Debian 12's version).
const Default = 252

// Check refuses versions whose behaviour is not modelled: below 252, and
// 253–256 for which no oracle has been run (Contracts: Target systemd
// version).
func Check(v int) error {
	switch {
	case v == 252, v >= 257:
		return nil
	case v < 252:
		return fmt.Errorf("systemd version %d is not modelled (modelled: 252 and 257 or later)", v)
	default:
		return fmt.Errorf("systemd version %d is not modelled yet (modelled: 252 and 257 or later)", v)
	}
}

// TemplateInstance is the instance systemd-analyze uses for a template
// given as a unit to assess: hard-coded "i" in 252, "test_instance" (the
// --instance= default) from 257 on.
func TemplateInstance(v int) string {
	if v < 257 {
		return "i"
	}
	return "test_instance"
}

// SearchPaths returns the unit directories systemd-analyze --offline reads
// inside --root, highest priority first. Generator and transient
// directories are not among them: offline, systemd puts those in a private
// temporary directory (measured on 252). Packages are evaluated as
// installed on a merged-/usr system, so /lib/systemd/system is searched for
// every version, right after /usr/lib/systemd/system from 257 on (where
// systemd itself only knows /usr/lib) and before it on 252 (where
// SYSTEM_DATA_UNIT_DIR is /lib/systemd/system).
func SearchPaths(v int) []string {
	p := []string{
		"/etc/systemd/system.control",
		"/run/systemd/system.control",
		"/etc/systemd/system",
		"/etc/systemd/system.attached",
		"/run/systemd/system",
		"/run/systemd/system.attached",
		"/usr/local/lib/systemd/system",
	}
	if v < 257 {
		return append(p, "/lib/systemd/system", "/usr/lib/systemd/system")
	}
	return append(p, "/usr/lib/systemd/system", "/lib/systemd/system")
}

var versionRE = regexp.MustCompile(`(?m)^systemd (\d+)`)
var dpkgRE = regexp.MustCompile(`^(?:\d+:)?(\d+)`)

// Detect returns the systemd version of the build environment:
// `systemd-analyze --version`, else the installed package's version
// (dpkg-query, rpm), else Default.
func Detect(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "systemd-analyze", "--version").Output(); err == nil {
		if m := versionRE.FindSubmatch(out); m != nil {
			if v, err := strconv.Atoi(string(m[1])); err == nil {
				return v
			}
		}
	}
	for _, argv := range [][]string{
		{"dpkg-query", "-W", "-f=${Version}", "systemd"},
		{"rpm", "-q", "--qf", "%{VERSION}", "systemd"},
	} {
		if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output(); err == nil {
			if m := dpkgRE.FindSubmatch(out); m != nil {
				if v, err := strconv.Atoi(string(m[1])); err == nil {
					return v
				}
			}
		}
	}
	return Default
}
