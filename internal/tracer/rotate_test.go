package tracer

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// traceFiles lists the files in dir with their sizes, checking each is
// 0600.
func traceFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
		out[e.Name()] = info.Size()
	}
	return out
}

func TestRotationKeepsMaxBackups(t *testing.T) {
	tests := []struct {
		backups int
		want    []string
	}{
		{backups: 0, want: []string{"http-trace.ndjson"}},
		{backups: 2, want: []string{"http-trace.ndjson", "http-trace.ndjson.1", "http-trace.ndjson.2"}},
		{backups: 5, want: []string{"http-trace.ndjson", "http-trace.ndjson.1", "http-trace.ndjson.2",
			"http-trace.ndjson.3", "http-trace.ndjson.4", "http-trace.ndjson.5"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max_backups=%d", tt.backups), func(t *testing.T) {
			tr := newTracer(t, func(c *Config) { c.MaxFileBytes, c.MaxBackups = 2048, tt.backups })
			dir := filepath.Dir(tr.Path())
			// A leftover from a configuration that kept more backups.
			if err := os.WriteFile(tr.Path()+".9", []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			srv := newEchoServer(t, strings.Repeat("x", 300), false)
			client := &http.Client{Transport: tr.Wrap(nil)}
			for range 40 {
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			files := traceFiles(t, dir)
			var names []string
			for name, size := range files {
				names = append(names, name)
				if size > 2048 {
					t.Errorf("%s is %d bytes, above max_file_bytes", name, size)
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.want) {
				t.Errorf("files = %v, want %v", names, tt.want)
			}
			if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
				t.Errorf("directory mode = %v, %v; want 0700", info.Mode().Perm(), err)
			}
		})
	}
}

func TestExistingFileBecomes0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.ndjson")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Enabled, cfg.Path = true, path
	tr, err := New(cfg, "outputs.elasticsearch")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 || info.Size() != 3 {
		t.Errorf("mode %v size %d; want 0600 and the old content kept", info.Mode().Perm(), info.Size())
	}
}

func TestSharedAndPatternPaths(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Enabled = true
	open := func(path, component string) *Tracer {
		c := cfg
		c.Path = path
		tr, err := New(c, component)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	shared := filepath.Join(dir, "http-trace.ndjson")
	a, b := open(shared, "inputs.authentik"), open(shared, "outputs.elasticsearch")
	p1, p2 := open(filepath.Join(dir, "t-*.ndjson"), "inputs.authentik"), open(filepath.Join(dir, "t-*.ndjson"), "a/b c")
	if a.Path() != b.Path() || a.out != b.out {
		t.Error("two tracers on one path do not share the file")
	}
	if got := filepath.Base(p1.Path()); got != "t-inputs.authentik.ndjson" {
		t.Errorf("pattern path = %q", got)
	}
	if got := filepath.Base(p2.Path()); got != "t-a_b_c.ndjson" {
		t.Errorf("pattern path = %q", got)
	}
	srv := newEchoServer(t, "ok", false)
	for _, tr := range []*Tracer{a, b} {
		resp, err := (&http.Client{Transport: tr.Wrap(nil)}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// b still writes after a closed; a's transport goes out untraced.
	for _, tr := range []*Tracer{a, b} {
		resp, err := (&http.Client{Transport: tr.Wrap(nil)}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, lines := readTrace(t, shared)
	var comps []string
	for _, l := range lines {
		comps = append(comps, l.Component)
	}
	if want := []string{"inputs.authentik", "outputs.elasticsearch", "outputs.elasticsearch"}; !slices.Equal(comps, want) {
		t.Errorf("components = %v, want %v", comps, want)
	}
	for _, tr := range []*Tracer{b, p1, p2} {
		if err := tr.Close(); err != nil {
			t.Error(err)
		}
	}
	if len(files.m) != 0 {
		t.Errorf("%d files still open after every tracer closed", len(files.m))
	}
}

func TestDisabled(t *testing.T) {
	tr, err := New(Config{Path: ""}, "inputs.authentik")
	if err != nil {
		t.Fatal(err)
	}
	var nilTracer *Tracer
	for _, tr := range []*Tracer{tr, nilTracer} {
		tr.AddSecret(secret)
		if got := tr.Wrap(http.DefaultTransport); got != http.DefaultTransport {
			t.Error("a disabled tracer wrapped the transport")
		}
		if tr.Path() != "" || tr.Close() != nil {
			t.Error("a disabled tracer has a file")
		}
	}
}

func TestTracingResumesAfterAFailedRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "http-trace.ndjson")
	r, err := acquire(path, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("first 789\n")); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the backup makes the rotation fail.
	if err := os.MkdirAll(filepath.Join(path+".1", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("lost\n")); err == nil {
		t.Fatal("Write succeeded although the rotation could not rename the file")
	}
	if err := os.RemoveAll(path + ".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("third\n")); err != nil {
		t.Fatalf("Write after the cause of the failed rotation is gone = %v, want tracing to resume", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "third\n" {
		t.Errorf("trace file = %q, want the line written after the recovery", got)
	}
	if got, _ := os.ReadFile(path + ".1"); string(got) != "first 789\n" {
		t.Errorf("backup = %q, want the first line", got)
	}
	if err := r.release(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("late\n")); err == nil {
		t.Error("Write after release succeeded")
	}
}
