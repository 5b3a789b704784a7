package mapping

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"akship/agent"
	"akship/internal/datasets"
)

// TestMapNDJSONWritesWhatShips: the map command's documents are the bytes
// akship ships — the engine's JSON as written — so <, > and & stay as they
// are, not encoding/json's \u003c.
func TestMapNDJSONWritesWhatShips(t *testing.T) {
	m := newMapper(t, testConfig(t))
	records := map[agent.Dataset]string{
		datasets.User: `{"pk":1,"username":"<a&b>"}`,
		datasets.Event: `{"pk":"0f7b6a5c-1d2e-4f30-9a8b-7c6d5e4f3a2b","action":"login","app":"authentik.events",` +
			`"user":{"pk":7,"username":"<a&b>"},"context":{},"client_ip":"192.0.2.7","created":"2024-10-01T09:15:30.250Z"}`,
	}
	for d, rec := range records {
		var out bytes.Buffer
		if _, err := MapNDJSON(m, d, strings.NewReader(rec), &out); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		line := bytes.TrimSuffix(out.Bytes(), []byte("\n"))
		if !bytes.Contains(line, []byte(`"<a&b>"`)) || bytes.Contains(line, []byte(`\u003c`)) {
			t.Errorf("%s: the document is HTML-escaped, unlike what ships: %s", d, line)
		}
		if !json.Valid(line) {
			t.Errorf("%s: invalid JSON: %s", d, line)
		}
	}
}
