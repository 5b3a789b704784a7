package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkDir reports whether akship run could create (when missing) and
// write the directory dir, which the configuration key names, without
// leaving anything behind: it finds the nearest existing directory on the
// path and probes it with a temporary entry that it removes at once.
// validate --connect uses it so that it fails where run would and creates
// nothing.
func checkDir(key, dir string) error {
	if dir == "" {
		return fmt.Errorf("%s: is empty", key)
	}
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir() && p == filepath.Clean(dir):
			return fmt.Errorf("%s: %s exists and is not a directory", key, p)
		case err == nil && !fi.IsDir():
			return fmt.Errorf("%s: %s cannot be created: %s is not a directory", key, dir, p)
		case err == nil:
			return probeDir(key, dir, p)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s: %w", key, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("%s: %s cannot be created: no part of it exists", key, dir)
		}
		p = parent
	}
}

// probeDir checks that the existing directory p, on the way to dir, lets
// akship create what it needs: a file when p is dir itself, a directory
// otherwise.
func probeDir(key, dir, p string) error {
	const wx = 0x2 | 0x1 // W_OK | X_OK
	if err := syscall.Access(p, wx); err != nil {
		return fmt.Errorf("%s: %s is not writable by this user: %w", key, p, err)
	}
	if p == filepath.Clean(dir) {
		f, err := os.CreateTemp(p, ".akship-validate-*")
		if err != nil {
			return fmt.Errorf("%s: %s is not writable: %w", key, dir, osReason(err))
		}
		f.Close()
		return os.Remove(f.Name())
	}
	d, err := os.MkdirTemp(p, ".akship-validate-*")
	if err != nil {
		return fmt.Errorf("%s: %s cannot be created in %s: %w", key, dir, p, osReason(err))
	}
	return os.Remove(d)
}

// osReason is the system's reason of a failed file operation, without the
// name of the probe that failed.
func osReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
