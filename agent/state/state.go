// Package state keeps the inputs' cursors on disk. Each input's cursor is a
// small JSON file in the state directory, replaced atomically (temporary
// file, fsync, rename, fsync of the directory) so a crash leaves either the
// old or the new cursor, never a torn one. Files are private (0600): a cursor
// reveals which audit records were read. A file that does not parse is an
// error naming the file, never a silent restart from scratch.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// formatVersion is written in every state file; a file from a newer format
// is refused rather than misread.
const formatVersion = 1

// Store is an open state directory. It holds an exclusive lock on the
// directory, so two agents cannot interleave cursors in it.
type Store struct {
	dir  string
	lock *os.File
}

// envelope is the on-disk shape of a state file.
type envelope struct {
	Version int             `json:"version"`
	Name    string          `json:"name"`
	Updated time.Time       `json:"updated"`
	Cursor  json.RawMessage `json:"cursor"`
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// Open creates (0700) and locks the state directory.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("state.path is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		// The OS error names only the part of the path that failed; name
		// the configured directory too.
		return nil, fmt.Errorf("creating state directory %s failed: %w", dir, err)
	}
	lockPath := filepath.Join(dir, ".lock")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory %s is not usable: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(lockPath)
		f.Close()
		return nil, fmt.Errorf("state directory %s is in use by another akship process (pid %s): %w",
			dir, strings.TrimSpace(string(owner)), err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	if err := probeWritable(dir); err != nil {
		f.Close()
		return nil, err
	}
	return &Store{dir: dir, lock: f}, nil
}

// probeWritable fails early when cursors could not be saved, instead of
// after a whole backfill.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("state directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file that holds the cursor called name.
func (s *Store) Path(name string) string { return filepath.Join(s.dir, name+".json") }

// Load reads the cursor called name into v. It returns false, nil when there
// is no cursor yet (first run).
func (s *Store) Load(name string, v any) (bool, error) {
	if !validName.MatchString(name) {
		return false, fmt.Errorf("invalid state name %q", name)
	}
	path := s.Path(name)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading state file failed: %w", err)
	}
	var env envelope
	// A null cursor or a version below 1 is no more a cursor than a missing
	// one: decoding "null" would leave v at its zero value, a silent restart
	// from scratch.
	err = json.Unmarshal(data, &env)
	if err != nil || env.Version < 1 || len(env.Cursor) == 0 || string(env.Cursor) == "null" {
		reason := "it is not a state file written by akship"
		if err != nil {
			reason = err.Error()
		}
		return false, fmt.Errorf("state file %s is corrupt (%s); akship will not guess a cursor: "+
			"restore it from a backup, or delete it to collect again from inputs.%s.start", path, reason, name)
	}
	if env.Version > formatVersion {
		return false, fmt.Errorf("state file %s has format version %d, newer than this akship understands (%d)",
			path, env.Version, formatVersion)
	}
	if env.Name != "" && env.Name != name {
		// A file copied or renamed from another input: its cursor would
		// decode into this one's type with unknown fields ignored, which is
		// a silent restart too.
		return false, fmt.Errorf("state file %s belongs to %q, not %q; restore the right file, or delete it to "+
			"collect again from inputs.%s.start", path, env.Name, name, name)
	}
	if err := json.Unmarshal(env.Cursor, v); err != nil {
		return false, fmt.Errorf("state file %s has an unreadable cursor (%v); restore it from a backup, "+
			"or delete it to collect again from inputs.%s.start", path, err, name)
	}
	return true, nil
}

// Save replaces the cursor called name with v, atomically and durably.
func (s *Store) Save(name string, v any) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("invalid state name %q", name)
	}
	cursor, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding cursor %s failed: %w", name, err)
	}
	data, err := json.Marshal(envelope{Version: formatVersion, Name: name, Updated: time.Now().UTC(), Cursor: cursor})
	if err != nil {
		return fmt.Errorf("encoding cursor %s failed: %w", name, err)
	}
	return writeAtomic(s.Path(name), append(data, '\n'))
}

// Close releases the directory lock.
func (s *Store) Close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving state failed: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state failed: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state %s failed: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state %s failed: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving state %s failed: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving state %s failed: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("saving state %s failed: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("saving state %s failed: %w", path, err)
	}
	return nil
}
