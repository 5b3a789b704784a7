package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"akship/agent"
	"akship/inputs/authentik/simulator"
	"akship/internal/datasets"
	"akship/outputs/elasticsearch"
	"akship/processors/mapping"
	"akship/processors/mapping/geoip"
)

// stageRecords returns n event records as the simulator serves them.
func stageRecords(b *testing.B, n int) [][]byte {
	b.Helper()
	sim, err := simulator.New(simulator.Options{Token: "t", Events: n, Users: 200, Groups: 20, Seed: 42,
		MaxPageSize: n}) // one page of everything
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet,
		fmt.Sprintf("%s/api/v3/events/events/?ordering=-created,-pk&page=1&page_size=%d", srv.URL, n), nil)
	req.Header.Set("Authorization", "Bearer t")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var page struct{ Results []json.RawMessage }
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, len(page.Results))
	for i, r := range page.Results {
		out[i] = r
	}
	return out
}

// BenchmarkStages measures the per-event cost of the mapped pipeline's
// stages after the page decode (see inputs/authentik's BenchmarkDecodePage)
// on the simulator's records, with the demo GeoIP databases: the mapping
// processor and Write (framing, gzip, HTTP) into a server
// that discards the body. Each op is one event.
func BenchmarkStages(b *testing.B) {
	const n = 1000
	records := stageRecords(b, n)
	city, asn, err := geoip.WriteDemoDatabases(filepath.Join(b.TempDir(), "geoip"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := mapping.DefaultConfig()
	cfg.GeoIP.CityDatabase, cfg.GeoIP.ASNDatabase = city, asn
	m, err := mapping.New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[]}`))
	}))
	defer srv.Close()
	ecfg := elasticsearch.DefaultConfig()
	ecfg.Hosts = []string{srv.URL}
	out, err := elasticsearch.New(ecfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	proc := m.Processor(datasets.Event)
	events := make([]*agent.Event, n)
	for i, r := range records {
		events[i] = &agent.Event{Dataset: datasets.Event, ID: fmt.Sprint(i), Raw: r, Collected: now}
		if err := proc.Process(context.Background(), events[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("map", func(b *testing.B) {
		// The processor: the mapping engine writes the document's JSON
		// (Event.Document).
		e := &agent.Event{Dataset: datasets.Event, Collected: now}
		for i := 0; b.Loop(); i++ {
			e.Raw, e.Document = records[i%n], nil
			if err := proc.Process(context.Background(), e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		// The output frames the documents into bulk lines, gzips and sends them.
		bulk := ecfg.BulkMaxDocs
		for i := 0; i < b.N; i += bulk {
			if err := out.Write(context.Background(), events[:min(bulk, n, b.N-i)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	var size, raw int
	for i, e := range events {
		size, raw = size+len(e.Document), raw+len(records[i])
	}
	b.Logf("%d events: %d bytes of record and %d bytes of document per event", n, raw/n, size/n)
}
