package elasticsearch

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"akship/agent"
	"akship/internal/datasets"
	"akship/internal/victorialogs/victorialogstest"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// realisticEvent is a mapped authentik login event of typical size
// (about 2 KB encoded), shaped like the integration's documents, with the
// per-event variety (ids, addresses, times, tokens) that real data has, so
// compression ratios are representative.
func realisticEvent(i int) *agent.Event {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	pk := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12),
		rng.IntN(1<<16), rng.Uint64()&(1<<48-1))
	ip := fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(222), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
	created := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*137*time.Millisecond +
		time.Duration(rng.IntN(1e6))*time.Microsecond)
	ts := created.Format("2006-01-02T15:04:05.000Z")
	user := fmt.Sprintf("user%d", rng.IntN(200))
	state := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	ua := []string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
	}[rng.IntN(3)]
	raw := fmt.Sprintf(`{"action":"login","app":"authentik.events.signals","brand":{"app":"authentik_brands",`+
		`"model_name":"brand","name":"Default brand","pk":"fa2d5d4f1a8c4a5c9e0b"},"client_ip":%q,`+
		`"context":{"auth_method":"password","http_request":{"args":{"next":"/","state":%q},"method":"GET",`+
		`"path":"/api/v3/flows/executor/default-authentication-flow/","user_agent":%q}},`+
		`"created":%q,"expires":"2027-03-01T11:59:58.565191Z","pk":%q,`+
		`"user":{"email":"%s@example.com","pk":%d,"username":%q}}`, ip, state, ua, created.Format(time.RFC3339Nano),
		pk, user, i, user)
	return withDocument(&agent.Event{
		Dataset: datasets.Event, ID: pk, Raw: []byte(raw), Collected: time.Now()}, map[string]any{
		"@timestamp": ts,
		"ecs":        map[string]any{"version": "8.11.0"},
		"event": map[string]any{"action": "login", "category": []any{"authentication"}, "created": ts,
			"dataset": "authentik.event",
			"id":      pk, "kind": "event", "original": raw, "outcome": "success", "type": []any{"start"}},
		"observer": map[string]any{"product": "authentik", "vendor": "authentik"},
		"related":  map[string]any{"ip": []any{ip}, "user": []any{user + "@example.com", strconv.Itoa(i), user}},
		"source": map[string]any{"ip": ip, "geo": map[string]any{
			"continent_name": "Europe", "country_iso_code": "DE", "country_name": "Germany",
			"location": map[string]any{"lat": rng.Float64()*180 - 90, "lon": rng.Float64()*360 - 180}}},
		"http": map[string]any{"request": map[string]any{"method": "GET"}},
		"url":  map[string]any{"path": "/api/v3/flows/executor/default-authentication-flow/"},
		"user": map[string]any{"domain": "example.com", "email": user + "@example.com", "id": strconv.Itoa(i),
			"name": user},
		"user_agent": map[string]any{"original": ua, "name": "Chrome", "version": "126.0.0.0",
			"os": map[string]any{"name": "Linux"}, "device": map[string]any{"name": "Other"}},
		"authentik": map[string]any{"event": map[string]any{"app": "authentik.events.signals",
			"brand": map[string]any{"app": "authentik_brands", "model_name": "brand", "name": "Default brand",
				"pk": "fa2d5d4f1a8c4a5c9e0b"},
			"context": map[string]any{"auth_method": "password",
				"http_request": map[string]any{"args": map[string]any{"next": "/", "state": state}}},
			"expires": "2027-03-01T11:59:58.565Z"}},
		"tags": []any{"forwarded", "authentik-event"},
	})
}

func realisticEvents(n, offset int) []*agent.Event {
	out := make([]*agent.Event, n)
	for i := range out {
		out[i] = realisticEvent(offset + i)
	}
	return out
}

// cpuTime is the CPU time (user + system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportThroughput adds docs/s and CPU-seconds per 100,000 documents.
func reportThroughput(b *testing.B, docs int, start time.Time, cpuStart time.Duration) {
	elapsed := time.Since(start).Seconds()
	b.ReportMetric(float64(docs)/elapsed, "docs/s")
	b.ReportMetric((cpuTime()-cpuStart).Seconds()/float64(docs)*100_000, "cpu-s/100k")
}

// BenchmarkWrite writes 1,000 realistic documents per operation into the
// double, which runs in the same process: cpu-s/100k covers both sides.
func BenchmarkWrite(b *testing.B) {
	srv := esdoubletest.Start(b)
	o, _, _ := startOutput(b, testConfig(srv.URL))
	events := realisticEvents(1000, 0)
	ids := make([][]string, b.N)
	for i := range ids {
		ids[i] = make([]string, len(events))
		for j := range events {
			ids[i][j] = strconv.Itoa(i) + "-" + strconv.Itoa(j)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		for j, e := range events {
			e.ID = ids[i][j]
		}
		if err := o.Write(context.Background(), events); err != nil {
			b.Fatal(err)
		}
	}
	reportThroughput(b, b.N*len(events), start, cpu)
}

// BenchmarkWriteOutputOnly is BenchmarkWrite against a server that drains
// the body and answers a canned success, so the numbers are the output's
// own cost (encoding, gzip, HTTP client, response reading).
func BenchmarkWriteOutputOnly(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[]}`))
	}))
	b.Cleanup(srv.Close)
	o, _, _ := startOutput(b, testConfig(srv.URL))
	events := realisticEvents(1000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		if err := o.Write(context.Background(), events); err != nil {
			b.Fatal(err)
		}
	}
	reportThroughput(b, b.N*len(events), start, cpu)
}

// BenchmarkEncode measures the output's own work for 1,000 documents:
// building the bulk body and compressing it, at several gzip levels.
func BenchmarkEncode(b *testing.B) {
	events := realisticEvents(1000, 0)
	r := newRoute(datasets.Event, "default")
	o := &Output{bodies: make(chan *bulkBody, 1)}
	for _, level := range []int{0, 1, 2, 6} {
		b.Run("gzip="+strconv.Itoa(level), func(b *testing.B) {
			b.ReportAllocs()
			var raw, sent int
			for i := 0; i < b.N; i++ {
				body := o.getBody()
				body.encode(events, func(agent.Dataset) *route { return r }, map[int]error{})
				if err := body.makePayload(0, len(body.items), level); err != nil {
					b.Fatal(err)
				}
				raw, sent = body.ends[len(body.items)-1], body.payload.Len()
				o.putBody(body)
			}
			b.ReportMetric(float64(raw)/1000, "raw-B/doc")
			b.ReportMetric(float64(sent)/1000, "sent-B/doc")
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

// BenchmarkWriteVictoriaLogs writes 20,000 documents per operation into a
// real VictoriaLogs with several bulk sizes and concurrencies; cpu-s/100k
// is akship's side, vl-cpu-s/100k the server's.
func BenchmarkWriteVictoriaLogs(b *testing.B) {
	vl := victorialogstest.Start(b)
	const total = 20_000
	cases := []struct{ docs, concurrency, level int }{
		{400, 2, 1}, {1600, 1, 1}, {1600, 2, 1}, {1600, 4, 1}, {5000, 2, 1}, {1600, 2, 0}, {1600, 2, 6},
	}
	offset := 0
	for _, c := range cases {
		b.Run(fmt.Sprintf("docs=%d/concurrency=%d/gzip=%d", c.docs, c.concurrency, c.level), func(b *testing.B) {
			cfg := victoriaLogsConfig(vl)
			cfg.BulkMaxDocs, cfg.Concurrency, cfg.CompressionLevel = c.docs, c.concurrency, c.level
			o, _, _ := startOutput(b, cfg)
			batches := make([][][]*agent.Event, b.N)
			for i := range batches {
				events := realisticEvents(total, offset)
				offset += total
				for lo := 0; lo < total; lo += c.docs {
					batches[i] = append(batches[i], events[lo:min(lo+c.docs, total)])
				}
			}
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			vlStart, _ := vl.CPUTime()
			for i := 0; i < b.N; i++ {
				writeConcurrently(b, o, batches[i], c.concurrency)
			}
			reportThroughput(b, b.N*total, start, cpu)
			if vlEnd, err := vl.CPUTime(); err == nil {
				b.ReportMetric((vlEnd-vlStart).Seconds()/float64(b.N*total)*100_000, "vl-cpu-s/100k")
			}
		})
	}
}
