package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// readLines decodes every line of an NDJSON file.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(out)+1, err, sc.Bytes())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func entry(id string, doc map[string]any) DeadLetterEntry {
	return DeadLetterEntry{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Dataset: DatasetEvent, ID: id,
		Destination: "logs-authentik.event-default", Error: "400 mapper_parsing_exception", Document: doc}
}

func TestDeadLetterFileWritesNDJSON(t *testing.T) {
	tests := []struct {
		name  string
		puts  [][]DeadLetterEntry
		lines int
	}{
		{name: "one entry", puts: [][]DeadLetterEntry{{entry("1", map[string]any{"a": "b"})}}, lines: 1},
		{name: "several puts append", lines: 3, puts: [][]DeadLetterEntry{
			{entry("1", map[string]any{"a": "b"}), entry("2", nil)},
			{entry("3", map[string]any{"user": map[string]any{"name": "zoë <admin> & \"co\"\n"}})},
		}},
		{name: "empty put", puts: [][]DeadLetterEntry{{}}, lines: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dlq", "dead-letter.ndjson")
			d, err := OpenDeadLetterFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var want []DeadLetterEntry
			for _, p := range tt.puts {
				if err := d.Put(p); err != nil {
					t.Fatalf("Put: %v", err)
				}
				want = append(want, p...)
			}
			if tt.lines == 0 {
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("file exists after putting nothing: %v", err)
				}
				return
			}
			got := readLines(t, path)
			if len(got) != tt.lines {
				t.Fatalf("%d lines, want %d", len(got), tt.lines)
			}
			for i, w := range want {
				raw, _ := json.Marshal(w)
				var wm map[string]any
				_ = json.Unmarshal(raw, &wm)
				if !reflect.DeepEqual(got[i], wm) {
					t.Errorf("line %d:\n got %v\nwant %v", i+1, got[i], wm)
				}
				for _, key := range []string{"@timestamp", "dataset", "id", "index", "error", "document"} {
					if _, ok := got[i][key]; !ok {
						t.Errorf("line %d has no %q", i+1, key)
					}
				}
			}
			data, _ := os.ReadFile(path)
			if strings.Contains(string(data), `\u003c`) {
				t.Errorf("HTML characters escaped: %s", data)
			}
		})
	}
}

func TestDeadLetterFileIsPrivateAndLazy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "dead-letter.ndjson")
	d, err := OpenDeadLetterFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.Path() != path {
		t.Errorf("Path() = %q, want %q", d.Path(), path)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v, %v; want mode 0700", st.Mode(), err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file created before the first entry: %v", err)
	}
	if err := d.Put([]DeadLetterEntry{entry("1", nil)}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v, %v; want mode 0600", st.Mode(), err)
	}
	// Closing and putting again appends to the same file.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := d.Put([]DeadLetterEntry{entry("2", nil)}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if n := len(readLines(t, path)); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

func TestDeadLetterFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T) string // where to open the file
		after   func(t *testing.T, path string)
		openErr string
		putErr  string
	}{
		{name: "parent is a regular file", openErr: "creating the dead-letter directory failed",
			path: func(t *testing.T) string {
				f := filepath.Join(t.TempDir(), "plain")
				os.WriteFile(f, nil, 0o600)
				return filepath.Join(f, "dlq", "dead-letter.ndjson")
			}},
		{name: "directory replaced by a file after open", putErr: "opening dead-letter file failed",
			path: func(t *testing.T) string { return filepath.Join(t.TempDir(), "d", "dead-letter.ndjson") },
			after: func(t *testing.T, path string) {
				os.RemoveAll(filepath.Dir(path))
				os.WriteFile(filepath.Dir(path), nil, 0o600)
			}},
		{name: "full disk", putErr: "writing dead-letter file /dev/full failed: write /dev/full: no space left on device",
			path: func(t *testing.T) string {
				if _, err := os.Stat("/dev/full"); err != nil {
					t.Skip("no /dev/full to emulate a full disk")
				}
				return "/dev/full"
			}},
		{name: "directory not writable", putErr: "permission denied",
			path: func(t *testing.T) string {
				if os.Geteuid() == 0 {
					t.Skip("root ignores directory permissions (covered by the cases above)")
				}
				dir := filepath.Join(t.TempDir(), "ro")
				os.Mkdir(dir, 0o500)
				return filepath.Join(dir, "dead-letter.ndjson")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			d, err := OpenDeadLetterFile(path)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Fatalf("OpenDeadLetterFile = %v, want an error containing %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if tt.after != nil {
				tt.after(t, path)
			}
			err = d.Put([]DeadLetterEntry{entry("1", map[string]any{"a": strings.Repeat("x", 10000)})})
			if err == nil || !strings.Contains(err.Error(), tt.putErr) {
				t.Fatalf("Put = %v, want an error containing %q", err, tt.putErr)
			}
		})
	}
}

func TestDeadLetterFileConcurrentPuts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead-letter.ndjson")
	d, err := OpenDeadLetterFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				doc := map[string]any{"pad": strings.Repeat("y", 100*i)}
				if err := d.Put([]DeadLetterEntry{entry(fmt.Sprintf("%d-%d", g, i), doc), entry("x", nil)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(readLines(t, path)); n != 8*25*2 {
		t.Errorf("%d lines, want %d", n, 8*25*2)
	}
}

// TestDeadLetterFileUnencodableDocument checks that a document JSON cannot
// represent (a NaN a mapping computed) still gets its line, keeping the
// original record: outputs reject such documents as Permanent, and a queue
// that refused them too would make the pipeline retry them forever.
func TestDeadLetterFileUnencodableDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead-letter.ndjson")
	d, err := OpenDeadLetterFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	doc := map[string]any{"event": map[string]any{"original": `{"pk":1}`, "risk_score": math.NaN()}}
	if err := d.Put([]DeadLetterEntry{entry("1", doc), entry("2", map[string]any{"ok": true})}); err != nil {
		t.Fatalf("Put = %v", err)
	}
	lines := readLines(t, path)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	want := map[string]any{"event": map[string]any{"original": `{"pk":1}`}}
	if got := lines[0]["document"]; !reflect.DeepEqual(got, want) {
		t.Errorf("document = %v, want %v", got, want)
	}
	if msg, _ := lines[0]["error"].(string); !strings.Contains(msg, "400 mapper_parsing_exception") ||
		!strings.Contains(msg, "NaN") {
		t.Errorf("error = %q, want the reason and the encoding failure", msg)
	}
}

// TestPipelineDeadLettersToFile runs the pipeline with the real file queue
// and an output that rejects a document that is not a JSON object.
func TestPipelineDeadLettersToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead-letter.ndjson")
	dlq, err := OpenDeadLetterFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	sink := newSink(BatchPolicy{MaxEvents: 10, FlushInterval: time.Millisecond})
	sink.write = func(_ context.Context, _ int, evs []*Event) error {
		pe := &PartialError{Failed: map[int]error{}}
		for i, e := range evs {
			if e.Document != nil && e.Document[0] != '{' {
				pe.Failed[i] = Permanent(fmt.Errorf("document %s is not a JSON object", e.ID))
			}
		}
		return pe
	}
	src := newTestSource(t, "s", 2, 3, 2)
	src.batches[1][1].Document = []byte(`[1]`)
	p := newPipeline(sink, dlq, src)
	if err := run(t, p); err != nil {
		t.Fatalf("Run = %v", err)
	}
	src.checkAcks(2, never)
	if lines := readLines(t, path); len(lines) != 1 || lines[0]["id"] != "s-1-1" {
		t.Errorf("dead-letter lines = %v, want one for s-1-1", lines)
	}
}
