package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/go-cmp/cmp"

	"akship/agent"
	"akship/internal/jsonenc"
)

// The reference evaluation: each program planned as a whole and evaluated
// by cel-go's ordinary Eval, its result converted to maps, the extension
// deep-merged, and finish run on the document, as akship mapped before the
// engine. The tests require the engine to write exactly the bytes the
// Elasticsearch output's encoder gives for the reference document.

// referenceMap maps a record of dataset d the reference way.
func referenceMap(m *Mapper, d agent.Dataset, raw []byte, collected time.Time) (map[string]any, error) {
	return m.datasets[d].mapTree(context.Background(), raw, collected)
}

// checkEngine maps raw with the engine and with the reference and requires
// the same bytes and the same error.
func checkEngine(t testing.TB, m *Mapper, d agent.Dataset, raw []byte) {
	t.Helper()
	ref, refErr := referenceMap(m, d, raw, goldenCollected)
	js, err := m.mapDocument(d, raw, goldenCollected)
	if fmt.Sprint(err) != fmt.Sprint(refErr) {
		t.Fatalf("engine error %v, reference %v, for %q", err, refErr, raw)
	}
	want, encErr := (&jsonenc.Encoder{}).Append(nil, ref)
	if encErr != nil {
		t.Fatalf("the reference document does not encode: %v", encErr)
	}
	got, gotErr := parseJSON(js)
	shipped, wantErr := parseJSON(want)
	if gotErr != nil || wantErr != nil || !reflect.DeepEqual(got, shipped) || !bytes.Equal(js, want) {
		rj, _ := json.MarshalIndent(ref, "", " ")
		t.Fatalf("engine and reference differ for %q (-reference +engine):\n%s\ndecoded:\n%s\nerrors: %v / %v",
			raw, cmp.Diff(string(want), string(js)), rj, wantErr, gotErr)
	}
}

// mapTree maps a record to a document of maps.
func (dm *datasetMapper) mapTree(ctx context.Context, raw []byte, collected time.Time) (map[string]any, error) {
	var f finisher
	record, original, err := decodeRecord(raw)
	if err != nil {
		f.add(fail("%v", err))
		record = map[string]any{}
	}
	doc, evalErr := dm.eval(ctx, record, collected)
	if evalErr != nil {
		f.add(fail("%v", evalErr))
		if doc == nil {
			doc = map[string]any{}
		}
	}
	finish(doc, &f, original, collected, dm.tags, dm.dataset)
	// One error, not errors.Join: callers that flatten joined errors (the
	// map command) must keep MapNDJSON's "line N:" prefix on it.
	switch {
	case err != nil && evalErr != nil:
		return doc, fmt.Errorf("%w (and %v)", err, evalErr)
	case err != nil:
		return doc, err
	}
	return doc, evalErr
}

// eval runs the dataset's program and its extension. When only the
// extension fails, the mapped document is returned with the error.
func (dm *datasetMapper) eval(ctx context.Context, record map[string]any, collected time.Time) (map[string]any, error) {
	act := &activation{
		record:    adapter.NativeToValue(record),
		tags:      dm.tagsVal,
		collected: types.Timestamp{Time: collected},
	}
	doc, err := run(ctx, dm.program, act)
	if err != nil || dm.extend == nil {
		return doc, err
	}
	act.doc = adapter.NativeToValue(doc)
	more, err := run(ctx, dm.extend, act)
	if err != nil {
		return doc, err
	}
	return deepMerge(doc, more), nil
}

func run(ctx context.Context, c *compiled, act *activation) (map[string]any, error) {
	out, _, err := c.prg.ContextEval(ctx, act)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrEvaluation, c.name, err)
	}
	doc, ok := toNative(out).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s returned %s, not a map", ErrEvaluation, c.name, out.Type().TypeName())
	}
	return doc, nil
}

// finish completes a mapped document the way the reference's pipeline
// head and tail do: empty values dropped and failures collected (see
// finisher), event.original set to the record exactly as received, the
// configured tags, @timestamp defaulting to the collection time, and, when
// anything failed, error.message, event.kind pipeline_error and the tag
// preserve_original_event. event.dataset is set to dataset, as
// Elasticsearch's data stream would set it (the engine writes it
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

// clean returns the cleaned value and whether to keep it.
func (f *finisher) clean(v any) (any, bool) {
	switch x := v.(type) {
	// Return v, not x: converting x back to an interface would allocate.
	case nil:
		return nil, false
	case string:
		return v, x != ""
	case bool, int64:
		return v, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			f.add(fail("a computed number is not finite: %v", x))
			return nil, false
		}
		return v, true
	case map[string]any:
		f.cleanMap(x)
		return v, len(x) > 0
	case []any:
		out := f.cleanList(x)
		return out, len(out) > 0
	case *Failure:
		f.add(x)
		f.record(x)
		return nil, false
	}
	return f.clean(native(v))
}

func (f *finisher) cleanMap(m map[string]any) {
	if f.path == nil {
		f.path = f.stack[:0]
	}
	for k, v := range m {
		f.path = append(f.path, k)
		cv, keep := f.clean(v)
		f.path = f.path[:len(f.path)-1]
		switch {
		case !keep:
			delete(m, k)
		case needsWriteBack(v):
			m[k] = cv
		}
	}
}

func (f *finisher) cleanList(l []any) []any {
	var out []any // nil while nothing changed
	for i, v := range l {
		cv, keep := f.clean(v)
		if out == nil && (!keep || needsWriteBack(v)) {
			out = append(make([]any, 0, len(l)), l[:i]...)
		}
		if out != nil && keep {
			out = append(out, cv)
		}
	}
	if out == nil {
		return l
	}
	return out
}

// needsWriteBack reports whether cleaning v may have produced a different
// value than v itself (maps are cleaned in place and need no write-back).
func needsWriteBack(v any) bool {
	switch v.(type) {
	case string, bool, int64, float64, map[string]any:
		return false
	}
	return true
}
