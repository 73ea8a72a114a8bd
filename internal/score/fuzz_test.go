package score_test

import (
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/score"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// FuzzScore feeds arbitrary unit and drop-in contents through loading,
// settings and assessment: no panic, and every scored unit has all 81
// items and an exposure within 0.0–10.0.
func FuzzScore(f *testing.F) {
	f.Add("[Service]\nExecStart=/bin/true\nDynamicUser=yes\n", "[Service]\nSystemCallFilter=@system-service\n", "foo.service")
	f.Add("[Service]\nExecStart=/bin/x\nCapabilityBoundingSet=~CAP_SYS_ADMIN\nRestrictAddressFamilies=none\n", "[Service]\nRestrictAddressFamilies=~AF_PACKET\n", "a-b@.service")
	f.Add("[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\n", "[Service]\nIPAddressDeny=any\nIPAddressAllow=localhost\n", "x.service")
	var scorers []*score.Scorer
	for _, v := range []int{252, 257} {
		sc, err := score.New(v)
		if err != nil {
			f.Fatal(err)
		}
		scorers = append(scorers, sc)
	}
	f.Fuzz(func(t *testing.T, unit, dropin, name string) {
		if strings.ContainsAny(name, "/\x00") || name == "" {
			return
		}
		for _, sc := range scorers {
			m := tree.NewMemFS()
			m.AddFile("/lib/systemd/system/"+name, []byte(unit))
			m.AddFile("/etc/systemd/system/"+name+".d/x.conf", []byte(dropin))
			us, err := sc.Named(m, name)
			if err != nil {
				t.Fatal(err)
			}
			u := us[0]
			if u.Result == nil {
				continue
			}
			if len(u.Result.Rows) != 81 || u.Result.Exposure > 100 {
				t.Fatalf("bad result: %d rows, exposure %d", len(u.Result.Rows), u.Result.Exposure)
			}
		}
	})
}
