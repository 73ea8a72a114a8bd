package exposure

import (
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/secinfo"
)

func TestItemsTable(t *testing.T) {
	items, err := Items()
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 81 {
		t.Fatalf("%d items, want 81", len(items))
	}
	var sum uint64
	seen := map[string]bool{}
	for _, it := range items {
		sum += it.Weight
		if seen[it.JSONField] {
			t.Errorf("duplicate json_field %s", it.JSONField)
		}
		seen[it.JSONField] = true
	}
	// systemd's weight sum (notes/systemd-analyze.md §1).
	if sum != 56460 {
		t.Errorf("weight sum %d, want 56460", sum)
	}
	// The json_field whose name ends in ")" is systemd's, kept as is.
	if !seen["CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)"] {
		t.Error("the CAP_NET json_field with its trailing ')' is missing")
	}
}

func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		e    uint64
		want string
	}{{100, "DANGEROUS"}, {99, "UNSAFE"}, {90, "UNSAFE"}, {89, "EXPOSED"}, {75, "EXPOSED"}, {74, "MEDIUM"},
		{50, "MEDIUM"}, {49, "OK"}, {10, "OK"}, {9, "SAFE"}, {1, "SAFE"}, {0, "PERFECT"}} {
		if got := Level(tc.e); got != tc.want {
			t.Errorf("Level(%d) = %s, want %s", tc.e, got, tc.want)
		}
	}
	if Format(96) != "9.6" || Format(0) != "0.0" || Format(100) != "10.0" {
		t.Error("Format")
	}
}

// TestRootVersusUser checks the N/A rules and the weight sums they imply:
// a root service leaves SupplementaryGroups= and RemoveIPC= out.
func TestRootVersusUser(t *testing.T) {
	s, err := New(252)
	if err != nil {
		t.Fatal(err)
	}
	base := secinfo.Info{DefaultDependencies: true, CapabilityBoundingSet: ^uint64(0), KeyringMode: "private",
		ProtectProc: "default", ProcSubset: "all", ProtectHome: "no", ProtectSystem: "no",
		RestrictNamespaces: ^uint64(0), DevicePolicy: "auto", UMask: 0o022, NotifyAccess: "none"}
	root := base
	r := s.Assess(&root)
	na := 0
	for _, row := range r.Rows {
		if row.NA {
			na++
		}
	}
	if na != 2 || r.Exposure != 96 {
		t.Errorf("root: %d n/a rows, exposure %d; want 2 and 96", na, r.Exposure)
	}
	user := base
	user.User = "svc"
	if r := s.Assess(&user); r.Exposure != 92 {
		t.Errorf("static user: exposure %d, want 92", r.Exposure)
	}
	nobody := base
	nobody.User = "nobody"
	r = s.Assess(&nobody)
	if r.Rows[0].Badness != 9 {
		t.Errorf("nobody: badness %d, want 9", r.Rows[0].Badness)
	}
}
