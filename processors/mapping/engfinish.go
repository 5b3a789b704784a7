package mapping

import (
	"time"

	"akship/internal/jsonenc"
)

// The finishing fields, and the writer's helpers for object members.

// kvObject is a small object of the finishing fields, keys in byte order.
type kvObject struct {
	keys []string
	vals []any
}

// The finishing values that are not plain: each combines with the layers
// below it as finish does.
type (
	// timestampDefault is written when the layers below hold nothing.
	// (the collection time, which the writer keeps).
	timestampDefault struct{}
	// finalTags are the configured tags, then the document's own, then
	// preserve_original_event when anything failed.
	finalTags struct {
		tags   []string
		failed bool
	}
	// errorMessages are added after the document's own error.message.
	errorMessages []string
)

// finishConstants are a dataset's finishing values that are the same for
// every document, made once (boxed, so writing them allocates nothing).
type finishConstants struct {
	dataset          any // event.dataset
	tags, failedTags finalTags
}

// finishing holds the finishing fields' objects, rebuilt per document
// without allocating.
type finishing struct {
	collected             time.Time
	root, event, errorObj kvObject
	rootKeys, eventKeys   [4]string
	rootVals, eventVals   [4]any
}

// below is the value the layers under a finishing value hold at its key
// (nil when they hold an object or nothing): what finish reads there.
func below(lower []layer) any {
	if len(lower) == 0 || lower[len(lower)-1].object() {
		return nil
	}
	return lower[len(lower)-1].v
}

// tags writes the document's tags as finish sets them.
func (w *engWriter) tags(lower []layer, t finalTags) bool {
	var all []string
	add := func(s string) {
		for _, have := range all {
			if have == s {
				return
			}
		}
		all = append(all, s)
	}
	for _, s := range t.tags {
		add(s)
	}
	if len(lower) > 0 {
		w.scratch(lower)
		if own, ok := below(lower).([]any); ok {
			for _, v := range own {
				if s, ok := native(v).(string); ok && s != "" {
					add(s)
				}
			}
		}
	}
	if t.failed {
		add("preserve_original_event")
	}
	if len(all) == 0 {
		return false
	}
	w.b = append(w.b, '[')
	for i, s := range all {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = jsonenc.AppendString(w.b, s)
	}
	w.b = append(w.b, ']')
	return true
}

// messages writes error.message: the document's own message(s), then the
// failures' (a string when there is one in all).
func (w *engWriter) messages(lower []layer, msgs errorMessages) bool {
	start := len(w.b)
	w.b = append(w.b, '[')
	count := 0
	if len(lower) > 0 {
		switch prev := below(lower).(type) {
		case string:
			if w.value(prev) {
				count++
			}
		case []any:
			count = w.elements(prev, count)
		default:
			w.scratch(lower)
		}
	}
	if count == 0 && len(msgs) == 1 {
		w.b = jsonenc.AppendString(w.b[:start], msgs[0])
		return true
	}
	for _, m := range msgs {
		if count > 0 {
			w.b = append(w.b, ',')
		}
		w.b = jsonenc.AppendString(w.b, m)
		count++
	}
	w.b = append(w.b, ']')
	return true
}

// member starts writing a member of an object holding count members so
// far: the separator, the key, and the key on the failure path. It returns
// the mark endMember goes back to when the value turns out empty.
func (w *engWriter) member(count int, k string) int {
	mark := len(w.b)
	if count > 0 {
		w.b = append(w.b, ',')
	}
	w.b = jsonenc.AppendString(w.b, k)
	w.b = append(w.b, ':')
	w.f.path = append(w.f.path, k)
	return mark
}

// endMember ends a member: kept when its value was written (ok), else
// removed. It returns the new count of members.
func (w *engWriter) endMember(mark int, ok bool, count int) int {
	w.f.path = w.f.path[:len(w.f.path)-1]
	return w.endElement(mark, ok, count)
}

// closeObject ends an object begun at start: closed when it has members,
// else removed (an empty object is dropped).
func (w *engWriter) closeObject(start, count int) bool {
	return w.closeWith(start, count, '}')
}
