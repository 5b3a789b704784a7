package state

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type cursor struct {
	Created time.Time `json:"created"`
	PK      string    `json:"pk"`
	Seen    []string  `json:"seen,omitempty"`
	Page    int       `json:"page"`
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		saves []cursor // the last one is expected back
	}{
		{name: "one", saves: []cursor{{Created: time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC), PK: "a1b2"}}},
		{name: "replaced", saves: []cursor{{PK: "old", Page: 3}, {PK: "new", Seen: []string{"x", "ÿ"}}}},
		{name: "zero value", saves: []cursor{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			var got cursor
			if ok, err := s.Load("events", &got); ok || err != nil {
				t.Fatalf("Load before Save = %v, %v; want false, nil", ok, err)
			}
			for _, c := range tt.saves {
				if err := s.Save("events", c); err != nil {
					t.Fatalf("Save: %v", err)
				}
			}
			ok, err := s.Load("events", &got)
			if !ok || err != nil {
				t.Fatalf("Load = %v, %v", ok, err)
			}
			if want := tt.saves[len(tt.saves)-1]; !reflect.DeepEqual(got, want) {
				t.Errorf("Load = %+v, want %+v", got, want)
			}
			// A second store on the same directory (after a restart) reads it too.
			s.Close()
			s2 := open(t, s.Dir())
			var again cursor
			if ok, err := s2.Load("events", &again); !ok || err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("Load after reopen = %+v, %v, %v", again, ok, err)
			}
		})
	}
}

func TestFilesArePrivateAndNoTempLeft(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	s := open(t, dir)
	for i := range 5 {
		if err := s.Save("events", cursor{Page: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save("users", cursor{}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	if want := []string{".lock", "events.json", "users.json"}; !slices.Equal(names, want) {
		t.Errorf("directory holds %v, want %v (no temporary or probe files)", names, want)
	}
	if s.Path("events") != filepath.Join(dir, "events.json") {
		t.Errorf("Path = %q", s.Path("events"))
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	good := `{"version":1,"name":"events","updated":"2026-01-01T00:00:00Z","cursor":{"pk":"x","page":2}}`
	tests := []struct {
		name    string
		content string
		wantErr string // besides the file's path
	}{
		{name: "empty", content: "", wantErr: "is corrupt"},
		{name: "whitespace", content: "\n \n", wantErr: "is corrupt"},
		{name: "truncated", content: good[:len(good)/2], wantErr: "is corrupt"},
		{name: "truncated at the end", content: good[:len(good)-1], wantErr: "is corrupt"},
		{name: "zero bytes", content: "\x00\x00\x00\x00", wantErr: "is corrupt"},
		{name: "garbage", content: "cursor=12", wantErr: "is corrupt"},
		{name: "trailing garbage", content: good + "}", wantErr: "is corrupt"},
		{name: "empty object", content: `{}`, wantErr: "is corrupt"},
		{name: "null", content: `null`, wantErr: "is corrupt"},
		{name: "list", content: `[1]`, wantErr: "is corrupt"},
		{name: "no cursor", content: `{"version":1,"name":"events"}`, wantErr: "is corrupt"},
		{name: "null cursor", content: `{"version":1,"name":"events","cursor":null}`, wantErr: "is corrupt"},
		{name: "version zero", content: `{"version":0,"cursor":{"pk":"x"}}`, wantErr: "is corrupt"},
		{name: "negative version", content: `{"version":-1,"cursor":{"pk":"x"}}`, wantErr: "is corrupt"},
		{name: "wrong cursor type", content: `{"version":1,"name":"events","cursor":"x"}`, wantErr: "unreadable cursor"},
		{name: "another input's file", content: strings.Replace(good, `"events"`, `"users"`, 1),
			wantErr: `belongs to "users"`},
		{name: "newer format", content: strings.Replace(good, `"version":1`, `"version":2`, 1),
			wantErr: "format version 2, newer than this akship understands (1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			path := s.Path("events")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var c cursor
			ok, err := s.Load("events", &c)
			if ok || err == nil {
				t.Fatalf("Load = %v, %v (cursor %+v); want an error, never a fresh start", ok, err, c)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q: want the path %s and %q", err, path, tt.wantErr)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.content {
				t.Error("the bad file was modified")
			}
		})
	}
	t.Run("state file is a directory", func(t *testing.T) {
		s := open(t, t.TempDir())
		os.Mkdir(s.Path("events"), 0o700)
		if _, err := s.Load("events", &cursor{}); err == nil || !strings.Contains(err.Error(), s.Path("events")) {
			t.Errorf("Load = %v, want an error naming the file", err)
		}
	})
	t.Run("good file", func(t *testing.T) {
		s := open(t, t.TempDir())
		os.WriteFile(s.Path("events"), []byte(good), 0o600)
		// A temporary file left by a crash mid-save is ignored.
		os.WriteFile(filepath.Join(s.Dir(), ".events.json.tmp-123"), []byte("{"), 0o600)
		var c cursor
		if ok, err := s.Load("events", &c); !ok || err != nil || c.PK != "x" || c.Page != 2 {
			t.Errorf("Load = %v, %v, %+v", ok, err, c)
		}
	})
}

func TestInvalidNames(t *testing.T) {
	s := open(t, t.TempDir())
	for _, name := range []string{"", "../events", "a/b", "Events", ".hidden", "-x", "with space"} {
		if err := s.Save(name, 1); err == nil || !strings.Contains(err.Error(), "invalid state name") {
			t.Errorf("Save(%q) = %v, want invalid name", name, err)
		}
		var v int
		if _, err := s.Load(name, &v); err == nil || !strings.Contains(err.Error(), "invalid state name") {
			t.Errorf("Load(%q) = %v, want invalid name", name, err)
		}
	}
	if err := s.Save("unencodable", func() {}); err == nil || !strings.Contains(err.Error(), "encoding cursor") {
		t.Errorf("Save(func) = %v", err)
	}
}

func TestOpenLocksTheDirectory(t *testing.T) {
	dir := t.TempDir()
	first := open(t, dir)
	_, err := Open(dir)
	if err == nil {
		t.Fatal("a second Open of a locked directory succeeded")
	}
	for _, want := range []string{dir, "in use by another akship process", "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q: want %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	second, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	second.Close()
}

func TestOpenUnusableDirectory(t *testing.T) {
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		wantErr string
	}{
		{name: "empty path", dir: func(*testing.T) string { return "" }, wantErr: "state.path is empty"},
		{name: "under a regular file", wantErr: "failed: mkdir", dir: func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "plain")
			os.WriteFile(f, nil, 0o600)
			return filepath.Join(f, "state")
		}},
		{name: "a regular file", wantErr: "failed: mkdir", dir: func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "plain")
			os.WriteFile(f, nil, 0o600)
			return f
		}},
		{name: "lock file unusable", wantErr: "is not usable", dir: func(t *testing.T) string {
			d := t.TempDir()
			os.Mkdir(filepath.Join(d, ".lock"), 0o700)
			return d
		}},
		{name: "read-only filesystem", wantErr: "state directory", dir: func(t *testing.T) string {
			if st, err := os.Stat("/proc/self"); err != nil || !st.IsDir() {
				t.Skip("no /proc")
			}
			return "/proc/self/akship-state"
		}},
		{name: "directory not writable", wantErr: "not", dir: func(t *testing.T) string {
			if os.Geteuid() == 0 {
				t.Skip("root ignores directory permissions (covered by the cases above)")
			}
			d := filepath.Join(t.TempDir(), "ro")
			os.Mkdir(d, 0o500)
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			s, err := Open(dir)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", dir)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q: want %q and the path %q", err, tt.wantErr, dir)
			}
		})
	}
}

func TestSaveFailureNamesThePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := open(t, dir)
	if err := s.Save("events", cursor{PK: "before"}); err != nil {
		t.Fatal(err)
	}
	// The directory disappears under the agent (an operator, a full tmpfs
	// remount): saving fails loudly instead of pretending.
	os.RemoveAll(dir)
	os.WriteFile(dir, nil, 0o600)
	err := s.Save("events", cursor{PK: "after"})
	if err == nil || !strings.Contains(err.Error(), "saving state") || !strings.Contains(err.Error(), dir) {
		t.Errorf("Save = %v, want an error naming %s", err, dir)
	}
}
