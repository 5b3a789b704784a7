// Package telemetry defines akship's Prometheus metrics in one place, so every
// component reports under the same names and labels and the README can list
// them. Components receive a *Metrics and update it; the HTTP endpoint
// serves its Registry.
package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every metric akship exports. All fields are always set.
type Metrics struct {
	// Registry collects the metrics below plus Go runtime and process metrics.
	Registry *prometheus.Registry

	// InputRequests counts HTTP requests to authentik by input and status
	// code ("error" when no response arrived).
	InputRequests *prometheus.CounterVec
	// InputRecords counts the records the inputs passed to the pipeline,
	// by input: new records only, so that it reconciles with what the
	// output delivered (indexed + duplicate + dead-lettered + in flight).
	InputRecords *prometheus.CounterVec
	// InputRecordsReceived counts every record of the pages received from
	// authentik, by input, including the overlap re-read below the cursor
	// and records skipped as shipped before.
	InputRecordsReceived *prometheus.CounterVec
	// InputPages counts API pages walked, by input.
	InputPages *prometheus.CounterVec
	// CursorPosition is the created time (Unix seconds) of the newest event
	// whose delivery is committed, by input.
	CursorPosition *prometheus.GaugeVec
	// CursorLag is the age in seconds of the oldest event not yet shipped
	// (an upper bound: now minus the newest committed event's created
	// time while a walk is in progress), 0 when the input caught up.
	CursorLag *prometheus.GaugeVec
	// LastSuccess is when each input last completed a poll (walk or
	// snapshot), in Unix seconds.
	LastSuccess *prometheus.GaugeVec
	// WalkProgress is the share of the walk or snapshot in progress
	// handled (records handled / records authentik reported), by input: 1
	// when none is in progress after one completed, 0 before the first.
	WalkProgress *prometheus.GaugeVec
	// PollDuration is the duration of complete polls (walks), by input.
	PollDuration *prometheus.HistogramVec

	// OutputIndexed counts documents the destination stored, by output and
	// dataset.
	OutputIndexed *prometheus.CounterVec
	// OutputDuplicates counts documents the destination already had (HTTP
	// 409 on create): replays absorbed, counted as delivered.
	OutputDuplicates *prometheus.CounterVec
	// OutputFailureStore counts documents the destination could not index
	// and kept in its data stream's failure store: delivered, not
	// dead-lettered.
	OutputFailureStore *prometheus.CounterVec
	// OutputRetried counts documents sent again after a retryable failure.
	OutputRetried *prometheus.CounterVec
	// OutputDeadLettered counts documents written to the dead-letter file.
	OutputDeadLettered *prometheus.CounterVec
	// OutputRequestDuration is the latency of write requests (bulk calls).
	OutputRequestDuration *prometheus.HistogramVec
	// OutputBytes counts bytes sent on the wire (after compression).
	OutputBytes *prometheus.CounterVec

	// QueueDepth is the number of batches waiting at a pipeline stage.
	QueueDepth *prometheus.GaugeVec
	// InFlightEvents is the number of events read but not yet acknowledged.
	InFlightEvents prometheus.Gauge
	// MappingErrors counts documents shipped with error.message set by a
	// processor, by dataset.
	MappingErrors *prometheus.CounterVec
}

// New creates the metrics in a fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	f := factory{r}
	m := &Metrics{
		Registry: r,
		InputRequests: f.counter("input_requests_total",
			"HTTP requests to authentik by input and status code.", "input", "code"),
		InputRecords: f.counter("input_records_total",
			"Records passed to the pipeline (new ones; overlap re-reads are not counted).", "input"),
		InputRecordsReceived: f.counter("input_records_received_total",
			"Records received from authentik, overlap re-reads included.", "input"),
		InputPages: f.counter("input_pages_total", "API pages walked.", "input"),
		CursorPosition: f.gauge("input_cursor_timestamp_seconds",
			"Created time of the newest committed event (Unix seconds).", "input"),
		CursorLag: f.gauge("input_cursor_lag_seconds",
			"Age of the oldest event not yet shipped (upper bound); 0 when caught up.", "input"),
		LastSuccess: f.gauge("input_last_success_timestamp_seconds",
			"When the input last completed a poll (Unix seconds).", "input"),
		WalkProgress: f.gauge("input_walk_progress_ratio",
			"Share of the walk or snapshot in progress handled; 1 when caught up.", "input"),
		PollDuration: f.histogram("input_poll_duration_seconds",
			"Duration of complete polls.", prometheus.ExponentialBuckets(0.01, 4, 10), "input"),
		OutputIndexed: f.counter("output_documents_indexed_total",
			"Documents stored by the destination.", "output", "dataset"),
		OutputDuplicates: f.counter("output_documents_duplicate_total",
			"Documents the destination already had (409 on create), counted as delivered.", "output", "dataset"),
		OutputFailureStore: f.counter("output_documents_failure_store_total",
			"Documents the destination could not index and kept in its failure store, counted as delivered.",
			"output", "dataset"),
		OutputRetried: f.counter("output_documents_retried_total",
			"Documents sent again after a retryable failure.", "output"),
		OutputDeadLettered: f.counter("output_documents_dead_lettered_total",
			"Documents written to the dead-letter file.", "output", "dataset"),
		OutputRequestDuration: f.histogram("output_request_duration_seconds",
			"Latency of write (bulk) requests.", prometheus.ExponentialBuckets(0.005, 2.5, 10), "output"),
		OutputBytes: f.counter("output_bytes_total", "Bytes sent to the destination (compressed).", "output"),
		QueueDepth: f.gauge("pipeline_queue_depth",
			"Batches waiting at a pipeline stage.", "stage"),
		InFlightEvents: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "akship",
			Name: "pipeline_events_in_flight", Help: "Events read but not yet acknowledged."}),
		MappingErrors: f.counter("processor_errors_total",
			"Documents shipped with error.message set by a processor.", "dataset"),
	}
	r.MustRegister(m.InFlightEvents,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

type factory struct{ r *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "akship", Name: name, Help: help}, labels)
	f.r.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "akship", Name: name, Help: help}, labels)
	f.r.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "akship", Name: name, Help: help,
		Buckets: buckets}, labels)
	f.r.MustRegister(h)
	return h
}
