package reliability_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/outputs/elasticsearch/esdouble"
)

// TestLiveSource runs a backfill and then incremental polls while the
// simulator inserts new events (with created stamped up to InsertSkew in
// the past, as late rows from skewed app servers) and expires the oldest.
// Every event that still exists at the end must be in Elasticsearch — the
// inserted ones included, since the expiry is kept below the initial count
// and so never reaches them — and no event may be sent twice (the double
// answers a second create with 409, and the agent dedupes by pk, so any
// 409 here is a duplicate the agent sent). Users and groups must be
// complete.
//
// It runs against authentik 2025.2 (offset walk, pages as asked), 2026.2
// without a licence (offset walk, pages cut to 100, autocomplete) and
// 2026.8 (keyset walk, pages of 100). On 2026.8 the inserts carry no skew,
// so no poll meets late rows, and every poll must cost at most
// ceil(new / 100) + 1 event requests: over the incremental phase, at most
// new/100 + 2 per poll.
func TestLiveSource(t *testing.T) {
	skipShort(t)
	t.Run("2025.2", func(t *testing.T) { liveSource(t, "2025.2", size(10000, 100000), 10*time.Second) })
	t.Run("2026.2", func(t *testing.T) { liveSource(t, "2026.2", size(3000, 100000), 10*time.Second) })
	t.Run("2026.8", func(t *testing.T) { liveSource(t, "2026.8", size(3000, 100000), 0) })
}

func liveSource(t *testing.T, version string, initial int, skew time.Duration) {
	incremental := time.Duration(size(8, 60)) * time.Second
	const insertRate, expireRate = 150, 60
	sim := startSim(t, simulator.Options{Events: initial, Users: 20, Groups: 4, Seed: 17, Version: version,
		InsertRate: insertRate, ExpireRate: expireRate, InsertSkew: skew})
	known := map[string]bool{}
	for _, pk := range sim.sim.EventPKs() {
		known[pk] = true
	}
	es := startES(t)
	// A little latency stretches the backfill so that inserts and expiry
	// happen during it, not only after.
	es.SetFaults(esdouble.Faults{Latency: 5 * time.Millisecond})
	e := newEnv(t)
	listen := freePort(t)
	path := baseConfig(sim.URL, es.URL, e.state).set("http.listen", listen).set("inputs.events.interval", "1s").
		set("inputs.events.overlap", "30s").set("inputs.events.page_size", 500).
		set("output.elasticsearch.bulk_max_docs", 200).write(t, e.dir)
	watch := watchCursors(t, e.state, nil, es)
	ctx, stopLive := context.WithCancel(context.Background())
	liveDone := make(chan struct{})
	go func() { _ = sim.sim.Run(ctx); close(liveDone) }()
	t.Cleanup(func() { stopLive(); <-liveDone })

	start := time.Now()
	p := startAkship(t, e.vars, "run", "-c", path)
	// The first completed poll is the backfill (the keyset walk moves the
	// watermark with every page, so the cursor cannot tell).
	waitFor(t, "the backfill to complete", 5*time.Minute, func() bool { return pollCount(t, listen) >= 1 })
	backfill := time.Since(start)
	polls0, requests0, inserted0 := pollCount(t, listen), sim.sim.Stats().Requests.Events, sim.sim.Stats().Inserted
	time.Sleep(incremental)
	stopLive()
	<-liveDone
	st := sim.sim.Stats()
	polls, requests, inserted := pollCount(t, listen)-polls0, st.Requests.Events-requests0, st.Inserted-inserted0
	perPoll := float64(requests) / float64(max(polls, 1))
	t.Logf("FIGURES live %s: %d polls in %v of steady inserts (%d/s): %d event requests, %.1f per poll for %.0f new",
		version, polls, incremental, insertRate, requests, perPoll, float64(inserted)/float64(max(polls, 1)))
	// Polls overlapping the phase's ends count as one extra each.
	if limit := float64(inserted)/100 + 2*float64(polls+2); skew == 0 && float64(requests) > limit {
		t.Errorf("%d event requests in %d polls for %d new events; want ≤ %.0f", requests, polls, inserted, limit)
	}
	final := sim.sim.EventPKs()
	if int(st.Expired) >= initial {
		t.Fatalf("expiry (%d) reached the inserted events; the test's claim needs it below %d", st.Expired, initial)
	}
	for _, pk := range final {
		known[pk] = true
	}
	have := func() bool {
		docs := es.Docs(eventStream)
		ids := make(map[string]bool, len(docs))
		for _, d := range docs {
			ids[d.ID] = true
		}
		for _, pk := range final {
			if !ids[pk] {
				return false
			}
		}
		return true
	}
	waitFor(t, "every remaining event", 2*time.Minute, have)
	if code := p.term(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM exit code %d; stderr:\n%s", code, tail(p.stderr.String(), 20))
	}
	watch.finish(t)
	r := checkExactlyOnce(t, es, final, false)
	unknown := 0
	for _, d := range es.Docs(eventStream) {
		if !known[d.ID] {
			unknown++
		}
	}
	if unknown > 0 {
		t.Errorf("%d documents are not events the simulator ever held", unknown)
	}
	if n := es.Count(userStream); n != st.Users {
		t.Errorf("%d user documents, want %d", n, st.Users)
	}
	if n := es.Count(groupStream); n != st.Groups {
		t.Errorf("%d group documents, want %d", n, st.Groups)
	}
	dups := es.Stats().Duplicates
	if dups != 0 {
		t.Errorf("%d events were sent twice", dups)
	}
	t.Logf("FIGURES live %s: %d initial events, %d inserted (skew up to %v), %d expired, %d remaining at the end, "+
		"backfill %v then %v of incremental polls; %d in Elasticsearch (%d expired after being read), "+
		"%d remaining missing, %d sent twice",
		version, initial, st.Inserted, skew, st.Expired, len(final), backfill.Round(time.Second), incremental,
		r.docs, r.docs-len(final), r.missing, dups)
}

// pollCount reads akship's count of completed events polls from /metrics.
func pollCount(t *testing.T, listen string) int {
	t.Helper()
	_, body := getURL(context.Background(), "http://"+listen+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, `akship_input_poll_duration_seconds_count{input="events"} `); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return n
		}
	}
	return 0
}
