// Package directives knows which [Unit], [Service] and [Install] keys each
// modelled systemd version accepts (data/, extracted from systemd's
// load-fragment-gperf.gperf.in). systemd ignores an unknown key with a
// warning, so a protection written for a newer systemd fails open on an
// older one.
package directives

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
)

//go:embed data/directives-252.txt
var d252 string

//go:embed data/directives-257.txt
var d257 string

type set map[string]bool

func parse(s string) set {
	out := set{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			out[f[0]+"."+f[1]] = true
		}
	}
	return out
}

var (
	known252 = sync.OnceValue(func() set { return parse(d252) })
	known257 = sync.OnceValue(func() set { return parse(d257) })
)

// Known reports whether systemd version v accepts key in section. Keys
// starting with "X-" are always accepted, as systemd does.
func Known(v int, section, key string) bool {
	if strings.HasPrefix(key, "X-") {
		return true
	}
	if v < 257 {
		return known252()[section+"."+key]
	}
	return known257()[section+"."+key]
}
