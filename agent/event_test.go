package agent

import (
	"errors"
	"testing"
)

func TestDocumentDecodes(t *testing.T) {
	e := &Event{Dataset: DatasetEvent, Raw: []byte(`{}`),
		Document: []byte(`{"event":{"dataset":"authentik.event"},"n":17,"f":1.5,"big":12345678901234567890,"huge":1e400}`)}
	doc := e.DecodeDocument()
	if doc["n"] != int64(17) || doc["f"] != 1.5 || doc["big"] != 1.2345678901234567e19 || doc["huge"] != "1e400" {
		t.Errorf("numbers: %#v", doc)
	}
	MarkError(e, errors.New("boom"))
	marked := e.DecodeDocument()
	ev := marked["event"].(map[string]any)
	if ev["kind"] != "pipeline_error" || ev["dataset"] != "authentik.event" || marked["n"] != int64(17) ||
		marked["big"] != 1.2345678901234567e19 {
		t.Errorf("marked document = %s", e.Document)
	}
}
