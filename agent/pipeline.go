package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"akship/agent/telemetry"
	"akship/internal/backoff"
)

// Source is an input with the processors its events go through.
type Source struct {
	// Name identifies the input in logs and metrics (e.g. "events").
	Name       string
	Input      Input
	Processors []Processor
}

// Pipeline moves batches from its sources through their processors to the
// output and acknowledges each batch once the output has stored all its
// events.
//
// Memory is bounded: each stage holds a fixed number of batches, and inputs
// cap their unacknowledged batches (see Tracker), so a slow or unreachable
// output stops the reading instead of filling memory. Output errors are
// retried with exponential backoff and jitter, forever, until shutdown;
// events the output rejects permanently go to the dead-letter queue with
// their reason; nothing is acknowledged before it is stored.
type Pipeline struct {
	Sources []Source
	Output  Output
	// DeadLetter receives events the output rejected permanently. When nil
	// such events are retried like any other failure (never dropped).
	DeadLetter DeadLetterQueue
	Log        *slog.Logger
	Metrics    *telemetry.Metrics
	// Workers is the number of goroutines running processors (default:
	// the number of CPUs).
	Workers int
	// Retry is the backoff between delivery attempts.
	Retry backoff.Policy
	// ShutdownTimeout bounds how long delivery of in-flight events may
	// continue after the context is cancelled (default 30s). Events still
	// undelivered then are abandoned unacknowledged: their cursor does not
	// move and the next run reads them again.
	ShutdownTimeout time.Duration
	// OutputName labels output metrics (e.g. "file").
	OutputName string
	// GiveUpAfter, when positive, ends the run once writes to the output
	// have failed without a success for that long: undelivered events are
	// abandoned unacknowledged (the next run reads them again) and Run
	// returns an error wrapping ErrGaveUp. Zero retries forever (a daemon
	// waits for its output to come back).
	GiveUpAfter time.Duration

	// Counts tallies what went through, for progress reports and summaries.
	Counts Counts

	policy BatchPolicy
	health deliveryHealth
	stops  stopper
	// after waits between delivery attempts. Nil means time.After; tests
	// replace it to observe the delays without sleeping.
	after func(time.Duration) <-chan time.Time
}

// job is a batch on its way through the processors.
type job struct {
	src   *Source
	batch Batch
}

// batchState tracks how many events of a batch are still undelivered.
type batchState struct {
	ack       AckFunc
	mu        sync.Mutex
	remaining int
	failed    bool
}

// item is one event with the batch it belongs to.
type item struct {
	ev *Event
	b  *batchState
}

// Run runs the pipeline until every input has ended (run-once mode) or ctx
// is cancelled, then drains what is in flight within ShutdownTimeout. It
// returns the errors that stopped inputs, joined; a clean stop returns nil.
func (p *Pipeline) Run(ctx context.Context) error {
	p.defaults()
	if err := p.Output.Start(ctx); err != nil {
		if IsMisconfigured(err) {
			return err // its text names the key at fault
		}
		return fmt.Errorf("starting output failed: %w", err)
	}
	for i := range p.Sources {
		if err := p.Sources[i].Input.Start(ctx); err != nil {
			return errors.Join(fmt.Errorf("starting input %s failed: %w", p.Sources[i].Name, err), p.closeAll(i))
		}
	}
	drainCtx, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	ctx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	abort := p.stops.start(cancelRun, cancelDrain)
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if p.stops.cause() != nil {
				return // halt abandoned the drain already
			}
			p.Log.Info("stopping: draining in-flight events (a second signal stops at once)",
				"timeout", p.ShutdownTimeout)
			select {
			case <-time.After(p.ShutdownTimeout):
				p.Log.Warn("shutdown timeout reached: abandoning undelivered events (they will be read again)")
				cancelDrain()
			case <-abort:
				p.Log.Warn("stopping at once: abandoning undelivered events (they will be read again)")
				cancelDrain()
			case <-finished:
			}
		case <-finished:
		}
	}()

	jobs := make(chan job, 2*len(p.Sources))
	processed := make(chan []item, p.Workers)
	bulks := make(chan []item)
	inputErrs := p.startReaders(ctx, jobs)
	var wg sync.WaitGroup
	// Processors run under drainCtx, not ctx: events already read are
	// drained after ctx is cancelled, and a processor that honours
	// cancellation would otherwise mark each of them as failed
	// ("mapping interrupted") and ship a broken document.
	p.startWorkers(drainCtx, jobs, processed, &wg)
	go p.batch(processed, bulks)
	var writers sync.WaitGroup
	for range p.policy.Concurrency {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for bulk := range bulks {
				p.deliver(drainCtx, bulk)
			}
		}()
	}
	errs := inputErrs()
	wg.Wait()
	close(processed)
	writers.Wait()
	close(finished)
	errs = append(errs, p.closeAll(len(p.Sources)), p.stops.cause())
	return errors.Join(errs...)
}

func (p *Pipeline) defaults() {
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Metrics == nil {
		p.Metrics = telemetry.New()
	}
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	if p.ShutdownTimeout <= 0 {
		p.ShutdownTimeout = 30 * time.Second
	}
	if p.after == nil {
		p.after = time.After
	}
	if p.OutputName == "" {
		p.OutputName = "output"
	}
	p.policy = DefaultBatchPolicy
	if b, ok := p.Output.(Batcher); ok {
		p.policy = b.BatchPolicy()
	}
	if p.policy.MaxEvents <= 0 {
		p.policy.MaxEvents = DefaultBatchPolicy.MaxEvents
	}
	if p.policy.Concurrency <= 0 {
		p.policy.Concurrency = 1
	}
	if p.policy.FlushInterval <= 0 {
		p.policy.FlushInterval = DefaultBatchPolicy.FlushInterval
	}
}

// closeAll closes the first n inputs and the output.
func (p *Pipeline) closeAll(n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.ShutdownTimeout)
	defer cancel()
	var errs []error
	for i := range n {
		if err := p.Sources[i].Input.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("closing input %s failed: %w", p.Sources[i].Name, err))
		}
	}
	if err := p.Output.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("closing output failed: %w", err))
	}
	return errors.Join(errs...)
}

// startReaders runs one goroutine per input. The returned function waits
// for all of them, closes jobs and returns the inputs' errors.
func (p *Pipeline) startReaders(ctx context.Context, jobs chan<- job) func() []error {
	var wg sync.WaitGroup
	errs := make([]error, len(p.Sources))
	for i := range p.Sources {
		wg.Add(1)
		go func(src *Source) {
			defer wg.Done()
			errs[i] = p.read(ctx, src, jobs)
		}(&p.Sources[i])
	}
	return func() []error {
		wg.Wait()
		close(jobs)
		return errs
	}
}

func (p *Pipeline) read(ctx context.Context, src *Source, jobs chan<- job) error {
	for {
		b, err := src.Input.Read(ctx)
		switch {
		case errors.Is(err, ErrEndOfInput):
			p.Log.Debug("input caught up", "input", src.Name)
			return nil
		case err != nil && ctx.Err() != nil:
			return nil
		case IsMisconfigured(err):
			// Every input would meet the same mistake: stop the run with
			// one error that names the key.
			p.halt(err)
			return nil
		case err != nil:
			p.Log.Error("input stopped", "input", src.Name, "error", err)
			return fmt.Errorf("input %s: %w", src.Name, err)
		}
		if len(b.Events) == 0 {
			b.Ack(ctx, nil)
			continue
		}
		p.addInFlight(len(b.Events))
		select {
		case jobs <- job{src: src, batch: b}:
			// Counted once passed on: a batch dropped at shutdown below
			// was never read as far as the pipeline is concerned (the
			// next run reads it again), so read = delivered +
			// dead-lettered + in flight + abandoned holds.
			p.Counts.addEvents(read, b.Events)
			p.Metrics.InputRecords.WithLabelValues(src.Name).Add(float64(len(b.Events)))
			p.Metrics.QueueDepth.WithLabelValues("process").Set(float64(len(jobs)))
		case <-ctx.Done():
			p.addInFlight(-len(b.Events))
			b.Ack(ctx, ctx.Err())
			return nil
		}
	}
}

func (p *Pipeline) startWorkers(ctx context.Context, jobs <-chan job, out chan<- []item, wg *sync.WaitGroup) {
	for range p.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				out <- p.process(ctx, j)
			}
		}()
	}
}

// process runs the source's processors over every event of the batch.
func (p *Pipeline) process(ctx context.Context, j job) []item {
	bs := &batchState{ack: j.batch.Ack, remaining: len(j.batch.Events)}
	items := make([]item, len(j.batch.Events))
	for i, ev := range j.batch.Events {
		for _, proc := range j.src.Processors {
			if err := proc.Process(ctx, ev); err != nil {
				MarkError(ev, err)
				p.Metrics.MappingErrors.WithLabelValues(string(ev.Dataset)).Inc()
			}
		}
		items[i] = item{ev: ev, b: bs}
	}
	return items
}

// batch groups processed events into Write calls by the output's policy.
func (p *Pipeline) batch(in <-chan []item, out chan<- []item) {
	defer close(out)
	var cur []item
	size := 0
	timer := time.NewTimer(p.policy.FlushInterval)
	defer timer.Stop()
	flush := func() {
		if len(cur) > 0 {
			out <- cur
			p.Metrics.QueueDepth.WithLabelValues("write").Set(float64(len(out)))
			cur, size = nil, 0
		}
		timer.Reset(p.policy.FlushInterval)
	}
	for {
		select {
		case items, ok := <-in:
			if !ok {
				flush()
				return
			}
			for _, it := range items {
				cur = append(cur, it)
				size += estimateSize(it.ev)
				if len(cur) >= p.policy.MaxEvents || (p.policy.MaxBytes > 0 && size >= p.policy.MaxBytes) {
					flush()
				}
			}
		case <-timer.C:
			flush()
		}
	}
}

// estimateSize guesses an event's framed size: its document plus what the
// output adds, else (no processor wrote one) the original record plus the
// fields a mapped document derives from it.
func estimateSize(e *Event) int {
	if e.Document != nil {
		return len(e.Document) + 192
	}
	return 3*len(e.Raw) + 256
}
