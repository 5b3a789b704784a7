package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
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
