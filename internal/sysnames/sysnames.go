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

// Capabilities, Families and Errnos are the tables. They are built on each
// call so no package state is shared; callers keep the result.
func Capabilities() Table { return parse(capsTxt) }
func Families() Table     { return parse(familiesTxt) }
func Errnos() Table       { return parse(errnoTxt) }

// Linux address family numbers the security assessment singles out.
const (
	AFUnix    = 1
	AFInet    = 2
	AFInet6   = 10
	AFNetlink = 16
	AFPacket  = 17
)
