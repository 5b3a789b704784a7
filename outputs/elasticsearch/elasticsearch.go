// Package elasticsearch is akship's Elasticsearch output: it writes events
// to the data streams logs-authentik.<dataset>-<namespace> with the bulk
// API's create action and a deterministic _id, so that replays are absorbed
// as 409 conflicts, and reports every document's fate to the pipeline
// (delivered, retry, dead-letter). It also installs the index templates and
// lifecycle policy (Setup).
package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/prometheus/client_golang/prometheus"

	"akship/agent"
	"akship/agent/config"
	"akship/agent/telemetry"
	"akship/internal/datasets"
	"akship/internal/lazymap"
	"akship/internal/netfail"
)

// outputLabel is the output label of akship's metrics.
const outputLabel = "elasticsearch"

// Output writes events to Elasticsearch (or a server speaking its bulk API).
// Write may be called concurrently.
type Output struct {
	cfg     Config
	log     *slog.Logger
	client  *es.Client
	perform func(*http.Request) (*http.Response, error)
	bulkURL string

	routes lazymap.Map[agent.Dataset, *route]
	// accepted is set once the server accepted a bulk request (a 2xx
	// answer): from then on a document answered 400 alone is at fault,
	// not the request (see settleRejected).
	accepted atomic.Bool
	// failureStore is set when the server supports data stream failure
	// stores (Elasticsearch 8.19+, 9.1+, serverless): bulk items are then
	// always read, to count the documents stored there.
	failureStore atomic.Bool
	// failureStoreUsed is set once such a document was seen (logged once).
	failureStoreUsed atomic.Bool
	// splits holds the request sizes refused documents are resent in.
	splits splitHints
	// answered is set once the server answered any request (see mistake).
	answered atomic.Bool

	// bodies keeps up to concurrency+1 bulk bodies with their buffers and
	// gzip writers between Write calls. A sync.Pool would not do: the
	// garbage collector empties it every other cycle, and a cold body
	// grows its megabytes of buffers again.
	bodies chan *bulkBody

	// warnings are the notes of the last Check (see Warnings).
	warnings []string

	duration  prometheus.Observer
	bytesSent prometheus.Counter
	metrics   *telemetry.Metrics
}

// Option adjusts how New builds the output.
type Option func(*options)

type options struct {
	wrap func(http.RoundTripper) http.RoundTripper
}

// WithTransportWrapper wraps the HTTP transport, e.g. with the request
// tracer.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(o *options) { o.wrap = wrap }
}

// New validates cfg, reads the secret files and builds the client. It does
// not contact the server; Start does. log and metrics may be nil.
func New(cfg Config, log *slog.Logger, metrics *telemetry.Metrics, opts ...Option) (*Output, error) {
	var built options
	for _, opt := range opts {
		opt(&built)
	}
	if err := validateAll(&cfg); err != nil {
		return nil, fmt.Errorf("invalid output.elasticsearch configuration: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = telemetry.New()
	}
	client, err := newClient(&cfg, built.wrap)
	if err != nil {
		// newClient names keys relative to the section ("tls.ca_file");
		// name them in full, as every other start-up error does.
		return nil, fullKeys(err)
	}
	o := &Output{
		cfg:       cfg,
		log:       log.With("component", "outputs.elasticsearch"),
		client:    client,
		perform:   client.Perform,
		bulkURL:   bulkURL(cfg.Parameters),
		bodies:    make(chan *bulkBody, cfg.Concurrency+1),
		duration:  metrics.OutputRequestDuration.WithLabelValues(outputLabel),
		bytesSent: metrics.OutputBytes.WithLabelValues(outputLabel),
		metrics:   metrics,
	}
	if cfg.AllowNonElastic {
		// The transport below the client skips go-elasticsearch's product
		// check, which refuses any answer without X-Elastic-Product.
		o.perform = client.Transport.Perform
	}
	for _, ds := range datasets.All {
		o.routeOf(ds)
	}
	if cfg.TLS.Insecure {
		o.log.Warn("tls.insecure is set: the server's certificate is not verified, " +
			"so anyone on the network path can read and change what akship sends")
	}
	return o, nil
}

// fullKeys prefixes the keys of the section's field errors with
// "output.elasticsearch.".
func fullKeys(err error) error {
	var out []error
	for _, e := range config.Errors(err) {
		var fe *config.FieldError
		if errors.As(e, &fe) {
			e = &config.FieldError{Key: "output.elasticsearch." + fe.Key, Err: fe.Err}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func bulkURL(params map[string]string) string {
	if len(params) == 0 {
		return "/_bulk"
	}
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	return "/_bulk?" + q.Encode()
}

// routeOf returns the cached route of a dataset, creating it (and its
// metric children) on first use.
func (o *Output) routeOf(ds agent.Dataset) *route {
	return o.routes.Get(ds, func(ds agent.Dataset) *route {
		r := newRoute(ds, o.cfg.Namespace)
		r.indexed = o.metrics.OutputIndexed.WithLabelValues(outputLabel, string(ds))
		r.duplicates = o.metrics.OutputDuplicates.WithLabelValues(outputLabel, string(ds))
		r.failureStore = o.metrics.OutputFailureStore.WithLabelValues(outputLabel, string(ds))
		return r
	})
}

// getBody returns an empty bulk body, reusing a free one when there is.
func (o *Output) getBody() *bulkBody {
	select {
	case b := <-o.bodies:
		return b
	default:
		return new(bulkBody)
	}
}

// putBody keeps b for reuse, unless enough bodies are kept already or b
// grew too large.
func (o *Output) putBody(b *bulkBody) {
	if !b.reset() {
		return
	}
	select {
	case o.bodies <- b:
	default:
	}
}

// BatchPolicy groups events as configured by bulk_max_docs, bulk_max_bytes,
// flush_interval and concurrency.
func (o *Output) BatchPolicy() agent.BatchPolicy {
	return agent.BatchPolicy{
		MaxEvents:     o.cfg.BulkMaxDocs,
		MaxBytes:      o.cfg.BulkMaxBytes,
		FlushInterval: o.cfg.FlushInterval,
		Concurrency:   o.cfg.Concurrency,
	}
}

// Destination names the data stream the event is written to.
func (o *Output) Destination(e *agent.Event) string { return o.routeOf(e.Dataset).index }

// serverInfo is the part of GET / that akship reads.
type serverInfo struct {
	Name        string `json:"name"`
	ClusterName string `json:"cluster_name"`
	Version     struct {
		Number string `json:"number"`
		Flavor string `json:"build_flavor"`
	} `json:"version"`
}

// supportsFailureStore reports whether the cluster has data stream failure
// stores: generally available in Elasticsearch 8.19 and 9.1, and on
// serverless projects.
func (s serverInfo) supportsFailureStore() bool {
	if s.Version.Flavor == "serverless" {
		return true
	}
	var major, minor int
	if _, err := fmt.Sscanf(s.Version.Number, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 9 || major == 9 && minor >= 1 || major == 8 && minor >= 19
}

// Start checks the server once: wrong credentials, an untrusted
// certificate or a server that is not Elasticsearch stop akship at once,
// while an unreachable or failing server is only logged — writes wait and
// retry, so akship can start before Elasticsearch does.
func (o *Output) Start(ctx context.Context) error {
	err := o.Check(ctx)
	var pe *bulkProbeError
	if errors.As(err, &pe) {
		// Writes will fail and retry with backoff until the hosts entry is
		// fixed; say why now, loudly, rather than let each retry say it.
		o.log.Error("the output's bulk URL is wrong; writes will fail and be retried", "error", pe.Error())
		return nil
	}
	var te *transientError
	if errors.As(err, &te) {
		o.log.Warn("Elasticsearch is not reachable yet; writes will wait and retry",
			"hosts", o.hostsForLog(), "error", te.Error())
		return nil
	}
	return err
}

// bulkProbeError is a hosts entry that does not answer as a bulk endpoint
// (see ProbeBulk).
type bulkProbeError struct{ err error }

func (b *bulkProbeError) Error() string { return b.err.Error() }
func (b *bulkProbeError) Unwrap() error { return b.err }

// transientError is a start-up check failure that retrying may fix.
type transientError struct{ err error }

func (t *transientError) Error() string { return t.err.Error() }
func (t *transientError) Unwrap() error { return t.err }

// Check contacts the server (GET /, then ProbeBulk) and reports any
// problem, including an unreachable server (akship validate --connect).
func (o *Output) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return err
	}
	res, err := o.perform(req)
	if err != nil {
		if isNotElasticsearch(err) {
			return notElasticsearchError()
		}
		if m := o.mistake(err); m != nil {
			return m
		}
		return &transientError{fmt.Errorf("Elasticsearch %s is not reachable: %w", o.hostsForLog(), err)}
	}
	o.answered.Store(true)
	defer drain(res.Body)
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return fmt.Errorf("checking the Elasticsearch server failed: %s", authMessage(res))
	case res.StatusCode >= 300:
		return &transientError{fmt.Errorf("Elasticsearch answered the check with %d: %s", res.StatusCode,
			readError(res.Body))}
	}
	if !o.cfg.AllowNonElastic && res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		return notElasticsearchError()
	}
	var info serverInfo
	_ = json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&info)
	o.failureStore.Store(res.Header.Get("X-Elastic-Product") == "Elasticsearch" && info.supportsFailureStore())
	o.log.Info("connected to Elasticsearch", "hosts", o.hostsForLog(), "cluster_name", info.ClusterName,
		"version", info.Version.Number, "product_header", res.Header.Get("X-Elastic-Product"),
		"failure_store", o.failureStore.Load())
	warnings, err := o.ProbeBulk(ctx)
	if err != nil {
		return &bulkProbeError{err}
	}
	o.warnings = warnings
	for _, w := range warnings {
		o.log.Warn(w)
	}
	return nil
}

// Warnings returns what the last Check noticed about the destination that
// does not stop akship (e.g. VictoriaLogs' retention).
func (o *Output) Warnings() []string { return o.warnings }

// errNotElasticsearch mirrors the error go-elasticsearch returns when its
// product check fails; the client does not export it.
var errNotElasticsearch = errors.New("the client noticed that the server is not Elasticsearch " +
	"and we do not support this unknown product")

// isNotElasticsearch reports whether err is the client's product check
// failing (matched by text too: the client builds its own error value).
func isNotElasticsearch(err error) bool {
	return errors.Is(err, errNotElasticsearch) || err.Error() == errNotElasticsearch.Error()
}

func notElasticsearchError() error {
	return errors.New("the server did not identify as Elasticsearch (no \"X-Elastic-Product: Elasticsearch\" " +
		"header); set allow_non_elastic: true to write to an Elasticsearch-compatible server anyway")
}

// hostsForLog lists the hosts without credentials.
func (o *Output) hostsForLog() []string {
	out := make([]string, 0, len(o.cfg.Addresses()))
	for _, h := range o.cfg.Addresses() {
		out = append(out, redactURL(h))
	}
	if o.cfg.CloudID != "" {
		out = append(out, "cloud_id")
	}
	return out
}

// Close releases the client's idle connections.
func (o *Output) Close(ctx context.Context) error {
	if err := o.client.Close(ctx); err != nil && !errors.Is(err, es.ErrAlreadyClosed) {
		return err
	}
	return nil
}

// isCertificateError reports whether err is a failed verification of the
// server's certificate: a configuration problem that retrying cannot fix.
func isCertificateError(err error) bool {
	return netfail.Certificate(err) || strings.Contains(err.Error(), "tls.ca_fingerprint")
}
