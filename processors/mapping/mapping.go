// Package mapping turns authentik API records into the ECS documents
// Elastic's authentik integration produces, with one CEL program per
// dataset (embedded defaults that users can replace or extend), GeoIP and
// user-agent enrichment. See README.md for the programs' variables and
// functions.
package mapping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"akship/agent"
	"akship/processors/geoip"
	"akship/processors/useragent"
)

// ErrEvaluation is wrapped by the errors of records whose program failed
// to run (a bug in a program, or a record shape it does not handle). Their
// documents still ship, with error fields.
var ErrEvaluation = errors.New("mapping program failed")

// Mapper maps records of every dataset. It is safe for concurrent use.
type Mapper struct {
	log      *slog.Logger
	geo      *geoip.DB
	datasets map[agent.Dataset]*datasetMapper
}

// datasetMapper holds one dataset's compiled programs and tags.
type datasetMapper struct {
	dataset string // event.dataset, e.g. authentik.event
	program *compiled
	// fast, when set, replaces program: a Go twin of the default program
	// (see fastevent.go).
	fast func(record map[string]any, preserve bool, collected time.Time) map[string]any
	// direct is set when the twin writes the document's JSON itself (see
	// eventjson.go): fast is set and nothing extends the document.
	direct   bool
	enrich   enrichers
	preserve bool      // tags hold preserve_duplicate_custom_fields
	tagsJSON [2]string // ,"tags":[...] without and with preserve_original_event
	extend   *compiled // nil without an extend program
	tags     []string
	tagsVal  ref.Val
}

// New validates cfg, opens the GeoIP databases, loads the user-agent
// patterns and compiles the three datasets' programs. Every problem is an
// error naming the configuration key, file, or program line and column.
func New(cfg Config, log *slog.Logger) (*Mapper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("processors: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	geo, err := geoip.Open(cfg.GeoIP)
	if err != nil {
		return nil, fmt.Errorf("processors.%w", err)
	}
	ua, err := useragent.New(cfg.UserAgent)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("processors.user_agent: %w", err), geo.Close())
	}
	m := &Mapper{log: log, geo: geo, datasets: map[agent.Dataset]*datasetMapper{}}
	var errs []error
	for _, d := range agent.Datasets {
		dm, err := newDatasetMapper(d, *cfg.For(d), enrichers{geo: geo, ua: ua})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.datasets[d] = dm
	}
	if len(errs) > 0 {
		return nil, errors.Join(append(errs, geo.Close())...)
	}
	return m, nil
}

func newDatasetMapper(d agent.Dataset, dc DatasetConfig, e enrichers) (*datasetMapper, error) {
	dm := &datasetMapper{dataset: d.DataStreamDataset(), enrich: e, tags: append([]string(nil), dc.Tags...)}
	dm.tagsVal = adapter.NativeToValue(dm.tags)
	dm.preserve = slices.Contains(dm.tags, "preserve_duplicate_custom_fields")
	dm.tagsJSON = tagsJSON(dm.tags)
	src, name, err := source(d, "program", dc.Program, dc.ProgramFile, func() (string, string, error) {
		src, err := DefaultProgram(d)
		return src, "programs/" + string(d) + ".cel", err
	})
	if err != nil {
		return nil, err
	}
	env, err := newEnv(e, false)
	if err != nil {
		return nil, err
	}
	if dm.program, err = compile(env, name, src); err != nil {
		return nil, err
	}
	if d == agent.DatasetEvent && dc.Program == "" && dc.ProgramFile == "" && !dc.CELOnly {
		dm.fast = e.mapEventFast
	}
	src, name, err = source(d, "extend", dc.Extend, dc.ExtendFile, func() (string, string, error) {
		return "", "", nil
	})
	if err != nil {
		return dm, err
	}
	if src == "" {
		// Nothing extends the twin's document: it can write the JSON.
		dm.direct = dm.fast != nil
		return dm, nil
	}
	if env, err = newEnv(e, true); err != nil {
		return nil, err
	}
	dm.extend, err = compile(env, name, src)
	return dm, err
}

// Close releases the GeoIP databases.
func (m *Mapper) Close() error { return m.geo.Close() }

// Map maps one raw API record of dataset d, read at collected, to its
// document. The document is always returned for a known dataset, even
// when the error is not nil: a record that is not a JSON object
// (ErrBadRecord) or a program that failed (ErrEvaluation) gives a document
// with event.original, error.message and event.kind pipeline_error. A step
// that fails on a value (an invalid IP, a bad date) is not an error: it is
// reported in the document's error.message and the rest is mapped.
//
// Where the native twin writes the document's JSON itself, Map returns
// that JSON decoded, as parseJSON decodes records: what is shipped.
func (m *Mapper) Map(d agent.Dataset, raw []byte, collected time.Time) (map[string]any, error) {
	doc, js, err := m.mapDocument(context.Background(), d, raw, collected)
	if js != nil {
		v, perr := parseJSON(js)
		if doc, _ = v.(map[string]any); perr != nil || doc == nil {
			return nil, fmt.Errorf("%w: the native twin wrote invalid JSON: %v", ErrEvaluation, perr)
		}
	}
	return doc, err
}

// mapDocument maps one record to its document: the JSON the event
// program's native twin writes (js, a new slice; see eventjson.go), when
// the dataset uses it and the record suits it, else a document of maps.
func (m *Mapper) mapDocument(ctx context.Context, d agent.Dataset, raw []byte, collected time.Time) (doc map[string]any, js []byte, err error) {
	dm, ok := m.datasets[d]
	if !ok {
		return nil, nil, fmt.Errorf("unknown dataset %q", d)
	}
	if dm.direct {
		if js, ok := dm.mapJSON(raw, collected); ok {
			return nil, js, nil
		}
	}
	doc, err = dm.mapTree(ctx, raw, collected)
	return doc, nil, err
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
	var doc map[string]any
	var err error
	if dm.fast != nil {
		doc = dm.fast(record, dm.preserve, collected)
	} else {
		doc, err = run(ctx, dm.program, act)
	}
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
