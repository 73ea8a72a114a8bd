package dhopts

import (
	"fmt"
	"os/exec"
	"strings"

	"pault.ag/go/debian/control"
	"pault.ag/go/debian/dependency"
)

// Package is one binary paragraph of debian/control, reduced to what
// package selection needs.
type Package struct {
	Name string
	// Arch is the Architecture field as written ("all", "any",
	// "amd64 arm64", "linux-any", …).
	Arch string
	// Profiles is the Build-Profiles field as written, or "".
	Profiles string
}

// Indep reports whether the package is Architecture: all. Dh_Lib compares
// the whole field with "all", so "all amd64" is arch-dependent.
func (p Package) Indep() bool { return p.Arch == "all" }

// Control is the list of binary packages in debian/control, in file order
// (the first one is the main package for pkgfile lookups).
type Control struct {
	Packages []Package
}

// LoadControl reads the binary packages of a debian/control file.
func LoadControl(path string) (*Control, error) {
	c, err := control.ParseControlFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := &Control{}
	seen := map[string]bool{}
	for _, b := range c.Binaries {
		name := strings.TrimSpace(b.Package)
		if name == "" {
			return nil, fmt.Errorf("%s: a binary paragraph has no Package field", path)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s: duplicate entry for %s", path, name)
		}
		seen[name] = true
		out.Packages = append(out.Packages, Package{
			Name:     name,
			Arch:     strings.Join(strings.Fields(b.Values["Architecture"]), " "),
			Profiles: strings.TrimSpace(b.Values["Build-Profiles"]),
		})
	}
	return out, nil
}

// Host is the architecture packages are built for.
type Host struct {
	Arch string // DEB_HOST_ARCH, e.g. amd64
	OS   string // DEB_HOST_ARCH_OS, e.g. linux
	// Profiles are the active build profiles (DEB_BUILD_PROFILES).
	Profiles []string
	parsed   *dependency.Arch
}

// HostFromEnv finds the host architecture as Dh_Lib does: DEB_HOST_ARCH
// (and DEB_HOST_ARCH_OS) from the environment, which dpkg-buildpackage
// exports, else dpkg-architecture.
func HostFromEnv(getenv func(string) string) (*Host, error) {
	h := &Host{Arch: getenv("DEB_HOST_ARCH"), OS: getenv("DEB_HOST_ARCH_OS"),
		Profiles: strings.Fields(getenv("DEB_BUILD_PROFILES"))}
	if h.Arch == "" {
		out, err := exec.Command("dpkg-architecture", "-qDEB_HOST_ARCH").Output()
		if err != nil {
			return nil, fmt.Errorf("finding the host architecture (DEB_HOST_ARCH is unset): dpkg-architecture: %w", err)
		}
		h.Arch = strings.TrimSpace(string(out))
	}
	if err := h.parse(); err != nil {
		return nil, err
	}
	if h.OS == "" {
		// The Debian tuple table knows the OS of every released arch;
		// asking dpkg-architecture again would cost another process.
		h.OS = h.parsed.OS
	}
	return h, nil
}

func (h *Host) parse() error {
	if h.parsed != nil {
		return nil
	}
	a, err := dependency.ParseArch(h.Arch)
	if err != nil {
		return fmt.Errorf("host architecture %q: %w", h.Arch, err)
	}
	h.parsed = a
	return nil
}

// Matches reports whether an arch-dependent Architecture field names the
// host (exactly or through a wildcard such as linux-any or any-amd64).
func (h *Host) Matches(field string) bool {
	if h.parse() != nil {
		return false
	}
	for _, f := range strings.Fields(field) {
		if f == "any" || f == h.Arch {
			return true
		}
		a, err := dependency.ParseArch(f)
		if err != nil {
			continue
		}
		if h.parsed.Is(a) {
			return true
		}
	}
	return false
}

// profileEnabled evaluates a Build-Profiles formula ("<!nocheck> <stage1
// cross>") against the active profiles: the package is built when any
// <…> group has all its terms true, as Dpkg::BuildProfiles does.
func profileEnabled(formula string, active []string) (bool, error) {
	formula = strings.TrimSpace(formula)
	if formula == "" {
		return true, nil
	}
	on := map[string]bool{}
	for _, p := range active {
		on[p] = true
	}
	any := false
	rest := formula
	for {
		rest = strings.TrimSpace(rest)
		if rest == "" {
			break
		}
		if rest[0] != '<' {
			return false, fmt.Errorf("Build-Profiles %q: expected <", formula)
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return false, fmt.Errorf("Build-Profiles %q: missing >", formula)
		}
		group := strings.Fields(rest[1:end])
		rest = rest[end+1:]
		all := true
		for _, t := range group {
			neg := strings.HasPrefix(t, "!")
			if on[strings.TrimPrefix(t, "!")] == neg {
				all = false
			}
		}
		if all {
			any = true
		}
	}
	return any, nil
}

// packages returns the packages of one type as Dh_Lib's getpackages does:
// "indep" (Architecture: all), "arch" (for the host) or "both", leaving
// out those disabled by the active build profiles; "" lists every package.
func (c *Control) packages(kind string, h *Host) ([]string, error) {
	var out []string
	for _, p := range c.Packages {
		if kind == "" {
			out = append(out, p.Name)
			continue
		}
		ok, err := profileEnabled(p.Profiles, h.Profiles)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
		if !ok {
			continue
		}
		indep := p.Indep()
		switch {
		case indep && (kind == "indep" || kind == "both"):
			out = append(out, p.Name)
		case !indep && (kind == "arch" || kind == "both") && h.Matches(p.Arch):
			out = append(out, p.Name)
		}
	}
	return out, nil
}

func (c *Control) known(name string) bool {
	for _, p := range c.Packages {
		if p.Name == name {
			return true
		}
	}
	return false
}
