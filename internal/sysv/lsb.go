package sysv

import (
	"bufio"
	"bytes"
	"strings"
)

// LSB is the LSB keyword section of an init script ("### BEGIN INIT INFO"
// … "### END INIT INFO"), the header insserv, update-rc.d and
// systemd-sysv-generator read.
type LSB struct {
	Present          bool // the section exists
	Terminated       bool // it has an END INIT INFO line
	Provides         []string
	RequiredStart    []string
	RequiredStop     []string
	ShouldStart      []string
	ShouldStop       []string
	DefaultStart     []string
	DefaultStop      []string
	ShortDescription string
	Description      string
	// Problems are the header defects lintian reports, as short phrases
	// ("duplicate keyword Provides"), in file order.
	Problems []string
}

// maxHeaderLines bounds how far into a script the header is looked for:
// the LSB section sits at the top, and a hostile script cannot make the
// parser read megabytes of lines for it.
const maxHeaderLines = 400

// ParseLSB reads the LSB section of an init script. It never fails: a
// script without a section gives Present false, a broken one Problems.
func ParseLSB(data []byte) LSB {
	var h LSB
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	in := false
	seen := map[string]bool{}
	last := "" // keyword a "#  " continuation line extends (Description)
	for n := 0; sc.Scan() && n < maxHeaderLines; n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case line == "### BEGIN INIT INFO":
			if h.Present {
				h.Problems = append(h.Problems, "duplicate LSB section")
				return h
			}
			h.Present, in = true, true
			continue
		case line == "### END INIT INFO":
			// Keep reading: a second section further down is a defect
			// lintian reports.
			if in {
				h.Terminated, in = true, false
			}
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			// insserv stops at the first non-comment line.
			h.Problems = append(h.Problems, "unterminated LSB section")
			return h
		}
		body := strings.TrimPrefix(line, "#")
		// Description continues on lines starting with "#" plus a tab or
		// at least two spaces (LSB 3.1, "Comment Conventions").
		if last == "Description" && (strings.HasPrefix(body, "\t") || strings.HasPrefix(body, "  ")) {
			h.Description += " " + strings.TrimSpace(body)
			continue
		}
		key, val, ok := strings.Cut(strings.TrimSpace(body), ":")
		if !ok {
			if strings.TrimSpace(body) != "" {
				h.Problems = append(h.Problems, "bad LSB line "+strings.TrimSpace(body))
			}
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if seen[strings.ToLower(key)] {
			h.Problems = append(h.Problems, "duplicate keyword "+key)
		}
		seen[strings.ToLower(key)] = true
		last = key
		switch strings.ToLower(key) {
		case "provides":
			h.Provides = strings.Fields(val)
		case "required-start":
			h.RequiredStart = strings.Fields(val)
		case "required-stop":
			h.RequiredStop = strings.Fields(val)
		case "should-start":
			h.ShouldStart = strings.Fields(val)
		case "should-stop":
			h.ShouldStop = strings.Fields(val)
		case "default-start":
			h.DefaultStart = strings.Fields(val)
		case "default-stop":
			h.DefaultStop = strings.Fields(val)
		case "short-description":
			h.ShortDescription = val
		case "description":
			h.Description = val
		default:
			if !strings.HasPrefix(key, "X-") {
				h.Problems = append(h.Problems, "unknown keyword "+key)
			}
		}
	}
	if in {
		h.Problems = append(h.Problems, "unterminated LSB section")
	}
	return h
}
