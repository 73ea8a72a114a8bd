// Package dropins writes planned drop-ins into a staging tree (debian/<pkg>/,
// %{buildroot}), confined to that root: every path is opened through
// os.Root, so a unit directory that is a symlink leading outside the root
// is refused and nothing is written outside it.
package dropins

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// File is a drop-in to write (Path absolute inside the root).
type File struct {
	Path    string
	Content []byte
}

// Result says what happened to one file.
type Result struct {
	Path    string
	Changed bool
}

// Write writes files under root. Each file is written to a temporary
// name in its directory and renamed into place; a file whose content is
// already right is left alone, so a second run changes nothing.
func Write(root string, files []File) ([]Result, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", root, err)
	}
	defer r.Close()
	var out []Result
	for _, f := range files {
		rel := strings.TrimPrefix(path.Clean(f.Path), "/")
		if rel == "" || strings.HasPrefix(rel, "../") {
			return out, fmt.Errorf("%s: refusing to write %s: not inside the root", root, f.Path)
		}
		if old, err := r.ReadFile(rel); err == nil && bytes.Equal(old, f.Content) {
			out = append(out, Result{Path: f.Path})
			continue
		}
		if err := r.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return out, fmt.Errorf("%s: creating %s: %w", root, path.Dir(f.Path), unwrap(err))
		}
		tmp := path.Join(path.Dir(rel), ".systemd-harden.tmp")
		if err := r.WriteFile(tmp, f.Content, 0o644); err != nil {
			return out, fmt.Errorf("%s: writing %s: %w", root, f.Path, unwrap(err))
		}
		if err := r.Chmod(tmp, 0o644); err != nil {
			_ = r.Remove(tmp)
			return out, fmt.Errorf("%s: writing %s: %w", root, f.Path, unwrap(err))
		}
		if err := r.Rename(tmp, rel); err != nil {
			_ = r.Remove(tmp)
			return out, fmt.Errorf("%s: writing %s: %w", root, f.Path, unwrap(err))
		}
		out = append(out, Result{Path: f.Path, Changed: true})
	}
	return out, nil
}

// Remove deletes drop-ins (stale ones of ours), inside the root only.
func Remove(root string, paths []string) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("opening %s: %w", root, err)
	}
	defer r.Close()
	for _, p := range paths {
		rel := strings.TrimPrefix(path.Clean(p), "/")
		if err := r.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: removing %s: %w", root, p, unwrap(err))
		}
		_ = r.Remove(path.Dir(rel)) // the .d directory, if now empty
	}
	return nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// CheckConfined refuses a root whose unit directories (or their parents)
// are symlinks leading outside it: the loader would read them
// chroot-style, but a writer must not be pointed out of the root.
func CheckConfined(root string, dirs []string) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("opening %s: %w", root, err)
	}
	defer r.Close()
	for _, d := range dirs {
		rel := strings.TrimPrefix(path.Clean(d), "/")
		if _, err := r.Stat(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: unit directory %s: %w", root, d, unwrap(err))
		}
	}
	return nil
}
