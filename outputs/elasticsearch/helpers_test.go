package elasticsearch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"akship/agent"
	"akship/agent/telemetry"
	"akship/internal/datasets"
)

// testEvent builds a mapped event document like the processors produce.
func testEvent(ds agent.Dataset, id string) *agent.Event {
	raw := fmt.Sprintf(`{"pk":%q,"action":"login","client_ip":"192.0.2.7"}`, id)
	return withDocument(&agent.Event{
		Dataset:   ds,
		ID:        id,
		Raw:       []byte(raw),
		Collected: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	}, map[string]any{
		"@timestamp": "2026-03-01T11:59:58.123Z",
		"ecs":        map[string]any{"version": "8.11.0"},
		"event": map[string]any{
			"kind": "event", "action": "login", "original": raw, "dataset": datasets.Qualified(ds),
			"category": []any{"authentication"}, "type": []any{"start"}, "outcome": "success",
		},
		"source":    map[string]any{"ip": "192.0.2.7"},
		"related":   map[string]any{"ip": []any{"192.0.2.7"}, "user": []any{"akadmin"}},
		"user":      map[string]any{"name": "akadmin", "id": "7"},
		"authentik": map[string]any{string(ds): map[string]any{"action": "login", "app": "authentik.events"}},
		"tags":      []any{"forwarded"},
	})
}

// withDocument gives e the document doc, serialised as a processor does.
func withDocument(e *agent.Event, doc map[string]any) *agent.Event {
	if err := e.SetDocument(doc); err != nil {
		panic(err)
	}
	return e
}

// setField sets one top-level field of e's document.
func setField(e *agent.Event, key string, v any) {
	doc := e.DecodeDocument()
	doc[key] = v
	withDocument(e, doc)
}

// testEvents builds n events of a dataset with ids prefix-0 … prefix-(n-1).
func testEvents(ds agent.Dataset, prefix string, n int) []*agent.Event {
	out := make([]*agent.Event, n)
	for i := range out {
		out[i] = testEvent(ds, prefix+"-"+strconv.Itoa(i))
	}
	return out
}

// testConfig is the default configuration pointed at url.
func testConfig(url string) Config {
	cfg := DefaultConfig()
	cfg.Hosts = []string{url}
	cfg.Timeout = 5 * time.Second
	return cfg
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startOutput builds and starts an output, logging at debug level into
// the returned buffer.
func startOutput(t testing.TB, cfg Config) (*Output, *telemetry.Metrics, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	m := telemetry.New()
	o, err := New(cfg, newDebugLogger(logs), m)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := o.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = o.Close(context.Background()) })
	return o, m, logs
}

// counterValue reads a counter of a vector.
func counterValue(t testing.TB, v *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := v.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// newDebugLogger logs everything, debug included, into logs.
func newDebugLogger(logs *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// retryWrites calls Write as the pipeline does after each backoff: first
// with all events, then with those that failed retryably, until none does
// or max calls were made. It returns the permanent failures by event and
// the last error.
func retryWrites(t testing.TB, o *Output, events []*agent.Event, max int) (permanent map[*agent.Event]error, calls int, last error) {
	t.Helper()
	permanent = map[*agent.Event]error{}
	for calls = 0; len(events) > 0 && calls < max; calls++ {
		last = o.Write(context.Background(), events)
		if last == nil {
			return permanent, calls + 1, nil
		}
		var pe *agent.PartialError
		if !errors.As(last, &pe) {
			continue // the whole call is retried
		}
		var again []*agent.Event
		for i, e := range events {
			err, failed := pe.Failed[i]
			switch {
			case !failed:
			case agent.IsPermanent(err):
				permanent[e] = err
			default:
				again = append(again, e)
			}
		}
		events = again
	}
	return permanent, calls, last
}
