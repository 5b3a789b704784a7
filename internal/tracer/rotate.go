package tracer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// rotator is a trace file rotated by size: when a write would take the
// file past maxBytes it becomes path.1, path.1 becomes path.2 and so on,
// and files beyond path.<backups> are removed. Rotation happens inside
// Write, synchronously, so the number of files never exceeds backups+1.
// Every Write is one whole trace line and is never split across files.
type rotator struct {
	path     string
	maxBytes int64
	backups  int

	mu sync.Mutex
	// f is the open file; nil after release, or after a failed rotation
	// until the next Write opens it again.
	f      *os.File
	size   int64
	closed bool // released: Write fails instead of reopening
	// refs counts the tracers writing to this file (see acquire).
	refs int
}

// files holds the open trace files by absolute path, so tracers of several
// components given the same path share one rotator instead of rotating the
// file under each other. It is process-wide because the file is.
var files = struct {
	sync.Mutex
	m map[string]*rotator
}{m: map[string]*rotator{}}

// acquire opens the trace file at path, or shares it if another tracer
// already has it open (the first opener's size limits then apply).
func acquire(path string, maxBytes int64, backups int) (*rotator, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("tracer: resolving path failed: %w", err)
	}
	files.Lock()
	defer files.Unlock()
	if r := files.m[abs]; r != nil {
		r.refs++
		return r, nil
	}
	r := &rotator{path: abs, maxBytes: maxBytes, backups: backups, refs: 1}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("tracer: creating the trace directory failed: %w", err)
	}
	if err := r.open(os.O_APPEND); err != nil {
		return nil, err
	}
	files.m[abs] = r
	return r, nil
}

// release drops one reference and closes the file with the last one.
func (r *rotator) release() error {
	files.Lock()
	defer files.Unlock()
	r.refs--
	if r.refs > 0 {
		return nil
	}
	delete(files.m, r.path)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// open opens the file for writing with the extra flag (O_APPEND to keep
// an existing trace, O_TRUNC to start afresh) and forces mode 0600, even on
// a file created earlier with a wider mode.
func (r *rotator) open(flag int) error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|flag, 0o600)
	if err != nil {
		return fmt.Errorf("tracer: opening the trace file failed: %w", err)
	}
	info, err := f.Stat()
	if err == nil && info.Mode().Perm() != 0o600 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("tracer: securing the trace file failed: %w", err)
	}
	r.f, r.size = f, info.Size()
	return nil
}

// Write appends one line, rotating first if it would not fit. After a
// failed rotation (the line is then lost and the error returned) the next
// Write opens the file again, so tracing resumes once the cause is gone.
func (r *rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errors.New("tracer: the trace file is closed")
	}
	if r.f == nil {
		if err := r.open(os.O_APPEND); err != nil {
			return 0, err
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > r.maxBytes {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts the backups and starts a new file. It is called with mu
// held.
func (r *rotator) rotate() error {
	if err := r.f.Close(); err != nil {
		r.f = nil
		return fmt.Errorf("tracer: closing the trace file failed: %w", err)
	}
	r.f = nil
	r.removeExtraBackups()
	if r.backups > 0 {
		for i := r.backups - 1; i >= 1; i-- {
			err := os.Rename(r.backup(i), r.backup(i+1))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("tracer: rotating the trace file failed: %w", err)
			}
		}
		if err := os.Rename(r.path, r.backup(1)); err != nil {
			return fmt.Errorf("tracer: rotating the trace file failed: %w", err)
		}
	}
	return r.open(os.O_TRUNC)
}

// backup is the name of the i-th rotated file.
func (r *rotator) backup(i int) string { return r.path + "." + strconv.Itoa(i) }

// removeExtraBackups deletes rotated files numbered from backups onwards:
// the last one is about to be replaced, and higher ones are left over from
// a configuration that kept more.
func (r *rotator) removeExtraBackups() {
	dir, base := filepath.Split(r.path)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), base+".")
		n, err := strconv.Atoi(suffix)
		if ok && err == nil && n >= r.backups && suffix == strconv.Itoa(n) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
