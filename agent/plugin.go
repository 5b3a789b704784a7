package agent

import (
	"context"
	"time"
)

// Input produces batches of events from a source.
//
// The pipeline calls Start once, then Read from a single goroutine until Read
// returns an error, then Close once. Read blocks until a batch is ready,
// ctx is cancelled, or the input has nothing more to give. It returns
// ErrEndOfInput when the input ran in run-once mode and is caught up; any
// other error stops that input only (the pipeline logs it, the other inputs
// go on, and Run returns the error once they have ended). A batch returned
// together with an error is ignored, so Read returns either a batch or an
// error. Every batch's Ack is called exactly once by the pipeline. An input must
// persist a cursor only from its Ack functions, never from Read.
type Input interface {
	Start(ctx context.Context) error
	Read(ctx context.Context) (Batch, error)
	Close(ctx context.Context) error
}

// Processor transforms events in place.
//
// Process is called concurrently from several goroutines, each with a
// different event, so implementations must not keep per-event state outside
// the event. A returned error does not drop the event: the pipeline records
// it on the document (error.message, event.kind: pipeline_error, tag
// preserve_original_event) and the event continues to the output.
type Processor interface {
	Process(ctx context.Context, e *Event) error
}

// Output writes events to a destination.
//
// The pipeline calls Start once before the first Write and Close once after
// the last. Write is called by up to the output's concurrency goroutines at
// once, each with its own slice of events, and returns when the events are
// durably stored. Its error tells the pipeline what to do:
//   - nil: every event is delivered (or dead-lettered by the pipeline);
//   - *PartialError: the listed events failed; retryable ones are sent
//     again after a backoff, permanent ones are dead-lettered, the rest are
//     delivered;
//   - an error marked Permanent: no event of the call can ever be delivered
//     as it is; all are dead-lettered;
//   - any other error: the whole call is retried after a backoff (honouring
//     RetryAfter when the error carries one).
//
// Write must not call Ack; the pipeline does.
type Output interface {
	Start(ctx context.Context) error
	Write(ctx context.Context, events []*Event) error
	Close(ctx context.Context) error
}

// BatchPolicy bounds how the pipeline groups events for Output.Write.
type BatchPolicy struct {
	// MaxEvents is the largest number of events in one Write call.
	MaxEvents int
	// MaxBytes bounds the approximate encoded size of one Write call (the
	// sum of the events' Raw lengths times an expansion factor); 0 = none.
	MaxBytes int
	// FlushInterval is how long a partial group waits for more events.
	FlushInterval time.Duration
	// Concurrency is the number of Write calls in flight at once.
	Concurrency int
}

// Batcher is an optional Output capability: an output that implements it
// chooses how the pipeline groups events for it. Outputs without it get
// DefaultBatchPolicy.
type Batcher interface {
	BatchPolicy() BatchPolicy
}

// DefaultBatchPolicy is used for outputs that do not implement Batcher.
var DefaultBatchPolicy = BatchPolicy{MaxEvents: 1000, FlushInterval: time.Second, Concurrency: 1}

// Router is an optional Output capability: it names where an event goes
// (a data stream, a file). The pipeline records it in
// dead-letter entries.
type Router interface {
	Destination(e *Event) string
}
