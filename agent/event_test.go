package agent

import (
	"errors"
	"testing"
)

func TestDocumentDecodesFieldsJSON(t *testing.T) {
	e := &Event{Dataset: DatasetEvent, Raw: []byte(`{}`),
		FieldsJSON: []byte(`{"event":{"dataset":"authentik.event"},"n":17,"f":1.5,"big":12345678901234567890,"huge":1e400}`)}
	doc := e.Document()
	if doc["n"] != int64(17) || doc["f"] != 1.5 || doc["big"] != 1.2345678901234567e19 || doc["huge"] != "1e400" {
		t.Errorf("numbers: %#v", doc)
	}
	MarkError(e, errors.New("boom"))
	if e.FieldsJSON != nil || e.Fields == nil {
		t.Fatalf("MarkError left FieldsJSON %q, Fields %v", e.FieldsJSON, e.Fields)
	}
	ev := e.Fields["event"].(map[string]any)
	if ev["kind"] != "pipeline_error" || ev["dataset"] != "authentik.event" || e.Fields["n"] != int64(17) {
		t.Errorf("marked document = %v", e.Fields)
	}
}
