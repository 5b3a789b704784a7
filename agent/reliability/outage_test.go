package reliability_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
)

// TestElasticsearchOutage takes Elasticsearch down for a long stretch in
// the middle of a backfill: akship must stop reading (the simulator's
// request count freezes once the in-flight bound is reached), keep its
// memory bounded and flat, acknowledge nothing early, report not ready,
// and deliver everything exactly once after recovery.
//
// It runs against authentik 2025.2 and 2026.2 (pages cut to 100).
func TestElasticsearchOutage(t *testing.T) {
	skipShort(t)
	t.Run("2025.2", func(t *testing.T) { elasticsearchOutage(t, "2025.2", size(10000, 100000)) })
	t.Run("2026.2", func(t *testing.T) { elasticsearchOutage(t, "2026.2", size(3000, 100000)) })
}

func elasticsearchOutage(t *testing.T, version string, events int) {
	downFor := time.Duration(size(6, 30)) * time.Second
	sim := startSim(t, simulator.Options{Events: events, Users: 50, Groups: 5, Seed: 5, Version: version})
	truth := readTruth(t, sim.sim, testToken)
	es := startES(t)
	e := newEnv(t)
	listen := freePort(t)
	path := baseConfig(sim.URL, es.URL, e.state).set("http.listen", listen).
		set("http.unreachable_after", "2s").set("inputs.events.interval", "1s").
		set("inputs.events.page_size", 200).set("output.elasticsearch.bulk_max_docs", 400).
		set("output.elasticsearch.timeout", "2s").write(t, e.dir)
	watch := watchCursors(t, e.state, truth, es)
	p := startAkship(t, e.vars, "run", "-c", path)
	ctx := context.Background()

	waitFor(t, "the backfill to start", 2*time.Minute, func() bool { return es.Count(eventStream) >= events/10 })
	es.SetDown(true)
	downAt := time.Now()
	// Reading stops once the in-flight pages fill up: wait until the
	// request count holds still for a second, then it must stay frozen.
	var frozen uint64
	waitFor(t, "akship to stop reading", 30*time.Second, func() bool {
		n := sim.sim.Stats().Requests.Events
		time.Sleep(time.Second)
		frozen = sim.sim.Stats().Requests.Events
		return frozen == n
	})
	atFreeze := es.Count(eventStream)
	var rss []int
	for time.Since(downAt) < downFor {
		rss = append(rss, p.rssKB())
		time.Sleep(250 * time.Millisecond)
	}
	if n := sim.sim.Stats().Requests.Events; n != frozen {
		t.Errorf("akship kept reading while Elasticsearch was down: %d event requests, %d when it stopped", n, frozen)
	}
	if n := es.Count(eventStream); n != atFreeze {
		t.Errorf("documents arrived while Elasticsearch was down: %d, then %d", atFreeze, n)
	}
	code, body := getURL(ctx, "http://"+listen+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "output") {
		t.Errorf("/readyz while Elasticsearch was down for %v: %d %s", time.Since(downAt).Round(time.Second), code, body)
	}
	lo, hi := minMax(rss)
	bound := 250 * 1024
	if raceBinary() {
		bound *= 4 // the race detector's shadow memory
	}
	if hi > bound {
		t.Errorf("RSS reached %d MB while Elasticsearch was down (bound %d MB)", hi/1024, bound/1024)
	}
	// Roughly flat: the later half of the samples stays near the first.
	if _, late := minMax(rss[len(rss)/2:]); late > rss[0]+64*1024 {
		t.Errorf("RSS grew while Elasticsearch was down: %d MB at first, %d MB later", rss[0]/1024, late/1024)
	}

	es.SetDown(false)
	waitFor(t, "every event after recovery", 3*time.Minute, func() bool { return es.Count(eventStream) >= events })
	waitFor(t, "/readyz to recover", time.Minute, func() bool {
		c, _ := getURL(ctx, "http://"+listen+"/readyz")
		return c == http.StatusOK
	})
	if code := p.term(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM exit code %d; stderr:\n%s", code, tail(p.stderr.String(), 20))
	}
	watch.finish(t)
	r := checkExactlyOnce(t, es, truth.byCreated, true)
	st := es.Stats()
	t.Logf("FIGURES es-outage: %d events, down %v at %d delivered, reads frozen at %d event requests, "+
		"RSS %d-%d MB while down (%d samples), %d in Elasticsearch after recovery, %d missing, %d connections refused, "+
		"%d replays absorbed as 409",
		events, downFor, atFreeze, frozen, lo/1024, hi/1024, len(rss), r.docs, r.missing, st.Refused, st.Duplicates)
}

func minMax(xs []int) (lo, hi int) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi = xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// TestAuthentikOutages runs one akship daemon through four authentik
// failures in turn — down (listener closed), slow (answers after the
// client's timeout), throttling (429 + Retry-After), truncated JSON. In
// each: /readyz turns 503 after http.unreachable_after, the events
// inserted meanwhile are neither shipped nor claimed by the cursor, a 429
// is not hammered; after each: the input recovers by itself, /readyz is
// 200 again and the new events arrive, all exactly once.
//
// It runs against authentik 2025.2 and 2026.2 (pages cut to 100).
func TestAuthentikOutages(t *testing.T) {
	skipShort(t)
	t.Run("2025.2", func(t *testing.T) { authentikOutages(t, "2025.2") })
	t.Run("2026.2", func(t *testing.T) { authentikOutages(t, "2026.2") })
}

func authentikOutages(t *testing.T, version string) {
	sim := startSim(t, simulator.Options{Events: 3000, Users: 20, Groups: 4, Seed: 9, Version: version})
	truth := readTruth(t, sim.sim, testToken)
	es := startES(t)
	e := newEnv(t)
	listen := freePort(t)
	path := baseConfig(sim.URL, es.URL, e.state).set("http.listen", listen).
		set("http.unreachable_after", "2s").set("inputs.events.interval", "1s").
		set("authentik.timeout", "1s").set("authentik.max_retries", 2).write(t, e.dir)
	sim.slow = 3 * time.Second // beyond authentik.timeout
	watch := watchCursors(t, e.state, truth, es)
	p := startAkship(t, e.vars, "run", "-c", path)
	ctx := context.Background()
	ready := func() (int, string) { return getURL(ctx, "http://"+listen+"/readyz") }
	waitFor(t, "the backfill", 2*time.Minute, func() bool {
		if p.exited() {
			t.Fatalf("akship exited %d:\n%s", p.code, tail(p.stderr.String(), 30))
		}
		return es.Count(eventStream) == 3000
	})
	waitFor(t, "/readyz 200", time.Minute, func() bool { c, _ := ready(); return c == http.StatusOK })

	want := append([]string(nil), truth.byCreated...)
	phases := []struct {
		name       string
		begin, end func()
	}{
		{"down", sim.stop, func() { sim.restart(t) }},
		{"slow", func() { sim.setMode(gateSlow) }, func() { sim.setMode(gateOpen) }},
		{"throttled", func() { sim.setMode(gateThrottle) }, func() { sim.setMode(gateOpen) }},
		{"truncated JSON", func() { sim.setMode(gateTruncate) }, func() { sim.setMode(gateOpen) }},
	}
	for _, ph := range phases {
		before := sim.requests.Load()
		began := time.Now()
		ph.begin()
		fresh := sim.sim.InsertEvents(40)
		want = append(want, fresh...)
		waitFor(t, "/readyz 503 while authentik is "+ph.name, time.Minute, func() bool {
			c, body := ready()
			return c == http.StatusServiceUnavailable && strings.Contains(body, "authentik")
		})
		time.Sleep(time.Second)
		checkNotClaimed(t, e.state, began, ph.name)
		elapsed, reqs := time.Since(began), sim.requests.Load()-before
		if ph.name == "throttled" && float64(reqs) > elapsed.Seconds()+3 {
			t.Errorf("%d requests in %v of 429s with Retry-After: 1", reqs, elapsed.Round(time.Millisecond))
		}
		ph.end()
		recovered := time.Now()
		waitFor(t, "the events inserted while authentik was "+ph.name, 2*time.Minute, func() bool {
			return es.Count(eventStream) == len(want)
		})
		waitFor(t, "/readyz 200 after authentik was "+ph.name, time.Minute, func() bool {
			c, _ := ready()
			return c == http.StatusOK
		})
		t.Logf("FIGURES authentik %s: 503 after unreachable_after, %d requests in %v, recovered in %v",
			ph.name, reqs, elapsed.Round(time.Millisecond), time.Since(recovered).Round(time.Millisecond))
	}
	if code := p.term(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM exit code %d; stderr:\n%s", code, tail(p.stderr.String(), 20))
	}
	watch.finish(t)
	checkExactlyOnce(t, es, want, true)
	if d := es.Stats().Duplicates; d != 0 {
		t.Errorf("%d events were sent twice", d)
	}
}

// checkNotClaimed checks that the events cursor claims no event created
// at or after since: none of them could be read.
func checkNotClaimed(t *testing.T, stateDir string, since time.Time, phase string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := parseEventsCursor(t, b)
	// claims is monotonic in the created time: past since, it only shrinks.
	if c.claims(since.UTC(), "") {
		t.Errorf("while authentik was %s the cursor (watermark %v, walk %+v) claims events created after %v, "+
			"which could not be read", phase, c.Watermark, c.Walk, since)
	}
}
