package monitor

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"akship/agent"
	"akship/internal/datasets"
)

// endpoint describes one path for the index page.
type endpoint struct {
	path, about string
}

// routes builds the handler. Every route answers GET (and HEAD); other
// methods get 405 from the mux, unknown paths 404.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	var index []endpoint
	add := func(path, about string, h http.HandlerFunc) {
		mux.HandleFunc("GET "+path, h)
		index = append(index, endpoint{path, about})
	}
	if s.src.Registry != nil {
		metrics := promhttp.HandlerFor(s.src.Registry, promhttp.HandlerOpts{
			ErrorLog:            promLogger{s.log},
			ErrorHandling:       promhttp.ContinueOnError,
			MaxRequestsInFlight: 4,
			Timeout:             writeTimeout - time.Second,
		})
		add("/metrics", "Prometheus metrics (text format)", metrics.ServeHTTP)
	}
	add("/healthz", "liveness: 200 while the process runs", s.healthz)
	add("/readyz", "readiness: 200, or 503 with the reasons", s.readyz)
	add("/status", "inputs (cursor, last success, last error, lag), delivery and counts, as JSON", s.status)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		fmt.Fprintf(&b, "akship %s monitoring endpoint\n\n", s.src.Version)
		for _, e := range index {
			fmt.Fprintf(&b, "%-9s %s\n", e.path, e.about)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		noCache(w)
		_, _ = w.Write([]byte(b.String()))
	})
	return mux
}

// healthz answers 200 as long as the process can serve requests.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"}, false)
}

// readiness is the /readyz response body.
type readiness struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
}

// readyz answers 200 when the agent is doing its job, 503 with one reason
// per problem otherwise.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	snap := s.assess()
	if len(snap.Reasons) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, readiness{Status: "not ready", Reasons: snap.Reasons}, false)
		return
	}
	writeJSON(w, http.StatusOK, readiness{Status: "ready"}, false)
}

// statusDoc is the /status response body.
type statusDoc struct {
	Version       string                  `json:"version"`
	Time          time.Time               `json:"time"`
	Started       time.Time               `json:"started"`
	UptimeSeconds float64                 `json:"uptime_seconds"`
	Ready         bool                    `json:"ready"`
	Reasons       []string                `json:"reasons,omitempty"`
	Inputs        []agent.InputStatus     `json:"inputs"`
	Delivery      agent.DeliveryStatus    `json:"delivery"`
	Counts        map[string]datasetCount `json:"counts,omitempty"`
}

// datasetCount is what went through the pipeline for one dataset.
type datasetCount struct {
	Read         int64 `json:"read"`
	Delivered    int64 `json:"delivered"`
	DeadLettered int64 `json:"dead_lettered"`
}

// status answers the agent's state as indented JSON, for people and
// scripts.
func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	snap := s.assess()
	doc := statusDoc{
		Version:       s.src.Version,
		Time:          snap.Now.UTC(),
		Started:       s.started.UTC(),
		UptimeSeconds: snap.Now.Sub(s.started).Round(time.Millisecond).Seconds(),
		Ready:         len(snap.Reasons) == 0,
		Reasons:       snap.Reasons,
		Inputs:        snap.Inputs,
		Delivery:      snap.Delivery,
	}
	if doc.Inputs == nil {
		doc.Inputs = []agent.InputStatus{}
	}
	if c := s.counts(); c != nil {
		doc.Counts = make(map[string]datasetCount, len(datasets.All))
		for _, d := range datasets.All {
			doc.Counts[datasets.Qualified(d)] = datasetCount{Read: c.Read(d), Delivered: c.Delivered(d),
				DeadLettered: c.DeadLettered(d)}
		}
	}
	writeJSON(w, http.StatusOK, doc, true)
}

// counts returns the per-dataset counts to show, or nil when there are none.
func (s *Server) counts() *agent.Counts {
	if s.src.Counts == nil {
		return nil
	}
	return s.src.Counts()
}

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, code int, v any, indent bool) {
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(v, "", "  ")
	} else {
		data, err = json.Marshal(v)
	}
	if err != nil {
		// Only an input's Cursor could fail to encode; say so rather than
		// answering half a document.
		http.Error(w, "encoding the response failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	noCache(w)
	w.WriteHeader(code)
	_, _ = w.Write(append(data, '\n'))
}

// noCache keeps proxies and browsers from serving a stale state.
func noCache(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

// promLogger reports errors gathering metrics; the scrape continues with
// the metrics that could be gathered.
type promLogger struct{ log *slog.Logger }

// Println implements promhttp.Logger.
func (l promLogger) Println(v ...any) {
	l.log.Warn("gathering metrics failed", "error", fmt.Sprint(v...))
}
