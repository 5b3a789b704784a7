package file

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"akship/agent"
	"akship/internal/datasets"
)

func event(d agent.Dataset, id string) *agent.Event {
	return &agent.Event{Dataset: d, ID: id, Raw: []byte(`{"pk":"` + id + `"}`)}
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("invalid line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestWriteOneFilePerDataset(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = t.TempDir()
	o := New(cfg, nil, nil)
	ctx := context.Background()
	if err := o.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mapped := event(datasets.User, "u1")
	if err := mapped.SetDocument(map[string]any{"user": map[string]any{"name": "akadmin <&>"},
		"event": map[string]any{"dataset": "authentik.user"}}); err != nil {
		t.Fatal(err)
	}
	evs := []*agent.Event{event(datasets.Event, "e1"), mapped, event(datasets.Event, "e2")}
	if err := o.Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	events := readLines(t, o.FilePath(datasets.Event))
	if len(events) != 2 {
		t.Fatalf("%d event lines, want 2", len(events))
	}
	ev := events[0]["event"].(map[string]any)
	if ev["original"] != `{"pk":"e1"}` || ev["dataset"] != "authentik.event" {
		t.Errorf("unmapped event document = %v", events[0])
	}
	users := readLines(t, o.FilePath(datasets.User))
	if len(users) != 1 || users[0]["data_stream"].(map[string]any)["dataset"] != "authentik.user" {
		t.Fatalf("user lines = %v", users)
	}
	raw, _ := os.ReadFile(o.FilePath(datasets.User))
	if !json.Valid(raw[:len(raw)-1]) || string(raw[len(raw)-1]) != "\n" {
		t.Errorf("user file is not one JSON document per line: %q", raw)
	}
}

func TestRotationKeepsEveryDocument(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = t.TempDir()
	cfg.MaxBytes = 200
	o := New(cfg, nil, nil)
	ctx := context.Background()
	_ = o.Start(ctx)
	for i := 0; i < 20; i++ {
		if err := o.Write(ctx, []*agent.Event{event(datasets.Event, string(rune('a'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	_ = o.Close(ctx)
	files, _ := filepath.Glob(filepath.Join(cfg.Path, "authentik.event*.ndjson"))
	total := 0
	for _, f := range files {
		total += len(readLines(t, f))
	}
	if len(files) < 2 || total != 20 {
		t.Fatalf("%d files with %d documents, want several files with 20", len(files), total)
	}
}

func TestUnwritableFileFailsOnlyItsDataset(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = t.TempDir()
	o := New(cfg, nil, nil)
	ctx := context.Background()
	_ = o.Start(ctx)
	// A directory where the group file should be makes its writes fail.
	if err := os.Mkdir(o.FilePath(datasets.Group), 0o700); err != nil {
		t.Fatal(err)
	}
	err := o.Write(ctx, []*agent.Event{event(datasets.Event, "e"), event(datasets.Group, "g")})
	var pe *agent.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || pe.Failed[1] == nil || agent.IsPermanent(pe.Failed[1]) {
		t.Fatalf("Write error = %v, want a retryable failure of the group document only", err)
	}
	if n := len(readLines(t, o.FilePath(datasets.Event))); n != 1 {
		t.Errorf("event file has %d lines, want 1", n)
	}
}

func TestWriteSerialisedDocument(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = t.TempDir()
	o := New(cfg, nil, nil)
	ctx := context.Background()
	if err := o.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := event(datasets.Event, "e1")
	e.Document = []byte(`{"event":{"dataset":"authentik.event","original":"{\"pk\":\"e1\"}"},"n":12345678901234567890}`)
	if err := o.Write(ctx, []*agent.Event{e}); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(o.FilePath(datasets.Event))
	want := `{"event":{"dataset":"authentik.event","original":"{\"pk\":\"e1\"}"},"n":12345678901234567890,` +
		`"data_stream":{"dataset":"authentik.event"}}` + "\n"
	if string(raw) != want {
		t.Errorf("file = %s, want %s", raw, want)
	}
}
