// Package secinfo computes the effective security settings of a service
// unit from its fragment and drop-ins, as systemd's unit loader does for
// `systemd-analyze security --offline` (src/core/load-fragment.c, the
// implied settings of unit_patch_contexts() in src/core/unit.c, and
// get_security_info() in src/analyze/analyze-security.c).
//
// Every directive is applied in file order with its own reset and combine
// rules; values systemd rejects are ignored with a warning, and values that
// make systemd refuse the unit produce an error.
package secinfo

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/directives"
	"github.com/systemd-harden/systemd-harden/internal/syscalls"
	"github.com/systemd-harden/systemd-harden/internal/sysnames"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// Namespace flags (CLONE_NEW*) as systemd stores RestrictNamespaces=.
const (
	NSCgroup  = 0x02000000
	NSIPC     = 0x08000000
	NSNet     = 0x40000000
	NSMnt     = 0x00020000
	NSPid     = 0x20000000
	NSUser    = 0x10000000
	NSUTS     = 0x04000000
	nsTime    = 0x00000080
	NSAll     = NSCgroup | NSIPC | NSNet | NSMnt | NSPid | NSUser | NSUTS
	nsInitial = ^uint64(0)
)

var namespaceFlags = map[string]uint64{
	"cgroup": NSCgroup, "ipc": NSIPC, "net": NSNet, "mnt": NSMnt,
	"pid": NSPid, "user": NSUser, "uts": NSUTS, "time": nsTime,
}

// Info is the SecurityInfo of systemd's analyzer: what the 81 assessment
// items look at.
type Info struct {
	ID                  string
	Path                string
	DefaultDependencies bool
	NotifyAccess        string

	AmbientCapabilities    uint64
	CapabilityBoundingSet  uint64
	User                   string
	UserSet                bool
	SupplementaryGroups    []string
	DynamicUser            bool
	KeyringMode            string
	ProtectProc            string
	ProcSubset             string
	LockPersonality        bool
	MemoryDenyWriteExecute bool
	NoNewPrivileges        bool
	ProtectHostname        bool
	PrivateDevices         bool
	PrivateMounts          bool
	PrivateNetwork         bool
	PrivateTmp             bool
	PrivateUsers           bool
	ProtectControlGroups   bool
	ProtectKernelModules   bool
	ProtectKernelTunables  bool
	ProtectKernelLogs      bool
	ProtectClock           bool
	ProtectHome            string
	ProtectSystem          string
	RemoveIPC              bool

	// RestrictAF* are true when the family is denied.
	RestrictAFInet, RestrictAFUnix, RestrictAFNetlink, RestrictAFPacket, RestrictAFOther bool

	RestrictNamespaces uint64 // namespace types still allowed
	RestrictRealtime   bool
	RestrictSUIDSGID   bool
	RootDirectory      string
	RootImage          string
	Delegate           bool
	DevicePolicy       string
	DeviceAllow        []string // "path:rwm", newest first as systemd lists them

	SystemCallArchitectures []string
	SystemCallFilterAllow   bool
	SystemCallFilter        syscalls.Set // nil when no filter is set
	UMask                   uint32

	IPAddressDenyAll       bool
	IPAddressAllowLocal    bool
	IPAddressAllowOther    bool
	IPFiltersCustomIngress bool
	IPFiltersCustomEgress  bool
}

// LoadError is a setting that makes systemd refuse to load the unit.
type LoadError struct {
	Path string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Input is a loaded service unit.
type Input struct {
	ID      string // analysed name, e.g. "foo@i.service"
	Path    string // fragment path
	Files   []*unitfile.File
	Version int
}

type deviceAllow struct {
	path    string
	r, w, m bool
}

// state is the exec/cgroup/service context while assignments are applied.
type state struct {
	in       Input
	ctx      unitCtx
	sc       *syscalls.Table
	caps     sysnames.Table
	fams     sysnames.Table
	errnos   sysnames.Table
	warns    []unitfile.Diag
	info     Info
	userSet  bool
	groupSet bool

	addressFamilies  map[int]bool
	afAllow          bool
	syscallFilter    syscalls.Set // nil until the first assignment
	syscallErrno     syscalls.Set // members carrying an errno action
	archs            map[string]bool
	deviceAllow      []deviceAllow
	ipAllow, ipDeny  []netip.Prefix
	ingress, egress  []string
	privateMountsSet bool
	privateTmpSet    bool

	execStart, execStop int
	serviceType         string
	remainAfterExit     bool
	successAction       bool
	restart             string
	busName             string
	encryptedCreds      bool
	workingDirHome      bool
	restartForceStatus  bool
	pamName             bool
	killMode            string
}

// Compute applies the files of a service unit and returns its Info and the
// warnings systemd would log. A *LoadError means systemd would not load it.
func Compute(in Input) (*Info, []unitfile.Diag, error) {
	s := &state{in: in, ctx: unitCtx{id: in.ID, fragment: in.Path}, sc: syscalls.For(in.Version),
		caps: sysnames.Capabilities(), fams: sysnames.Families(), errnos: sysnames.Errnos(),
		archs: map[string]bool{}, restart: "no"}
	s.info = Info{
		ID: in.ID, Path: in.Path,
		DefaultDependencies:   true,
		NotifyAccess:          "none",
		CapabilityBoundingSet: ^uint64(0),
		KeyringMode:           "private",
		ProtectProc:           "default",
		ProcSubset:            "all",
		ProtectHome:           "no",
		ProtectSystem:         "no",
		RestrictNamespaces:    nsInitial,
		DevicePolicy:          "auto",
		UMask:                 0o022,
	}
	for n, f := range in.Files {
		for _, a := range f.Assignments {
			if err := s.apply(f.Path, a); err != nil {
				if n == 0 {
					return nil, s.warns, err
				}
				// A drop-in's error only ends that drop-in: systemd
				// ignores config_parse()'s result for drop-ins.
				s.warns = append(s.warns, unitfile.Diag{Path: f.Path, Line: a.EndLine, Msg: err.(*LoadError).Msg + " (rest of drop-in ignored)"})
				break
			}
		}
	}
	if err := s.verify(); err != nil {
		return nil, s.warns, err
	}
	s.patch()
	info := s.info
	return &info, s.warns, nil
}

func (s *state) warn(file string, a unitfile.Assignment, format string, args ...any) {
	s.warns = append(s.warns, unitfile.Diag{Path: file, Line: a.EndLine, Msg: fmt.Sprintf(format, args...)})
}

func fatal(file string, a unitfile.Assignment, format string, args ...any) error {
	return &LoadError{Path: file, Line: a.EndLine, Msg: fmt.Sprintf(format, args...)}
}

// parseBoolean mirrors parse_boolean().
func parseBoolean(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

func (s *state) boolean(file string, a unitfile.Assignment, dst *bool) {
	b, ok := parseBoolean(a.Value)
	if !ok {
		s.warn(file, a, "Failed to parse boolean value, ignoring: %s", a.Value)
		return
	}
	*dst = b
}

// enum sets *dst to the value when it is one of allowed (after mapping
// booleans to withBool's yes/no names when given).
func (s *state) enum(file string, a unitfile.Assignment, dst *string, withBool bool, allowed ...string) {
	v := a.Value
	if withBool {
		if b, ok := parseBoolean(v); ok {
			if b {
				*dst = "yes"
			} else {
				*dst = "no"
			}
			return
		}
	}
	for _, x := range allowed {
		if v == x {
			*dst = v
			return
		}
	}
	s.warn(file, a, "Failed to parse %s value, ignoring: %s", a.Key, v)
}

func (s *state) apply(file string, a unitfile.Assignment) error {
	if !directives.Known(s.in.Version, a.Section, a.Key) {
		s.warn(file, a, "Unknown key '%s' in section [%s], ignoring.", a.Key, a.Section)
		return nil
	}
	switch a.Section {
	case "Unit":
		switch a.Key {
		case "DefaultDependencies":
			s.boolean(file, a, &s.info.DefaultDependencies)
		case "SuccessAction":
			s.successAction = a.Value != "" && a.Value != "none"
		}
		return nil
	case "Service":
	default:
		return nil
	}
	i := &s.info
	switch a.Key {
	case "Type":
		switch a.Value {
		case "simple", "exec", "forking", "oneshot", "dbus", "notify", "idle":
			s.serviceType = a.Value
		case "notify-reload":
			if s.in.Version >= 253 {
				s.serviceType = a.Value
			} else {
				s.warn(file, a, "Failed to parse service type, ignoring: %s", a.Value)
			}
		default:
			s.warn(file, a, "Failed to parse service type, ignoring: %s", a.Value)
		}
	case "ExecStart":
		s.execStart = s.count(s.execStart, a.Value)
	case "ExecStop":
		s.execStop = s.count(s.execStop, a.Value)
	case "RemainAfterExit":
		s.boolean(file, a, &s.remainAfterExit)
	case "Restart":
		switch a.Value {
		case "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always":
			s.restart = a.Value
		}
	case "BusName":
		s.busName = a.Value
	case "NotifyAccess":
		s.enum(file, a, &i.NotifyAccess, false, "none", "main", "exec", "all")
	case "User", "Group":
		v, err := s.userName(file, a, a.Value)
		if err != nil {
			return err
		}
		if a.Key == "User" {
			i.User, s.userSet = v, v != ""
		} else {
			s.groupSet = v != ""
		}
	case "SupplementaryGroups":
		if a.Value == "" {
			i.SupplementaryGroups = nil
			return nil
		}
		ws, err := words(a.Value, false)
		if err != nil {
			return fatal(file, a, "Invalid syntax: %s", a.Value)
		}
		for _, w := range ws {
			v, err := s.userName(file, a, w)
			if err != nil {
				return err
			}
			i.SupplementaryGroups = append(i.SupplementaryGroups, v)
		}
	case "DynamicUser":
		b, ok := parseBoolean(a.Value)
		if !ok {
			return fatal(file, a, "Failed to parse boolean value: %s", a.Value)
		}
		i.DynamicUser = b
	case "RemoveIPC":
		s.boolean(file, a, &i.RemoveIPC)
	case "UMask":
		m, err := strconv.ParseUint(a.Value, 8, 32)
		if err != nil || m > 0o7777 || a.Value == "" || a.Value[0] == '+' || a.Value[0] == '-' {
			s.warn(file, a, "Failed to parse mode value, ignoring: %s", a.Value)
			return nil
		}
		i.UMask = uint32(m)
	case "CapabilityBoundingSet":
		s.capabilitySet(a.Value, &i.CapabilityBoundingSet, ^uint64(0))
	case "AmbientCapabilities":
		s.capabilitySet(a.Value, &i.AmbientCapabilities, 0)
	case "NoNewPrivileges":
		s.boolean(file, a, &i.NoNewPrivileges)
	case "KeyringMode":
		s.enum(file, a, &i.KeyringMode, false, "inherit", "private", "shared")
	case "ProtectProc":
		s.enum(file, a, &i.ProtectProc, false, "default", "noaccess", "invisible", "ptraceable")
	case "ProcSubset":
		s.enum(file, a, &i.ProcSubset, false, "all", "pid")
	case "SystemCallFilter":
		s.syscallFilterAssign(file, a)
	case "SystemCallArchitectures":
		s.syscallArchs(file, a)
	case "MemoryDenyWriteExecute":
		s.boolean(file, a, &i.MemoryDenyWriteExecute)
	case "RestrictNamespaces":
		s.restrictNamespaces(file, a)
	case "RestrictRealtime":
		s.boolean(file, a, &i.RestrictRealtime)
	case "RestrictSUIDSGID":
		s.boolean(file, a, &i.RestrictSUIDSGID)
	case "RestrictAddressFamilies":
		s.addressFamiliesAssign(file, a)
	case "LockPersonality":
		s.boolean(file, a, &i.LockPersonality)
	case "PrivateTmp":
		if s.in.Version >= 257 && a.Value == "disconnected" {
			i.PrivateTmp, s.privateTmpSet = true, true
			return nil
		}
		if b, ok := parseBoolean(a.Value); ok {
			i.PrivateTmp, s.privateTmpSet = b, true
		} else {
			s.warn(file, a, "Failed to parse boolean value, ignoring: %s", a.Value)
		}
	case "PrivateDevices":
		s.boolean(file, a, &i.PrivateDevices)
	case "ProtectKernelTunables":
		s.boolean(file, a, &i.ProtectKernelTunables)
	case "ProtectKernelModules":
		s.boolean(file, a, &i.ProtectKernelModules)
	case "ProtectKernelLogs":
		s.boolean(file, a, &i.ProtectKernelLogs)
	case "ProtectClock":
		s.boolean(file, a, &i.ProtectClock)
	case "ProtectControlGroups":
		if s.in.Version >= 257 && (a.Value == "private" || a.Value == "strict") {
			i.ProtectControlGroups = true
			return nil
		}
		s.boolean(file, a, &i.ProtectControlGroups)
	case "PrivateNetwork":
		s.boolean(file, a, &i.PrivateNetwork)
	case "PrivateUsers":
		if s.in.Version >= 257 && (a.Value == "self" || a.Value == "identity") {
			i.PrivateUsers = true
			return nil
		}
		s.boolean(file, a, &i.PrivateUsers)
	case "PrivateMounts":
		if b, ok := parseBoolean(a.Value); ok {
			i.PrivateMounts, s.privateMountsSet = b, true
		} else if s.in.Version >= 257 && a.Value == "" {
			s.privateMountsSet = false
		} else {
			s.warn(file, a, "Failed to parse boolean value, ignoring: %s", a.Value)
		}
	case "ProtectSystem":
		s.enum(file, a, &i.ProtectSystem, true, "full", "strict")
	case "ProtectHome":
		s.enum(file, a, &i.ProtectHome, true, "read-only", "tmpfs")
	case "ProtectHostname":
		s.boolean(file, a, &i.ProtectHostname)
	case "RootDirectory", "RootImage":
		dst := &i.RootDirectory
		if a.Key == "RootImage" {
			dst = &i.RootImage
		}
		v, err := s.ctx.expand(a.Value)
		if err != nil {
			return fatal(file, a, "Failed to resolve unit specifiers in '%s': %v", a.Value, err)
		}
		if v == "" {
			*dst = ""
			return nil
		}
		p, ok := simplifyPath(v)
		if !ok {
			return fatal(file, a, "%s= path is not absolute or not normalized: %s", a.Key, v)
		}
		*dst = p
	case "DevicePolicy":
		s.enum(file, a, &i.DevicePolicy, false, "auto", "closed", "strict")
	case "DeviceAllow":
		s.deviceAllowAssign(file, a)
	case "Delegate":
		s.delegate(a.Value)
	case "IPAddressAllow":
		s.ipPrefixes(file, a, &s.ipAllow)
	case "IPAddressDeny":
		s.ipPrefixes(file, a, &s.ipDeny)
	case "IPIngressFilterPath":
		s.bpfPaths(file, a, &s.ingress)
	case "IPEgressFilterPath":
		s.bpfPaths(file, a, &s.egress)
	case "WorkingDirectory":
		v := strings.TrimPrefix(a.Value, "-")
		s.workingDirHome = v == "~"
	case "RestartForceExitStatus":
		s.restartForceStatus = a.Value != ""
	case "PAMName":
		s.pamName = a.Value != ""
	case "KillMode":
		switch a.Value {
		case "control-group", "process", "mixed", "none":
			s.killMode = a.Value
		}
	case "LoadCredentialEncrypted", "SetCredentialEncrypted":
		s.encryptedCreds = a.Value != ""
	}
	return nil
}

// count models a command list: an empty assignment resets it.
func (s *state) count(n int, v string) int {
	if v == "" {
		return 0
	}
	return n + 1
}

func (s *state) userName(file string, a unitfile.Assignment, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	v, err := s.ctx.expand(raw)
	if err != nil {
		return "", fatal(file, a, "Failed to resolve unit specifiers in %s: %v", raw, err)
	}
	if !validUserGroupRelaxed(v) {
		return "", fatal(file, a, "Invalid user/group name or numeric ID: %s", v)
	}
	return v, nil
}

// validUserGroupRelaxed mirrors valid_user_group_name() with
// VALID_USER_ALLOW_NUMERIC|VALID_USER_RELAX.
func validUserGroupRelaxed(u string) bool {
	if u == "" {
		return false
	}
	if n, err := strconv.ParseUint(u, 10, 32); err == nil && allDigits(u) {
		return n != 0xFFFFFFFF && n != 0xFFFF
	}
	if strings.HasPrefix(u, " ") || strings.HasSuffix(u, " ") {
		return false
	}
	if !unitfile.ValidUTF8([]byte(u)) {
		return false
	}
	for _, r := range u {
		if r < ' ' || r == 127 {
			return false
		}
	}
	if strings.ContainsAny(u, ":/") || allDigits(u) || (u[0] == '-' && allDigits(u[1:])) || u == "." || u == ".." {
		return false
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// capabilitySet mirrors config_parse_capability_set().
func (s *state) capabilitySet(v string, dst *uint64, initial uint64) {
	invert := strings.HasPrefix(v, "~")
	if invert {
		v = v[1:]
	}
	var sum uint64
	// 252 stops at a syntax error and keeps the words before it; 257
	// parses with EXTRACT_RELAX, which accepts an unterminated quote.
	ws, _ := wordsFlags(v, true, s.in.Version >= 257)
	maxNum := 64
	if s.in.Version >= 257 {
		maxNum = 63 // CAP_LIMIT
	}
	for _, w := range ws {
		if n, err := strconv.Atoi(w); err == nil && allDigits(w) {
			if n >= 0 && n < maxNum {
				sum |= 1 << uint(n)
			}
			continue
		}
		if n, ok := s.caps.Lookup(w); ok {
			sum |= 1 << uint(n)
		}
	}
	if sum == 0 || *dst == initial {
		if invert {
			*dst = ^sum
		} else {
			*dst = sum
		}
		return
	}
	if invert {
		*dst &^= sum
	} else {
		*dst |= sum
	}
}

func (s *state) restrictNamespaces(file string, a unitfile.Assignment) {
	v := a.Value
	if v == "" {
		s.info.RestrictNamespaces = nsInitial
		return
	}
	if b, ok := parseBoolean(v); ok {
		if b {
			s.info.RestrictNamespaces = 0
		} else {
			s.info.RestrictNamespaces = NSAll
		}
		return
	}
	invert := strings.HasPrefix(v, "~")
	if invert {
		v = v[1:]
	}
	var flags uint64
	ws, err := words(v, false)
	if err != nil {
		s.warn(file, a, "Failed to parse namespace type string, ignoring: %s", a.Value)
		return
	}
	for _, w := range ws {
		f, ok := namespaceFlags[w]
		if !ok {
			s.warn(file, a, "Failed to parse namespace type string, ignoring: %s", a.Value)
			return
		}
		flags |= f
	}
	switch {
	case s.info.RestrictNamespaces == nsInitial && invert:
		s.info.RestrictNamespaces = ^flags & NSAll
	case s.info.RestrictNamespaces == nsInitial:
		s.info.RestrictNamespaces = flags
	case invert:
		s.info.RestrictNamespaces &^= flags
	default:
		s.info.RestrictNamespaces |= flags
	}
}

func (s *state) addressFamiliesAssign(file string, a unitfile.Assignment) {
	v := a.Value
	if v == "" {
		s.addressFamilies, s.afAllow = nil, false
		return
	}
	if v == "none" {
		// An empty allow list; the set itself is freed, so a later
		// assignment starts a new list (systemd does the same).
		s.addressFamilies, s.afAllow = nil, true
		return
	}
	invert := strings.HasPrefix(v, "~")
	if invert {
		v = v[1:]
	}
	if s.addressFamilies == nil {
		s.addressFamilies = map[int]bool{}
		s.afAllow = !invert
	}
	for {
		w, rest, ok, err := extractWord(v, true)
		if err != nil {
			s.warn(file, a, "Invalid syntax, ignoring: %s", a.Value)
			return
		}
		if !ok {
			return
		}
		v = rest
		af, known := s.fams.Lookup(w)
		if !known {
			s.warn(file, a, "Failed to parse address family, ignoring: %s", w)
			continue
		}
		if !invert == s.afAllow {
			s.addressFamilies[af] = true
		} else {
			delete(s.addressFamilies, af)
		}
	}
}

var seccompArchs = map[string]bool{
	"native": true, "x86": true, "x86-64": true, "x32": true, "arm": true, "arm64": true,
	"mips": true, "mips64": true, "mips64-n32": true, "mips-le": true, "mips64-le": true,
	"mips64-le-n32": true, "parisc": true, "parisc64": true, "ppc": true, "ppc64": true,
	"ppc64-le": true, "riscv64": true, "s390": true, "s390x": true,
}

func (s *state) syscallArchs(file string, a unitfile.Assignment) {
	if a.Value == "" {
		s.archs = map[string]bool{}
		return
	}
	v := a.Value
	for {
		w, rest, ok, err := extractWord(v, true)
		if err != nil {
			s.warn(file, a, "Invalid syntax, ignoring: %s", a.Value)
			return
		}
		if !ok {
			return
		}
		v = rest
		if !seccompArchs[w] {
			s.warn(file, a, "Failed to parse system call architecture \"%s\", ignoring", w)
			continue
		}
		s.archs[w] = true
	}
}

const errnoMax = 4095

// errnoKill is SECCOMP_ERROR_NUMBER_KILL: non-negative, like any errno.
const errnoKill = 1<<31 - 2

func (s *state) parseErrno(v string) (int, bool) {
	if v == "kill" {
		return errnoKill, true
	}
	if n, err := strconv.Atoi(v); err == nil && allDigits(v) {
		return n, n >= 0 && n <= errnoMax
	}
	if n, ok := s.errnos.Lookup(v); ok {
		return n, true
	}
	return 0, false
}

func (s *state) syscallFilterAssign(file string, a unitfile.Assignment) {
	v := a.Value
	if v == "" {
		s.syscallFilter, s.syscallErrno, s.info.SystemCallFilterAllow = nil, nil, false
		return
	}
	invert := strings.HasPrefix(v, "~")
	if invert {
		v = v[1:]
	}
	if s.syscallFilter == nil {
		s.syscallFilter, s.syscallErrno = s.sc.NewSet(), s.sc.NewSet()
		if invert {
			s.info.SystemCallFilterAllow = false
		} else {
			s.info.SystemCallFilterAllow = true
			s.addSyscalls("@default", -1, false, true)
		}
	}
	for {
		w, rest, ok, err := extractWord(v, false)
		if err != nil {
			s.warn(file, a, "Invalid syntax, ignoring: %s", a.Value)
			return
		}
		if !ok {
			return
		}
		v = rest
		name, num := w, -1
		if c := strings.IndexByte(w, ':'); c >= 0 {
			n, ok := s.parseErrno(w[c+1:])
			if !ok || c == 0 {
				s.warn(file, a, "Failed to parse syscall:errno, ignoring: %s", w)
				continue
			}
			name, num = w[:c], n
		}
		if !invert && num >= 0 {
			s.warn(file, a, "Allow-listed system calls cannot take error number, ignoring: %s", w)
			continue
		}
		s.addSyscalls(name, num, invert, s.info.SystemCallFilterAllow)
	}
}

// addSyscalls mirrors seccomp_parse_syscall_filter().
func (s *state) addSyscalls(name string, num int, invert, allowList bool) {
	var members []int
	if strings.HasPrefix(name, "@") {
		var ok bool
		if members, ok = s.sc.Expanded(name); !ok {
			return // "Unknown system call group, ignoring"
		}
	} else {
		i, ok := s.sc.Index(name)
		if !ok {
			return // "Failed to parse system call, ignoring"
		}
		members = []int{i}
	}
	put := !invert == allowList || (invert && allowList && num >= 0)
	for _, i := range members {
		switch {
		case !put:
			s.syscallFilter.Remove(i)
			s.syscallErrno.Remove(i)
		case num >= 0:
			s.syscallFilter.Add(i)
			s.syscallErrno.Add(i)
		default:
			s.syscallFilter.Add(i)
			s.syscallErrno.Remove(i)
		}
	}
}

func (s *state) deviceAllowAssign(file string, a unitfile.Assignment) {
	if a.Value == "" {
		s.deviceAllow = nil
		return
	}
	p, rest, ok, err := extractWord(a.Value, true)
	if err != nil || !ok {
		s.warn(file, a, "Failed to extract device path and rights from '%s', ignoring.", a.Value)
		return
	}
	p, err = s.ctx.expand(p)
	if err != nil {
		s.warn(file, a, "Failed to resolve unit specifiers in '%s', ignoring", p)
		return
	}
	if !strings.HasPrefix(p, "block-") && !strings.HasPrefix(p, "char-") {
		sp, ok := simplifyPath(p)
		if !ok && !strings.HasPrefix(p, "/") {
			s.warn(file, a, "Invalid device node path '%s', ignoring.", p)
			return
		}
		if ok {
			p = sp
		}
		if !(strings.HasPrefix(p, "/dev/") || strings.HasPrefix(p, "/run/systemd/inaccessible/")) || strings.HasSuffix(p, "/") {
			s.warn(file, a, "Invalid device node path '%s', ignoring.", p)
			return
		}
	}
	for i := 0; i < len(rest); i++ {
		if !strings.ContainsRune("rwm", rune(rest[i])) {
			s.warn(file, a, "Invalid device rights '%s', ignoring.", rest)
			return
		}
	}
	s.addDevice(p, rest)
}

func (s *state) addDevice(p, mode string) {
	d := deviceAllow{path: p,
		r: mode == "" || strings.Contains(mode, "r"),
		w: mode == "" || strings.Contains(mode, "w"),
		m: mode == "" || strings.Contains(mode, "m")}
	s.deviceAllow = append([]deviceAllow{d}, s.deviceAllow...) // LIST_PREPEND
}

func (s *state) delegate(v string) {
	if v == "" {
		s.info.Delegate = true
		return
	}
	if b, ok := parseBoolean(v); ok {
		s.info.Delegate = b
		return
	}
	s.info.Delegate = true // a controller list enables delegation
}

var (
	v4Any       = netip.MustParsePrefix("0.0.0.0/0")
	v6Any       = netip.MustParsePrefix("::/0")
	v4Local     = netip.MustParsePrefix("127.0.0.0/8")
	v6Local     = netip.MustParsePrefix("::1/128")
	v4LinkLocal = netip.MustParsePrefix("169.254.0.0/16")
	v6LinkLocal = netip.MustParsePrefix("fe80::/64")
	v4Multicast = netip.MustParsePrefix("224.0.0.0/4")
	v6Multicast = netip.MustParsePrefix("ff00::/8")
)

func isLocalhostName(w string) bool {
	l := strings.ToLower(w)
	switch l {
	case "localhost", "localhost.", "localhost.localdomain", "localhost.localdomain.":
		return true
	}
	for _, suf := range []string{".localhost", ".localhost.", ".localhost.localdomain", ".localhost.localdomain."} {
		if strings.HasSuffix(l, suf) {
			return true
		}
	}
	return false
}

func (s *state) ipPrefixes(file string, a unitfile.Assignment, dst *[]netip.Prefix) {
	if a.Value == "" {
		*dst = nil
		return
	}
	v := a.Value
	for {
		w, rest, ok, err := extractWord(v, false)
		if err != nil {
			s.warn(file, a, "Invalid syntax, ignoring: %s", a.Value)
			return
		}
		if !ok {
			return
		}
		v = rest
		switch {
		case w == "any":
			*dst = append(*dst, v4Any, v6Any)
		case isLocalhostName(w):
			*dst = append(*dst, v4Local, v6Local)
		case w == "link-local":
			*dst = append(*dst, v4LinkLocal, v6LinkLocal)
		case w == "multicast":
			*dst = append(*dst, v4Multicast, v6Multicast)
		default:
			p, ok := parsePrefix(w)
			if !ok {
				s.warn(file, a, "Address prefix is invalid, ignoring assignment: %s", w)
				continue
			}
			*dst = append(*dst, p.Masked())
		}
	}
}

// parsePrefix mirrors in_addr_prefix_from_string_auto(): "addr" or
// "addr/len", IPv4 dotted quad or IPv6.
func parsePrefix(w string) (netip.Prefix, bool) {
	addr, plen, hasLen := strings.Cut(w, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, false
	}
	if ip.Is4In6() {
		// inet_pton accepts ::ffff:a.b.c.d as an IPv6 address; keep it so.
	}
	bits := ip.BitLen()
	if hasLen {
		n, err := strconv.ParseUint(plen, 10, 8)
		if err != nil || int(n) > bits {
			return netip.Prefix{}, false
		}
		bits = int(n)
	}
	return netip.PrefixFrom(ip, bits), true
}

func (s *state) bpfPaths(file string, a unitfile.Assignment, dst *[]string) {
	if a.Value == "" {
		*dst = nil
		return
	}
	v, err := s.ctx.expand(a.Value)
	if err != nil {
		s.warn(file, a, "Failed to resolve unit specifiers in '%s', ignoring", a.Value)
		return
	}
	p, ok := simplifyPath(v)
	if !ok {
		s.warn(file, a, "%s= path is not absolute, ignoring: %s", a.Key, v)
		return
	}
	for _, x := range *dst {
		if x == p {
			return
		}
	}
	*dst = append(*dst, p)
}

// simplifyPath mirrors path_simplify_and_warn() with PATH_CHECK_ABSOLUTE:
// the path must be absolute and, once "." components and duplicate slashes
// are gone, contain no "..".
func simplifyPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			return "", false
		default:
			parts = append(parts, c)
		}
	}
	return "/" + strings.Join(parts, "/"), true
}

// verify mirrors the checks of service_verify() that refuse a unit, after
// service_add_extras() has picked the type of a unit that sets none.
func (s *state) verify() error {
	path := s.in.Path
	if s.serviceType == "" {
		switch {
		case s.busName != "":
			s.serviceType = "dbus"
		case s.execStart > 0:
			s.serviceType = "simple"
		default:
			s.serviceType = "oneshot"
		}
	}
	switch {
	case s.execStart == 0 && s.execStop == 0 && !s.successAction:
		return &LoadError{Path: path, Msg: "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."}
	case s.serviceType != "oneshot" && s.execStart == 0:
		return &LoadError{Path: path, Msg: "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."}
	case !s.remainAfterExit && s.execStart == 0 && !s.successAction:
		return &LoadError{Path: path, Msg: "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing."}
	case s.serviceType != "oneshot" && s.execStart > 1:
		return &LoadError{Path: path, Msg: "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."}
	case s.serviceType == "oneshot" && (s.restart == "always" || s.restart == "on-success"):
		return &LoadError{Path: path, Msg: "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing."}
	case s.serviceType == "oneshot" && s.restartForceStatus && s.in.Version < 257:
		return &LoadError{Path: path, Msg: "Service has RestartForceExitStatus= set, which isn't allowed for Type=oneshot services. Refusing."}
	case s.serviceType == "dbus" && s.busName == "":
		return &LoadError{Path: path, Msg: "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."}
	case s.pamName && (s.killMode == "process" || s.killMode == "none"):
		return &LoadError{Path: path, Msg: "Service has PAM enabled. Kill mode must be set to 'control-group' or 'mixed'. Refusing."}
	case s.in.Version >= 257 && s.info.DynamicUser && s.workingDirHome:
		// unit_verify_contexts(), new in 257
		return &LoadError{Path: path, Msg: "DynamicUser=yes with WorkingDirectory=~ is not supported. Refusing."}
	}
	return nil
}

// patch applies unit_patch_contexts() and converts to the analyzer's view.
func (s *state) patch() {
	i := &s.info
	if i.PrivateDevices {
		i.CapabilityBoundingSet &^= 1<<27 | 1<<17 // CAP_MKNOD, CAP_SYS_RAWIO
	}
	if i.ProtectKernelModules {
		i.CapabilityBoundingSet &^= 1 << 16 // CAP_SYS_MODULE
	}
	if i.ProtectKernelLogs {
		i.CapabilityBoundingSet &^= 1 << 34 // CAP_SYSLOG
	}
	if i.ProtectClock {
		i.CapabilityBoundingSet &^= 1<<25 | 1<<35 // CAP_SYS_TIME, CAP_WAKE_ALARM
	}
	if i.DynamicUser {
		if !s.userSet {
			i.User = userFromUnitName(s.in.ID)
		}
		i.PrivateTmp = true
		i.RemoveIPC = true
		i.ProtectSystem = "strict"
		if i.ProtectHome == "no" {
			i.ProtectHome = "read-only"
		}
		i.NoNewPrivileges = true
		i.RestrictSUIDSGID = true
	}
	i.UserSet = i.User != ""
	if s.in.Version >= 257 && !s.privateMountsSet {
		// 257 made PrivateMounts= tri-state; the offline assessment reads
		// "unset" as true.
		i.PrivateMounts = true
	}
	if i.PrivateDevices && i.DevicePolicy == "auto" {
		i.DevicePolicy = "closed"
	}
	if i.DevicePolicy != "auto" || len(s.deviceAllow) > 0 {
		if i.RootImage != "" {
			for _, p := range []string{"/dev/loop-control", "/dev/mapper/control"} {
				s.addDevice(p, "rw")
			}
			for _, p := range []string{"block-loop", "block-blkext", "block-device-mapper"} {
				s.addDevice(p, "rwm")
			}
		}
		if i.ProtectClock {
			s.addDevice("char-rtc", "r")
		}
		if s.encryptedCreds {
			if s.in.Version >= 257 {
				s.addDevice("char-tpm", "rw")
			} else {
				s.addDevice("/dev/tpmrm0", "rw")
			}
		}
	}
	for _, d := range s.deviceAllow {
		m := ""
		if d.r {
			m += "r"
		}
		if d.w {
			m += "w"
		}
		if d.m {
			m += "m"
		}
		i.DeviceAllow = append(i.DeviceAllow, d.path+":"+m)
	}
	// Address families: the analyzer starts from "allow list?" and flips
	// each family class it finds in the set.
	for _, p := range []*bool{&i.RestrictAFInet, &i.RestrictAFUnix, &i.RestrictAFNetlink, &i.RestrictAFPacket, &i.RestrictAFOther} {
		*p = s.afAllow
	}
	for af := range s.addressFamilies {
		switch af {
		case 0:
		case sysnames.AFInet, sysnames.AFInet6:
			i.RestrictAFInet = !s.afAllow
		case sysnames.AFUnix:
			i.RestrictAFUnix = !s.afAllow
		case sysnames.AFNetlink:
			i.RestrictAFNetlink = !s.afAllow
		case sysnames.AFPacket:
			i.RestrictAFPacket = !s.afAllow
		default:
			i.RestrictAFOther = !s.afAllow
		}
	}
	for a := range s.archs {
		i.SystemCallArchitectures = append(i.SystemCallArchitectures, a)
	}
	sort.Strings(i.SystemCallArchitectures)
	if s.syscallFilter != nil {
		// The analyzer leaves out allow-list entries that carry an errno:
		// those calls are refused, not allowed.
		i.SystemCallFilter = append(syscalls.Set(nil), s.syscallFilter...)
		if i.SystemCallFilterAllow {
			for w := range i.SystemCallFilter {
				i.SystemCallFilter[w] &^= s.syscallErrno[w]
			}
		}
	}
	var deny4, deny6 bool
	for _, p := range s.ipDeny {
		if p.Bits() == 0 {
			if p.Addr().Is4() {
				deny4 = true
			} else {
				deny6 = true
			}
		}
	}
	i.IPAddressDenyAll = deny4 && deny6
	for _, p := range s.ipAllow {
		a := p.Addr()
		if (a.Is4() && a.As4()[0] == 127) || (a.Is6() && a == netip.IPv6Loopback()) {
			i.IPAddressAllowLocal = true
		} else {
			i.IPAddressAllowOther = true
		}
	}
	i.IPFiltersCustomIngress = len(s.ingress) > 0
	i.IPFiltersCustomEgress = len(s.egress) > 0
}

// userFromUnitName mirrors user_from_unit_name(): the unit prefix when it
// is a valid strict user name, otherwise a hashed "_du…" name, which can
// never be "root" or "nobody" (the only names the assessment cares about).
func userFromUnitName(id string) string {
	p, _ := unitname.Parse(id)
	if validUserStrict(p.Prefix) {
		return p.Prefix
	}
	return "_du" + strings.Repeat("0", 16)
}

func validUserStrict(u string) bool {
	if u == "" || len(u) > 31 {
		return false
	}
	c := u[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for i := 1; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
