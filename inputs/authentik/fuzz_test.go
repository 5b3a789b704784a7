package authentik

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// referenceEventKey is what parseEventKey computed before the single-pass
// page decoder: a full encoding/json decode of the record. The fast path
// must give the same answer for every record.
func referenceEventKey(raw []byte) (eventKey, error) {
	var r struct {
		PK      string `json:"pk"`
		Created string `json:"created"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return eventKey{}, err
	}
	if r.PK == "" {
		return eventKey{}, errors.New("event has no pk")
	}
	t, err := time.Parse(time.RFC3339Nano, r.Created)
	if err != nil {
		return eventKey{}, err
	}
	return eventKey{pk: r.PK, created: t.UTC()}, nil
}

// addCorpus adds the FuzzDecodePage corpus as seeds, so both page targets
// share one corpus of pages (testdata/fuzz/FuzzDecodePage).
func addCorpus(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodePage", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		lit, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "go test fuzz v1\n[]byte(")
		if s, err := strconv.Unquote(strings.TrimSuffix(lit, ")")); ok && err == nil {
			f.Add([]byte(s))
		}
	}
}

// FuzzDecodePageKeys decodes arbitrary bodies as the events input does —
// decodePage, then parseEventKey for every record — and checks that
// nothing panics, that an accepted page is valid JSON made of valid JSON
// records, and that every record's key (pk, created, or the refusal to
// place it) is exactly what a full encoding/json decode of the record
// gives. FuzzDecodePage (page_test.go) checks the page itself against
// encoding/json; this target covers the cursor's view of each record.
func FuzzDecodePageKeys(f *testing.F) {
	addCorpus(f)
	f.Add([]byte(`{"pagination":{"next":0},"results":[{"pk":"a","created":"2025-06-01T13:48:00.5+02:00"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var page Page
		if err := decodePage(body, &page); err != nil {
			if !strings.Contains(err.Error(), "page") && !strings.Contains(err.Error(), "list") {
				t.Fatalf("decodePage error does not say what was wrong: %v", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("decodePage accepted invalid JSON %q", body)
		}
		for i, raw := range page.Results {
			if !json.Valid(raw) {
				t.Fatalf("record %d is not valid JSON: %q", i, raw)
			}
			got, gerr := parseEventKey(&page, i)
			want, werr := referenceEventKey(raw)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("record %q: parseEventKey error %v, encoding/json %v", raw, gerr, werr)
			}
			if gerr != nil {
				continue
			}
			if got.pk != want.pk || !got.created.Equal(want.created) || got.created.Location() != time.UTC {
				t.Fatalf("record %q: key %q %v, encoding/json %q %v", raw, got.pk, got.created, want.pk, want.created)
			}
		}
	})
}
