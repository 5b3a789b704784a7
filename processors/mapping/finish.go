package mapping

import (
	"slices"
	"time"

	"akship/internal/jsonenc"
)

// finish completes a mapped document the way the reference's pipeline
// head and tail do: empty values dropped and failures collected (see
// finisher), event.original set to the record exactly as received, the
// configured tags, @timestamp defaulting to the collection time, and, when
// anything failed, error.message, event.kind pipeline_error and the tag
// preserve_original_event. event.dataset is set to dataset, as
// Elasticsearch's data stream would set it (the native twin writes it
// too, so the output need not add it).
func finish(doc map[string]any, f *finisher, original string, collected time.Time, tags []string, dataset string) {
	f.cleanMap(doc)
	event := childMap(doc, "event")
	if original != "" {
		event["original"] = original
	}
	event["dataset"] = dataset
	if _, ok := doc["@timestamp"]; !ok {
		doc["@timestamp"] = formatDate(collected)
	}
	all := make([]any, 0, len(tags)+1)
	for _, t := range tags {
		all = addUnique(all, t)
	}
	if own, ok := doc["tags"].([]any); ok {
		for _, t := range own {
			if s, ok := t.(string); ok {
				all = addUnique(all, s)
			}
		}
	}
	if msgs := f.messages(); len(msgs) > 0 {
		addErrorMessages(childMap(doc, "error"), msgs)
		event["kind"] = "pipeline_error"
		all = addUnique(all, "preserve_original_event")
	}
	if len(all) > 0 {
		doc["tags"] = all
	} else {
		delete(doc, "tags")
	}
}

// childMap returns doc[key] as a map, replacing anything else there.
func childMap(doc map[string]any, key string) map[string]any {
	m, ok := doc[key].(map[string]any)
	if !ok {
		m = map[string]any{}
		doc[key] = m
	}
	return m
}

func addUnique(l []any, v string) []any {
	if slices.Contains(l, any(v)) {
		return l
	}
	return append(l, v)
}

// addErrorMessages adds messages to error.message, after any message the
// program set itself: a string for one message, a list for several (as
// agent.MarkError does).
func addErrorMessages(errObj map[string]any, msgs []string) {
	var all []any
	switch prev := errObj["message"].(type) {
	case string:
		all = append(all, prev)
	case []any:
		all = append(all, prev...)
	}
	for _, m := range msgs {
		all = append(all, m)
	}
	if len(all) == 1 {
		errObj["message"] = all[0]
		return
	}
	errObj["message"] = all
}

// tagsJSON encodes the tags finish sets (see above), as the document's
// "tags" key: without and with the tag preserve_original_event; empty
// when there are no tags.
func tagsJSON(tags []string) (out [2]string) {
	var all []any
	for _, t := range tags {
		all = addUnique(all, t)
	}
	for i, l := range [][]any{all, addUnique(slices.Clone(all), "preserve_original_event")} {
		if len(l) > 0 {
			b, _ := (&jsonenc.Encoder{}).Append([]byte(`,"tags":`), l)
			out[i] = string(b)
		}
	}
	return out
}
