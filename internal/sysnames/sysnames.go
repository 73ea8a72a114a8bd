// Package sysnames maps the symbolic names systemd's unit parser accepts
// (capabilities, address families, errno names) to numbers. The tables are
// generated the way systemd's build generates its own (see each file's
// header), for Debian 12 amd64.
package sysnames

import (
	"bufio"
	_ "embed"
	"strconv"
	"strings"
	"sync"
)

//go:embed caps.txt
var capsTxt string

//go:embed families.txt
var familiesTxt string

//go:embed errno.txt
var errnoTxt string

// Table is a case-insensitive name → number map.
type Table map[string]int

func parse(s string) Table {
	t := Table{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if n, err := strconv.Atoi(f[1]); err == nil {
			t[strings.ToLower(f[0])] = n
		}
	}
	return t
}

// Lookup finds name ignoring case, as systemd's gperf tables do.
func (t Table) Lookup(name string) (int, bool) {
	n, ok := t[strings.ToLower(name)]
	return n, ok
}

// The tables are parsed once, on first use, and never modified after;
// callers must not modify them either.
var (
	capabilities = sync.OnceValue(func() Table { return parse(capsTxt) })
	families     = sync.OnceValue(func() Table { return parse(familiesTxt) })
	errnos       = sync.OnceValue(func() Table { return parse(errnoTxt) })
)

// Capabilities maps capability names to numbers.
func Capabilities() Table { return capabilities() }

// Families maps address family names to numbers.
func Families() Table { return families() }

// Errnos maps errno names to numbers.
func Errnos() Table { return errnos() }

// Linux address family numbers the security assessment singles out.
const (
	AFUnix    = 1
	AFInet    = 2
	AFInet6   = 10
	AFNetlink = 16
	AFPacket  = 17
)
