package mapping

import (
	"bytes"
	"fmt"
	"sync"
	"time"
)

// engineState is what mapping one record needs besides the engines:
// their evaluated steps and bound values, and the writer. It is reused
// across records through a pool.
type engineState struct {
	prog, ext runState
	view      recordView
	w         engWriter
	act       activation
}

// maxPooledBuffer keeps a rare huge document from pinning its buffer.
const maxPooledBuffer = 1 << 20

func (dm *datasetMapper) state() *engineState {
	if st, ok := dm.states.Get().(*engineState); ok {
		return st
	}
	st := &engineState{prog: newRunState(dm.program.eng)}
	if dm.extend != nil {
		st.ext = newRunState(dm.extend.eng)
	}
	return st
}

func (dm *datasetMapper) release(st *engineState) {
	st.prog.clear()
	st.ext.clear()
	st.act = activation{}
	if cap(st.w.b) <= maxPooledBuffer {
		dm.states.Put(st)
	}
}

// mapJSON maps one record with the dataset's engines and returns the
// finished document's JSON in a new slice (agent.Event's Document). The
// error is as Map's.
func (dm *datasetMapper) mapJSON(raw []byte, collected time.Time) ([]byte, error) {
	st := dm.state()
	defer dm.release(st)
	var pre []*Failure // failures that land in no field
	// The record's strings are copies (see parseJSON), and original is
	// written into the document before mapJSON returns: raw itself can
	// stand for it.
	original := unsafeString(raw)
	var record any
	var decodeErr error
	if root, ok := st.view.open(raw); ok {
		defer st.view.close() // after the document is written
		record = root
	} else if record, decodeErr = decodeObject(raw); decodeErr != nil {
		pre = append(pre, fail("%v", decodeErr))
		record = map[string]any{}
	}
	act := &st.act
	*act = activation{recordMap: record, tags: dm.tagsVal, at: collected}
	base, evalErr := dm.program.evalLayer(act, record, collected, &st.prog)
	ls := [3]layer{base}
	n := 1
	if evalErr != nil {
		ls[0] = layer{v: map[string]any{}}
	} else if dm.extend != nil {
		if dm.extend.eng.usesDoc {
			act.doc = adapter.NativeToValue(materialise(base))
		}
		ext, err := dm.extend.evalLayer(act, record, collected, &st.ext)
		if err == nil {
			ls[n] = ext
			n++
		}
		evalErr = err
	}
	if evalErr != nil {
		pre = append(pre, fail("%v", evalErr))
	}
	w := &st.w
	dm.write(w, ls, n, pre, original, collected, nil)
	if len(w.f.failures) > 0 {
		msgs := w.f.messages()
		dm.write(w, ls, n, pre, original, collected, msgs)
	}
	js := bytes.Clone(w.b)
	switch {
	case decodeErr != nil && evalErr != nil:
		return js, fmt.Errorf("%w (and %v)", decodeErr, evalErr)
	case decodeErr != nil:
		return js, decodeErr
	}
	return js, evalErr
}

// write writes the document: the layers ls[:n] under the finishing fields.
// msgs are the failures' messages, known from a first pass.
func (dm *datasetMapper) write(w *engWriter, ls [3]layer, n int, pre []*Failure, original string, collected time.Time, msgs []string) {
	w.reset()
	for _, f := range pre {
		w.f.add(f)
	}
	f := &w.fin
	f.event = kvObject{keys: f.eventKeys[:0], vals: f.eventVals[:0]}
	f.event.keys = append(f.event.keys, "dataset")
	f.event.vals = append(f.event.vals, dm.finish.dataset)
	if len(msgs) > 0 {
		f.event.keys = append(f.event.keys, "kind")
		f.event.vals = append(f.event.vals, "pipeline_error")
	}
	if original != "" {
		f.event.keys = append(f.event.keys, "original")
		f.event.vals = append(f.event.vals, original)
	}
	f.root = kvObject{keys: f.rootKeys[:0], vals: f.rootVals[:0]}
	f.root.keys = append(f.root.keys, "@timestamp")
	f.collected = collected
	f.root.vals = append(f.root.vals, timestampDefault{})
	if len(msgs) > 0 {
		f.errorObj = kvObject{keys: []string{"message"}, vals: []any{errorMessages(msgs)}}
		f.root.keys = append(f.root.keys, "error")
		f.root.vals = append(f.root.vals, &f.errorObj)
	}
	f.root.keys = append(f.root.keys, "event", "tags")
	tags := &dm.finish.tags
	if len(msgs) > 0 {
		tags = &dm.finish.failedTags
	}
	f.root.vals = append(f.root.vals, &f.event, tags)
	ls[n] = layer{kv: &f.root, fin: true}
	if !w.layers(ls[:n+1]) {
		w.b = append(w.b, "{}"...)
	}
}

// evalLayer runs a compiled program's engine on a record and returns its
// document as a layer.
func (c *compiled) evalLayer(act *activation, record any, collected time.Time, rs *runState) (layer, error) {
	vals := rs.vals
	if err := c.eng.run(act, record, collected, rs); err != nil {
		return layer{}, fmt.Errorf("%w: %s: %v", ErrEvaluation, c.name, err)
	}
	l := resolve(c.eng.root, vals)
	if !l.object() {
		root := c.eng.root
		for root.kind == nodeBind {
			root = root.body
		}
		return layer{}, fmt.Errorf("%w: %s returned %s, not a map", ErrEvaluation, c.name,
			adapter.NativeToValue(vals[root.step]).Type().TypeName())
	}
	return l, nil
}

// materialise builds the document of maps a layer stands for (doc for an
// extension), before empty values are dropped.
func materialise(l layer) map[string]any {
	if l.n == nil {
		m, _ := deepPlain(l.v).(map[string]any)
		return m
	}
	out := make(map[string]any, len(l.n.keys))
	for i, k := range l.n.keys {
		kid := resolve(l.n.kids[i], l.ev)
		if kid.n != nil {
			out[k] = materialise(kid)
		} else {
			out[k] = deepPlain(kid.v)
		}
	}
	return out
}

// statePool is the pool type of a dataset's engine states.
type statePool = sync.Pool

// deepPlain returns v with the overlays in it applied, for cel-go, which
// reads only plain maps.
func deepPlain(v any) any {
	out, _ := plainCopy(v)
	return out
}

// plainCopy is deepPlain; changed reports whether v held an overlay.
func plainCopy(v any) (any, bool) {
	switch x := v.(type) {
	case *overlay:
		return deepPlain(x.materialise()), true
	case *enriched:
		return x.materialise(), true
	case *jsonObject:
		return x.materialise(), true
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			pe, changed := plainCopy(e)
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(x))
				for k2, e2 := range x {
					out[k2] = e2
				}
			}
			out[k] = pe
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, e := range x {
			pe, changed := plainCopy(e)
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), x...)
			}
			out[i] = pe
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}
