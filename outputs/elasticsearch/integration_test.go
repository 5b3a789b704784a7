package elasticsearch

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"akship/agent"
	"akship/internal/datasets"
	"akship/internal/victorialogs"
	"akship/internal/victorialogs/victorialogstest"
)

// victoriaLogsConfig points the output at VictoriaLogs's Elasticsearch
// bulk endpoint with the field roles VictoriaLogs needs.
func victoriaLogsConfig(vl *victorialogs.Server) Config {
	cfg := DefaultConfig()
	cfg.Hosts = []string{vl.ElasticsearchURL()}
	cfg.Headers = map[string]string{
		"VL-Time-Field":    "@timestamp",
		"VL-Msg-Field":     "event.original",
		"VL-Stream-Fields": "data_stream.dataset,data_stream.namespace",
	}
	return cfg
}

func TestVictoriaLogsIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test against a real VictoriaLogs: skipped with -short")
	}
	vl := victorialogstest.Start(t)
	o, _, _ := startOutput(t, victoriaLogsConfig(vl))
	want := map[agent.Dataset]int{datasets.Event: 3000, datasets.User: 40, datasets.Group: 6}
	var batches [][]*agent.Event
	for ds, n := range want {
		events := testEvents(ds, string(ds), n)
		for lo := 0; lo < n; lo += 500 {
			batches = append(batches, events[lo:min(lo+500, n)])
		}
	}
	writeConcurrently(t, o, batches, 2)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := vl.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	for ds, n := range want {
		got, err := vl.Count(ctx, `data_stream.dataset:"authentik.`+string(ds)+`"`)
		if err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("VictoriaLogs has %d %s documents, want %d", got, ds, n)
		}
	}
	total, err := vl.Count(ctx, "*")
	if err != nil || total != 3046 {
		t.Errorf("VictoriaLogs has %d documents in all (%v), want 3046", total, err)
	}
}

// writeConcurrently writes the batches from n goroutines, as the pipeline
// does, and fails on any error.
func writeConcurrently(t testing.TB, o *Output, batches [][]*agent.Event, n int) {
	t.Helper()
	work := make(chan []*agent.Event)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := o.Write(context.Background(), b); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// TestVictoriaLogsProbe checks ProbeBulk against the real VictoriaLogs:
// its Elasticsearch path is a bulk endpoint (with the retention warning),
// its root is not, and the error says what VictoriaLogs needs.
func TestVictoriaLogsProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test against a real VictoriaLogs: skipped with -short")
	}
	vl := victorialogstest.Start(t)
	ok, err := New(victoriaLogsConfig(vl), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	warnings, err := ok.ProbeBulk(context.Background())
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "retentionPeriod") {
		t.Errorf("ProbeBulk at %s = %q, %v; want the retention warning and no error", vl.ElasticsearchURL(), warnings, err)
	}
	root := victoriaLogsConfig(vl)
	root.Hosts = []string{vl.URL}
	root.AllowNonElastic = true // what the old error message suggested
	wrong, err := New(root, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.ProbeBulk(context.Background()); err == nil ||
		!strings.Contains(err.Error(), root.Hosts[0]) || !strings.Contains(err.Error(), "/insert/elasticsearch") {
		t.Errorf("ProbeBulk at VictoriaLogs' root %s = %v, want an error naming it and /insert/elasticsearch", root.Hosts[0], err)
	}
}
