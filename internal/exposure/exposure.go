// Package exposure computes the exposure score of `systemd-analyze
// security` from a unit's effective settings: the same 81 items (items.json,
// extracted from systemd's security_assessor_table[]), weights, ranges,
// N/A rules, rounding and level bands (src/analyze/analyze-security.c).
package exposure

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/syscalls"
	"github.com/systemd-harden/systemd-harden/internal/sysnames"
)

//go:embed items.json
var itemsJSON []byte

// Item is one assessment of the table.
type Item struct {
	Name                    string   `json:"name"`
	JSONField               string   `json:"json_field"`
	Weight                  uint64   `json:"weight"`
	Range                   uint64   `json:"range"`
	Assess                  string   `json:"assess"`
	Field                   string   `json:"field"`
	BadWhenTrue             bool     `json:"bad_when_true"`
	Capabilities            []string `json:"capabilities"`
	Namespace               string   `json:"namespace"`
	SyscallGroup            string   `json:"syscall_group"`
	DefaultDependenciesOnly bool     `json:"default_dependencies_only"`
	DescriptionGood         string   `json:"description_good"`
	DescriptionBad          string   `json:"description_bad"`
	DescriptionNA           string   `json:"description_na"`
}

// Items returns the assessment table in systemd's order.
func Items() ([]Item, error) {
	var items []Item
	if err := json.Unmarshal(itemsJSON, &items); err != nil {
		return nil, fmt.Errorf("embedded items.json: %w", err)
	}
	return items, nil
}

// Row is the assessment of one item for one unit.
type Row struct {
	Item        *Item
	NA          bool
	Badness     uint64
	Description string
	// Exposure is the row's share in tenths (systemd's EXPOSURE column).
	Exposure uint64
}

// Good reports whether the row is fully satisfied (meaningless when NA).
func (r Row) Good() bool { return !r.NA && r.Badness == 0 }

// Result is the assessment of one unit.
type Result struct {
	Rows     []Row
	Exposure uint64 // 0…100, tenths of the printed score
}

// Level returns systemd's name for the exposure band.
func (r Result) Level() string { return Level(r.Exposure) }

// Level maps an exposure in tenths to its band name.
func Level(e uint64) string {
	switch {
	case e >= 100:
		return "DANGEROUS"
	case e >= 90:
		return "UNSAFE"
	case e >= 75:
		return "EXPOSED"
	case e >= 50:
		return "MEDIUM"
	case e >= 10:
		return "OK"
	case e >= 1:
		return "SAFE"
	}
	return "PERFECT"
}

// Format prints an exposure in tenths as systemd does ("9.6").
func Format(e uint64) string { return fmt.Sprintf("%d.%d", e/10, e%10) }

// Scorer assesses units for one systemd version.
type Scorer struct {
	items   []Item
	sc      *syscalls.Table
	capBits map[string]uint
}

// New returns a scorer for the given modelled systemd version.
func New(version int) (*Scorer, error) {
	items, err := Items()
	if err != nil {
		return nil, err
	}
	caps := map[string]uint{}
	for name, n := range sysnames.Capabilities() {
		caps[strings.ToUpper(name)] = uint(n)
	}
	sc := &Scorer{items: items, sc: syscalls.For(version), capBits: caps}
	// Check the embedded table once, so a defect in it is an error here
	// rather than a surprise while scoring.
	probe := &secinfo.Info{}
	for i := range items {
		if err := sc.check(&items[i], probe); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

func (s *Scorer) check(it *Item, probe *secinfo.Info) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("embedded items.json: %v", r)
		}
	}()
	for _, c := range it.Capabilities {
		if _, ok := s.capBits[c]; !ok {
			return fmt.Errorf("embedded items.json: unknown capability %s", c)
		}
	}
	if it.Range == 0 {
		return fmt.Errorf("embedded items.json: %s has range 0", it.JSONField)
	}
	s.assess(it, probe)
	return nil
}

func divRoundUp(a, b uint64) uint64 { return (a + b - 1) / b }

// Assess scores one unit.
func (s *Scorer) Assess(info *secinfo.Info) Result {
	rows := make([]Row, len(s.items))
	var badnessSum, weightSum uint64
	for i := range s.items {
		it := &s.items[i]
		row := Row{Item: it}
		if it.DefaultDependenciesOnly && !info.DefaultDependencies {
			row.NA = true
			row.Description = "Service runs in special boot phase, option is not appropriate"
		} else {
			row.Badness, row.NA, row.Description = s.assess(it, info)
		}
		if !row.NA {
			badnessSum += divRoundUp(row.Badness*it.Weight, it.Range)
			weightSum += it.Weight
		}
		if row.Description == "" {
			switch {
			case row.NA:
				row.Description = it.DescriptionNA
			case row.Badness == it.Range:
				row.Description = it.DescriptionBad
			case row.Badness == 0:
				row.Description = it.DescriptionGood
			}
		}
		rows[i] = row
	}
	for i := range rows {
		if !rows[i].NA && rows[i].Badness > 0 {
			r := &rows[i]
			r.Exposure = divRoundUp(divRoundUp(r.Badness*r.Item.Weight*100, r.Item.Range), weightSum)
		}
	}
	return Result{Rows: rows, Exposure: divRoundUp(badnessSum*100, weightSum)}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// runsPrivileged mirrors security_info_runs_privileged().
func runsPrivileged(i *secinfo.Info) bool {
	if i.User == "0" || i.User == "root" {
		return true
	}
	if i.DynamicUser {
		return false
	}
	return i.User == ""
}

func (s *Scorer) boolField(it *Item, i *secinfo.Info) bool {
	switch it.Field {
	case "private_devices":
		return i.PrivateDevices
	case "private_mounts":
		return i.PrivateMounts
	case "private_network":
		return i.PrivateNetwork
	case "private_tmp":
		return i.PrivateTmp
	case "private_users":
		return i.PrivateUsers
	case "protect_control_groups":
		return i.ProtectControlGroups
	case "protect_kernel_modules":
		return i.ProtectKernelModules
	case "protect_kernel_tunables":
		return i.ProtectKernelTunables
	case "protect_kernel_logs":
		return i.ProtectKernelLogs
	case "protect_clock":
		return i.ProtectClock
	case "protect_hostname":
		return i.ProtectHostname
	case "lock_personality":
		return i.LockPersonality
	case "memory_deny_write_execute":
		return i.MemoryDenyWriteExecute
	case "no_new_privileges":
		return i.NoNewPrivileges
	case "delegate":
		return i.Delegate
	case "restrict_realtime":
		return i.RestrictRealtime
	case "restrict_suid_sgid":
		return i.RestrictSUIDSGID
	case "restrict_address_family_inet":
		return i.RestrictAFInet
	case "restrict_address_family_unix":
		return i.RestrictAFUnix
	case "restrict_address_family_netlink":
		return i.RestrictAFNetlink
	case "restrict_address_family_packet":
		return i.RestrictAFPacket
	case "restrict_address_family_other":
		return i.RestrictAFOther
	}
	panic("exposure: items.json names unknown field " + it.Field) // embedded data defect
}

var namespaceBits = map[string]uint64{
	"user": secinfo.NSUser, "mnt": secinfo.NSMnt, "ipc": secinfo.NSIPC, "pid": secinfo.NSPid,
	"cgroup": secinfo.NSCgroup, "net": secinfo.NSNet, "uts": secinfo.NSUTS,
}

// assess returns badness, whether the item is N/A, and a dynamic
// description ("" to use the table's).
func (s *Scorer) assess(it *Item, i *secinfo.Info) (uint64, bool, string) {
	switch it.Assess {
	case "bool":
		v := s.boolField(it, i)
		if it.BadWhenTrue {
			return b2u(v), false, ""
		}
		return b2u(!v), false, ""
	case "user":
		switch {
		case i.User == "nobody":
			return 9, false, "Service runs under as 'nobody' user, which should not be used for services"
		case i.DynamicUser && i.User != "0" && i.User != "root":
			return 0, false, "Service runs under a transient non-root user identity"
		case i.User != "" && i.User != "0" && i.User != "root":
			return 0, false, "Service runs under a static non-root user identity"
		}
		return 10, false, ""
	case "supplementary_groups":
		if runsPrivileged(i) {
			return 0, true, ""
		}
		return b2u(len(i.SupplementaryGroups) > 0), false, ""
	case "remove_ipc":
		if runsPrivileged(i) {
			return 0, true, ""
		}
		return b2u(!i.RemoveIPC), false, ""
	case "protect_home":
		switch i.ProtectHome {
		case "yes":
			return 0, false, "Service has no access to home directories"
		case "read-only":
			return 5, false, "Service has read-only access to home directories"
		case "tmpfs":
			return 1, false, "Service has access to fake empty home directories"
		}
		return 10, false, "Service has full access to home directories"
	case "protect_system":
		switch i.ProtectSystem {
		case "yes":
			return 5, false, "Service has limited write access to the OS file hierarchy"
		case "full":
			return 3, false, "Service has very limited write access to the OS file hierarchy"
		case "strict":
			return 0, false, "Service has strict read-only access to the OS file hierarchy"
		}
		return 10, false, "Service has full access to the OS file hierarchy"
	case "root_directory":
		emptyOrRoot := func(p string) bool { return p == "" || p == "/" }
		return b2u(emptyOrRoot(i.RootDirectory) && emptyOrRoot(i.RootImage)), false, ""
	case "capability_bounding_set":
		var mask uint64
		for _, c := range it.Capabilities {
			mask |= 1 << s.capBits[c]
		}
		return b2u(i.CapabilityBoundingSet&mask != 0), false, ""
	case "umask":
		m := i.UMask
		switch {
		case m&0o002 == 0:
			return 10, false, "Files created by service are world-writable by default"
		case m&0o004 == 0:
			return 5, false, "Files created by service are world-readable by default"
		case m&0o020 == 0:
			return 2, false, "Files created by service are group-writable by default"
		case m&0o040 == 0:
			return 1, false, "Files created by service are group-readable by default"
		}
		return 0, false, "Files created by service are accessible only by service's own user by default"
	case "keyring_mode":
		return b2u(i.KeyringMode != "private"), false, ""
	case "protect_proc":
		switch i.ProtectProc {
		case "noaccess":
			return 1, false, ""
		case "invisible", "ptraceable":
			return 0, false, ""
		}
		return 3, false, ""
	case "proc_subset":
		return b2u(i.ProcSubset != "pid"), false, ""
	case "notify_access":
		return b2u(i.NotifyAccess == "all"), false, ""
	case "restrict_namespaces":
		return b2u(i.RestrictNamespaces&namespaceBits[it.Namespace] != 0), false, ""
	case "system_call_architectures":
		switch {
		case len(i.SystemCallArchitectures) == 0:
			return 10, false, "Service may execute system calls with all ABIs"
		case len(i.SystemCallArchitectures) == 1 && i.SystemCallArchitectures[0] == "native":
			return 0, false, "Service may execute system calls only with native ABI"
		}
		return 8, false, "Service may execute system calls with multiple ABIs"
	case "system_call_filter":
		return s.syscallFilter(it, i)
	case "ip_address_allow":
		switch {
		case i.IPFiltersCustomIngress || i.IPFiltersCustomEgress:
			return 0, false, "Service defines custom ingress/egress IP filters with BPF programs"
		case !i.IPAddressDenyAll:
			return 10, false, "Service does not define an IP address allow list"
		case i.IPAddressAllowOther:
			return 5, false, "Service defines IP address allow list with non-localhost entries"
		case i.IPAddressAllowLocal:
			return 2, false, "Service defines IP address allow list with only localhost entries"
		}
		return 0, false, "Service blocks all IP address ranges"
	case "device_allow":
		if i.DevicePolicy == "strict" || i.DevicePolicy == "closed" {
			if len(i.DeviceAllow) > 0 {
				return 5, false, "Service has a device ACL with some special devices: " + strings.Join(i.DeviceAllow, " ")
			}
			return 0, false, "Service has a minimal device ACL"
		}
		return 10, false, "Service has no device ACL"
	case "ambient_capabilities":
		return b2u(i.AmbientCapabilities != 0), false, ""
	}
	panic("exposure: items.json names unknown assessment " + it.Assess) // embedded data defect
}

// inFilter mirrors syscall_names_in_filter(): true (bad) when a system
// call of the group that exists on this architecture is allowed.
func (s *Scorer) inFilter(set syscalls.Set, allowList bool, group string) (bool, string) {
	members, _ := s.sc.Expanded(group)
	for _, m := range members {
		if !s.sc.IsNative(m) {
			continue
		}
		if (set != nil && set.Has(m)) == allowList {
			return true, s.sc.Name(m)
		}
	}
	return false, ""
}

func (s *Scorer) syscallFilter(it *Item, i *secinfo.Info) (uint64, bool, string) {
	g := it.SyscallGroup
	if !i.SystemCallFilterAllow && (i.SystemCallFilter == nil || i.SystemCallFilter.Empty()) {
		return 10, false, "Service does not filter system calls"
	}
	bad, off := s.inFilter(i.SystemCallFilter, i.SystemCallFilterAllow, g)
	switch {
	case i.SystemCallFilterAllow && bad:
		return 9, false, fmt.Sprintf("System call allow list defined for service, and %s is included (e.g. %s is allowed)", g, off)
	case i.SystemCallFilterAllow:
		return 0, false, fmt.Sprintf("System call allow list defined for service, and %s is not included", g)
	case bad:
		return 10, false, fmt.Sprintf("System call deny list defined for service, and %s is not included (e.g. %s is allowed)", g, off)
	}
	return 0, false, fmt.Sprintf("System call deny list defined for service, and %s is included", g)
}
