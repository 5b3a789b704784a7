package mapping

import (
	"context"
	"errors"
	"fmt"

	"akship/agent"
)

// Processor returns the agent.Processor that maps events of dataset d.
func (m *Mapper) Processor(d agent.Dataset) agent.Processor {
	return &processor{m: m, dataset: d}
}

type processor struct {
	m       *Mapper
	dataset agent.Dataset
}

// Process maps e.Raw into e.Document, the finished document. A record that cannot be decoded or a
// program that fails still gets its document, with error.message,
// event.kind pipeline_error and the tag preserve_original_event, and
// Process returns nil: the failure is recorded on the document, not
// returned. It returns an error only for an event of another dataset or a
// cancelled context.
func (p *processor) Process(ctx context.Context, e *agent.Event) error {
	if e.Dataset != "" && e.Dataset != p.dataset {
		return fmt.Errorf("the %s mapping got an event of dataset %q", p.dataset, e.Dataset)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mapping interrupted: %w", err)
	}
	js, err := p.m.mapDocument(p.dataset, e.Raw, e.Collected)
	if js == nil {
		return err
	}
	e.Document = js
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ErrEvaluation) {
			return fmt.Errorf("mapping interrupted: %w", ctx.Err())
		}
		p.m.log.Debug("record mapped with errors", "dataset", string(p.dataset), "id", e.ID, "error", err)
	}
	return nil
}
