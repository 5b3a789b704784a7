// Package mapping turns authentik API records into the ECS documents
// Elastic's authentik integration produces, with one CEL program per
// dataset (embedded defaults that users can replace or extend), GeoIP and
// user-agent enrichment. See README.md for the programs' variables and
// functions.
package mapping

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/cel-go/common/types/ref"

	"akship/agent"
	"akship/internal/datasets"
	"akship/processors/mapping/geoip"
	"akship/processors/mapping/useragent"
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
	extend  *compiled // nil without an extend program
	tags    []string
	tagsVal ref.Val
	finish  finishConstants
	states  statePool // *engineState
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
	for _, d := range datasets.All {
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
	dm := &datasetMapper{dataset: datasets.Qualified(d), tags: append([]string(nil), dc.Tags...)}
	dm.tagsVal = adapter.NativeToValue(dm.tags)
	dm.finish = finishConstants{dataset: dm.dataset, tags: finalTags{tags: dm.tags},
		failedTags: finalTags{tags: dm.tags, failed: true}}
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
	if dm.program, err = compile(env, name, src, dm.tagsVal, e); err != nil {
		return nil, err
	}
	src, name, err = source(d, "extend", dc.Extend, dc.ExtendFile, func() (string, string, error) {
		return "", "", nil
	})
	if err != nil {
		return dm, err
	}
	if src == "" {
		return dm, nil
	}
	if env, err = newEnv(e, true); err != nil {
		return nil, err
	}
	dm.extend, err = compile(env, name, src, dm.tagsVal, e)
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
// The document is the JSON akship ships, decoded as parseJSON decodes
// records.
func (m *Mapper) Map(d agent.Dataset, raw []byte, collected time.Time) (map[string]any, error) {
	js, err := m.mapDocument(d, raw, collected)
	if js == nil {
		return nil, err
	}
	v, perr := parseJSON(js)
	doc, _ := v.(map[string]any)
	if perr != nil || doc == nil {
		return nil, fmt.Errorf("%w: the engine wrote invalid JSON: %v", ErrEvaluation, perr)
	}
	return doc, err
}

// mapDocument maps one record to its finished document's JSON (a new
// slice; see mapJSON).
func (m *Mapper) mapDocument(d agent.Dataset, raw []byte, collected time.Time) ([]byte, error) {
	dm, ok := m.datasets[d]
	if !ok {
		return nil, fmt.Errorf("unknown dataset %q", d)
	}
	return dm.mapJSON(raw, collected)
}
