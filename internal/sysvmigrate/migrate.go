package sysvmigrate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/diff"
	"pault.ag/go/debian/changelog"
	"pault.ag/go/debian/control"
	"pault.ag/go/debian/version"
)

// InputError is a source tree that cannot be read safely (unparsable
// debian/control or changelog, a bad --version): exit status 2.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Options are migrate-sysv's flags.
type Options struct {
	Version   string // first version without the scripts; "" = the top entry when UNRELEASED
	Changelog bool   // add (or extend) an UNRELEASED changelog entry
	// Now and Maintainer are for the changelog and NEWS trailers; zero
	// values take SOURCE_DATE_EPOCH/the clock and DEBFULLNAME/DEBEMAIL or
	// the control file's Maintainer.
	Now        time.Time
	Maintainer string
}

// FileChange is one file the migration writes or deletes. Paths are
// relative to the source tree, with slashes.
type FileChange struct {
	Path string
	Old  []byte // nil when the file does not exist yet
	New  []byte // nil when the file is deleted
	Mode fs.FileMode
}

// Blocker is a script the tree cannot be migrated for: it has no unit.
type Blocker struct {
	Package string
	Script  string // "debian/foo.init"
	Unit    string // the unit that would replace it: "foo.service"
}

// Result is the planned migration.
type Result struct {
	Source   string
	Version  string
	Changes  []FileChange // sorted by path
	Blockers []Blocker    // non-empty: nothing may be changed
	// Upstream are init scripts the upstream build installs (found in
	// debian/rules or debian/*.install): reported, never edited.
	Upstream []string
	// Notes are things the packager still has to check by hand.
	Notes []string
}

// debianScript is one debian/<pkg>.init (or debian/init) found.
type debianScript struct {
	pkg     string
	file    string // relative path of the .init file
	name    string // installed as /etc/init.d/<name>
	defFile string // relative path of debian/<pkg>.default, "" when none
}

// maxFile bounds what is read of any one packaging file: they are small,
// and a huge file is a mistake, not something to load whole.
const maxFile = 4 << 20

func readFile(dir, rel string) ([]byte, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", rel)
	}
	if fi.Size() > maxFile {
		return nil, fmt.Errorf("%s: over %d bytes", rel, maxFile)
	}
	return os.ReadFile(p)
}

func exists(dir, rel string) bool {
	fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular()
}

// Plan works out the migration of a Debian source tree without touching
// it. An *InputError is an input that cannot be used; a Result with
// Blockers is a tree that cannot be migrated.
func Plan(dir string, opts Options) (*Result, error) {
	ctl, err := control.ParseControlFile(filepath.Join(dir, "debian", "control"))
	if err != nil {
		return nil, inputErr("debian/control: %v", err)
	}
	if ctl.Source.Source == "" || len(ctl.Binaries) == 0 {
		return nil, inputErr("debian/control: no Source: paragraph followed by Package: paragraphs")
	}
	for _, b := range ctl.Binaries {
		if b.Package == "" || strings.ContainsAny(b.Package, "/ \t") {
			return nil, inputErr("debian/control: a binary paragraph without a valid Package: field")
		}
	}
	clText, err := readFile(dir, "debian/changelog")
	if err != nil {
		return nil, inputErr("debian/changelog: %v", err)
	}
	top, err := changelog.ParseOne(bufio.NewReader(bytes.NewReader(clText)))
	if err != nil {
		return nil, inputErr("debian/changelog: %v", err)
	}
	v, err := firstVersion(top, opts.Version)
	if err != nil {
		return nil, err
	}
	// Under an UNRELEASED top entry the version must still be newer than
	// the last release. Old entries are often not strictly formatted, so a
	// changelog that does not parse whole only skips this check.
	if all, err := changelog.Parse(bytes.NewReader(clText)); err == nil {
		for _, e := range all {
			if e.Target == "UNRELEASED" {
				continue
			}
			if fv, err := version.Parse(v); err == nil && version.Compare(fv, e.Version) <= 0 {
				return nil, inputErr("version %s is not newer than the released %s in debian/changelog", v, e.Version)
			}
			break
		}
	}
	if opts.Changelog && top.Target == "UNRELEASED" && top.Version.String() != v {
		// A second UNRELEASED entry on top of the first is never what a
		// packager wants; they settle the version first.
		return nil, inputErr("--changelog: the top entry %s is UNRELEASED but --version is %s; change one of them", top.Version, v)
	}
	r := &Result{Source: ctl.Source.Source, Version: v}

	var scripts []debianScript
	for i, b := range ctl.Binaries {
		cands := []string{"debian/" + b.Package + ".init"}
		defs := []string{"debian/" + b.Package + ".default"}
		// dh's pkgfile also accepts debian/init and debian/default for
		// the first binary package.
		if i == 0 {
			cands = append(cands, "debian/init")
			defs = append(defs, "debian/default")
		}
		for _, c := range cands {
			if !exists(dir, c) {
				continue
			}
			s := debianScript{pkg: b.Package, file: c, name: b.Package}
			for _, d := range defs {
				if exists(dir, d) {
					s.defFile = d
					break
				}
			}
			scripts = append(scripts, s)
			break
		}
	}
	up, err := upstreamScripts(dir)
	if err != nil {
		return nil, err
	}
	r.Upstream = up

	units := map[string]string{} // script name → unit file (relative)
	for _, s := range scripts {
		u, err := findUnit(dir, s, s.pkg == ctl.Binaries[0].Package)
		if err != nil {
			return nil, err
		}
		if u == "" {
			r.Blockers = append(r.Blockers, Blocker{Package: s.pkg, Script: s.file, Unit: s.name + ".service"})
		}
		units[s.name] = u
	}
	if len(r.Blockers) > 0 || len(scripts) == 0 {
		return r, nil
	}

	maint, date := opts.Maintainer, opts.Now
	if maint == "" {
		maint = maintainer(ctl.Source.Maintainer)
	}
	if date.IsZero() {
		date = now()
	}
	dateStr := date.Format(time.RFC1123Z)

	var defaultsRemoved, names []string
	changes := map[string]*FileChange{}
	change := func(rel string, mode fs.FileMode) (*FileChange, error) {
		if c, ok := changes[rel]; ok {
			return c, nil
		}
		c := &FileChange{Path: rel, Mode: mode}
		// A symlink or directory where a packaging file belongs would be
		// replaced by the rename, and could point outside the tree.
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel))); err == nil && !fi.Mode().IsRegular() {
			return nil, inputErr("%s: not a regular file", rel)
		}
		if exists(dir, rel) {
			old, err := readFile(dir, rel)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
			fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
			c.Old, c.New, c.Mode = old, append([]byte(nil), old...), fi.Mode().Perm()
		}
		changes[rel] = c
		return c, nil
	}
	for _, s := range scripts {
		names = append(names, s.name)
		c, err := change(s.file, 0o755)
		if err != nil {
			return nil, err
		}
		c.New = nil
		lines := []string{MaintscriptLine("/etc/init.d/"+s.name, v)}
		if s.defFile != "" {
			read, err := defaultRead(dir, s, units[s.name])
			if err != nil {
				return nil, err
			}
			if read == "" {
				c, err := change(s.defFile, 0o644)
				if err != nil {
					return nil, err
				}
				c.New = nil
				lines = append(lines, MaintscriptLine("/etc/default/"+s.name, v))
				defaultsRemoved = append(defaultsRemoved, "/etc/default/"+s.name)
			} else {
				r.Notes = append(r.Notes, fmt.Sprintf("%s: kept, %s reads /etc/default/%s", s.defFile, read, s.name))
			}
		}
		ms, err := change("debian/"+s.pkg+".maintscript", 0o644)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if !hasLine(ms.New, l) {
				ms.New = appendLine(ms.New, l)
			}
		}
		pi, err := change("debian/"+s.pkg+".postinst", 0o755)
		if err != nil {
			return nil, err
		}
		guard := PostinstGuard([]string{s.name}, v)
		switch {
		case pi.Old == nil:
			pi.New = []byte("#!/bin/sh\nset -e\n\n" + guard + "\n#DEBHELPER#\n\nexit 0\n")
		case bytes.Contains(pi.New, []byte(guard)):
		default:
			nb, ok := insertBeforeDebhelper(pi.New, guard)
			if !ok {
				return nil, inputErr("debian/%s.postinst: no #DEBHELPER# line to insert the rc link cleanup before", s.pkg)
			}
			pi.New = nb
		}
		if !bytes.Contains(ctlParagraph(ctl, s.pkg), []byte("${misc:Pre-Depends}")) {
			r.Notes = append(r.Notes, fmt.Sprintf("debian/control: add \"Pre-Depends: ${misc:Pre-Depends}\" to %s (dh_installdeb puts what the maintscript needs there)", s.pkg))
		}
	}
	news, err := change("debian/NEWS", 0o644)
	if err != nil {
		return nil, err
	}
	entry := NewsEntry(r.Source, v, "UNRELEASED", maint, dateStr, names, defaultsRemoved)
	if !bytes.Contains(news.New, []byte("The SysV init script")) || !bytes.HasPrefix(news.New, []byte(r.Source+" ("+v+")")) {
		if len(news.New) > 0 {
			entry += "\n"
		}
		news.New = append([]byte(entry), news.New...)
	}
	if opts.Changelog {
		c, err := change("debian/changelog", 0o644)
		if err != nil {
			return nil, err
		}
		c.New = changelogEntry(c.New, top, r.Source, v, maint, dateStr, names)
	}
	for _, c := range changes {
		if c.Old != nil && c.New != nil && bytes.Equal(c.Old, c.New) {
			continue
		}
		r.Changes = append(r.Changes, *c)
	}
	sort.Slice(r.Changes, func(i, j int) bool { return r.Changes[i].Path < r.Changes[j].Path })
	return r, nil
}

// firstVersion picks the version in "rm_conffile … V~": the first version
// without the script. A released top entry cannot be it (the removal
// would never fire on upgrade from it), so then --version is required and
// must be newer.
func firstVersion(top *changelog.ChangelogEntry, flag string) (string, error) {
	released := top.Target != "UNRELEASED"
	if flag == "" {
		if released {
			return "", inputErr("debian/changelog: the top entry %s is released (%s); give the first version without the script with --version", top.Version, top.Target)
		}
		return top.Version.String(), nil
	}
	fv, err := version.Parse(flag)
	if err != nil {
		return "", inputErr("--version %q: %v", flag, err)
	}
	if released && version.Compare(fv, top.Version) <= 0 {
		return "", inputErr("--version %s is not newer than the released %s in debian/changelog", flag, top.Version)
	}
	return fv.String(), nil
}

// findUnit looks for the unit replacing a debian/<pkg>.init: debian/<pkg>.service
// (debian/service for the first package), or a <name>.service (or
// .service.in) anywhere in the upstream tree.
func findUnit(dir string, s debianScript, first bool) (string, error) {
	cands := []string{"debian/" + s.pkg + ".service", "debian/" + s.pkg + "." + s.name + ".service"}
	if first {
		cands = append(cands, "debian/service")
	}
	for _, c := range cands {
		if exists(dir, c) {
			return c, nil
		}
	}
	var found string
	stop := errors.New("found")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// VCS data and debhelper's staging trees are not source.
			if d.Name() == ".git" || d.Name() == ".pc" || (strings.HasPrefix(rel, "debian/") && strings.Count(rel, "/") == 1 && d.Name() != "patches") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && (d.Name() == s.name+".service" || d.Name() == s.name+".service.in") {
			found = rel
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return "", fmt.Errorf("looking for %s.service: %w", s.name, err)
	}
	return found, nil
}

// defaultRead names the file that still reads /etc/default/<name>: the
// unit, or another packaging file. "" when only the script does.
func defaultRead(dir string, s debianScript, unit string) (string, error) {
	needle := []byte("/etc/default/" + s.name)
	if unit != "" {
		b, err := readFile(dir, unit)
		if err != nil {
			return "", fmt.Errorf("%s: %w", unit, err)
		}
		if bytes.Contains(b, needle) {
			return unit, nil
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, "debian"))
	if err != nil {
		return "", fmt.Errorf("debian: %w", err)
	}
	for _, e := range ents {
		rel := "debian/" + e.Name()
		if !e.Type().IsRegular() || rel == s.file || rel == s.defFile || rel == "debian/changelog" || rel == "debian/NEWS" ||
			strings.HasSuffix(rel, ".maintscript") {
			continue
		}
		b, err := readFile(dir, rel)
		if err != nil {
			return "", fmt.Errorf("%s: %w", rel, err)
		}
		if bytes.Contains(b, needle) {
			return rel, nil
		}
	}
	return "", nil
}

// upstreamScripts finds lines of debian/rules and debian/*.install that
// install into etc/init.d: scripts the upstream build installs, which a
// tool cannot safely remove.
func upstreamScripts(dir string) ([]string, error) {
	files := []string{"debian/rules"}
	more, err := filepath.Glob(filepath.Join(dir, "debian", "*.install"))
	if err != nil {
		return nil, fmt.Errorf("debian/*.install: %w", err)
	}
	for _, m := range more {
		files = append(files, "debian/"+filepath.Base(m))
	}
	if exists(dir, "debian/install") {
		files = append(files, "debian/install")
	}
	var out []string
	for _, f := range files {
		if !exists(dir, f) {
			continue
		}
		b, err := readFile(dir, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "#") || !strings.Contains(t, "etc/init.d") {
				continue
			}
			out = append(out, fmt.Sprintf("%s:%d: %s", f, i+1, t))
		}
	}
	return out, nil
}

func hasLine(b []byte, l string) bool {
	for _, x := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(x) == l {
			return true
		}
	}
	return false
}

func appendLine(b []byte, l string) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return append(b, l+"\n"...)
}

// insertBeforeDebhelper puts the guard before the #DEBHELPER# line, so
// that it runs before debhelper's snippets in the configure call.
func insertBeforeDebhelper(b []byte, guard string) ([]byte, bool) {
	lines := strings.SplitAfter(string(b), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "#DEBHELPER#" {
			out := strings.Join(lines[:i], "") + guard + "\n" + strings.Join(lines[i:], "")
			return []byte(out), true
		}
	}
	return nil, false
}

// ctlParagraph returns a binary paragraph's Pre-Depends as text.
func ctlParagraph(ctl *control.Control, pkg string) []byte {
	for _, b := range ctl.Binaries {
		if b.Package == pkg {
			return []byte(b.Values["Pre-Depends"])
		}
	}
	return nil
}

// changelogEntry adds the removal to the top entry when it is the
// UNRELEASED entry of the same version, else prepends a new UNRELEASED
// entry.
func changelogEntry(old []byte, top *changelog.ChangelogEntry, source, v, maint, date string, names []string) []byte {
	var paths []string
	for _, n := range names {
		paths = append(paths, "/etc/init.d/"+n)
	}
	item := "  * Drop the SysV init script " + strings.Join(paths, ", ") + "; the systemd unit\n" +
		"    replaces it. Remove the conffile and its rc links on upgrade.\n"
	if bytes.Contains(old, []byte(item)) {
		return old
	}
	if top.Target == "UNRELEASED" && top.Version.String() == v {
		// After the header line and the blank line that follows it.
		lines := strings.SplitAfter(string(old), "\n")
		if len(lines) > 2 {
			return []byte(lines[0] + lines[1] + item + strings.Join(lines[2:], ""))
		}
	}
	entry := fmt.Sprintf("%s (%s) UNRELEASED; urgency=medium\n\n%s\n -- %s  %s\n\n", source, v, item, maint, date)
	return append([]byte(entry), old...)
}

// maintainer is the trailer name: DEBFULLNAME <DEBEMAIL> as dch uses them,
// else the package's Maintainer.
func maintainer(fallback string) string {
	name, mail := os.Getenv("DEBFULLNAME"), os.Getenv("DEBEMAIL")
	if name != "" && mail != "" {
		return name + " <" + mail + ">"
	}
	return fallback
}

// now honours SOURCE_DATE_EPOCH, for reproducible output and tests.
func now() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now()
}

// Diff renders the changes as a unified diff (a/ and b/ prefixes, as
// patch -p1 and quilt expect; a deleted or new file against /dev/null).
func (r *Result) Diff() []byte {
	var b bytes.Buffer
	for _, c := range r.Changes {
		oldName, newName := "a/"+c.Path, "b/"+c.Path
		if c.Old == nil {
			oldName = "/dev/null"
		}
		if c.New == nil {
			newName = "/dev/null"
		}
		b.Write(diff.Diff(oldName, c.Old, newName, c.New))
	}
	return b.Bytes()
}

// Apply writes the changes all or nothing: every new content goes to a
// temporary file beside its target first; then each target is moved
// aside and replaced; on any failure the moves are undone and the
// temporary files removed, so the tree is as before.
func (r *Result) Apply(dir string) (err error) {
	type staged struct {
		c      FileChange
		target string
		tmp    string // new content, "" for a deletion
		backup string // the old file moved aside, "" when none yet
	}
	var st []*staged
	defer func() {
		if err == nil {
			return
		}
		for i := len(st) - 1; i >= 0; i-- {
			s := st[i]
			if s.backup != "" {
				_ = os.Remove(s.target)
				_ = os.Rename(s.backup, s.target)
			} else if s.c.Old == nil && s.tmp == "" {
				_ = os.Remove(s.target)
			}
			if s.tmp != "" {
				_ = os.Remove(s.tmp)
			}
		}
	}()
	for _, c := range r.Changes {
		target := filepath.Join(dir, filepath.FromSlash(c.Path))
		s := &staged{c: c, target: target}
		st = append(st, s)
		if c.New == nil {
			continue
		}
		f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".migrate-sysv-*")
		if err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		s.tmp = f.Name()
		if _, err := f.Write(c.New); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		if err := f.Chmod(c.Mode); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	for _, s := range st {
		if s.c.Old != nil {
			b := s.target + ".migrate-sysv-old"
			if err := os.Rename(s.target, b); err != nil {
				return fmt.Errorf("%s: %w", s.c.Path, err)
			}
			s.backup = b
		}
		if s.tmp != "" {
			if err := os.Rename(s.tmp, s.target); err != nil {
				return fmt.Errorf("%s: %w", s.c.Path, err)
			}
			s.tmp = ""
		}
	}
	// Everything is in place; only now are the old copies dropped. A copy
	// that cannot be removed is left behind rather than undoing a
	// complete migration.
	for _, s := range st {
		if s.backup != "" {
			_ = os.Remove(s.backup)
		}
	}
	return nil
}
