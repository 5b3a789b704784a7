package reliability_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/outputs/elasticsearch/esdouble"
)

// TestCrashRecovery backfills events from a faulty authentik into a faulty
// Elasticsearch, SIGKILLs akship at random moments, restarts it each time
// and lets the last run finish. Every event must be in Elasticsearch
// exactly once, users and groups complete, nothing dead-lettered, and no
// cursor ever observed may have moved back or past unacknowledged data.
//
// It runs against both of the events input's walks: the offset walk
// (authentik 2025.2) and the keyset walk (2025.8's query language), and
// against authentik 2026.2 without a licence (offset walk on pages cut to
// 100 whatever page_size asks, autocomplete in every list).
func TestCrashRecovery(t *testing.T) {
	skipShort(t)
	t.Run("offset walk", func(t *testing.T) { crashRecovery(t, "2025.2", size(30000, 100000), size(8, 20)) })
	t.Run("keyset walk", func(t *testing.T) { crashRecovery(t, "2025.8", size(15000, 100000), size(8, 20)) })
	t.Run("2026.2", func(t *testing.T) { crashRecovery(t, "2026.2", size(8000, 100000), size(5, 20)) })
}

func crashRecovery(t *testing.T, version string, events, kills int) {
	const seed = 20260611
	sim := startSim(t, simulator.Options{Events: events, Users: 300, Groups: 30, Seed: seed,
		SlowDelay: 300 * time.Millisecond, Version: version, License: licenseFor(version)})
	truth := readTruth(t, sim.sim, testToken)
	sim.sim.SetFaults(0.05)
	es := startES(t)
	es.SetFaults(esdouble.Faults{Seed: seed, ItemRejectRate: 0.05, RequestErrorRate: 0.03})
	e := newEnv(t)
	// Small pages and bulks: more requests, so more faults, more cursor
	// states to check and more moments to be killed in.
	path := baseConfig(sim.URL, es.URL, e.state).set("inputs.events.page_size", 200).
		set("inputs.users.page_size", 50).set("inputs.groups.page_size", 10).
		set("output.elasticsearch.bulk_max_docs", 300).write(t, e.dir)
	watch := watchCursors(t, e.state, truth, es)

	// Kill moments: most at a random share of the backfill delivered (so
	// they fall inside it whatever the machine's speed), every third at a
	// random time after start (start-up, the first pages, the snapshots).
	rng := rand.New(rand.NewPCG(seed, 1))
	shares := make([]float64, kills)
	for i := range shares {
		shares[i] = 0.03 + 0.93*rng.Float64()
	}
	slices.Sort(shares)
	start := time.Now()
	for i, share := range shares {
		p := startAkship(t, e.vars, "run", "--once", "-c", path)
		if i%3 == 2 {
			time.Sleep(time.Duration(50+rng.IntN(750)) * time.Millisecond)
		} else {
			target := int(share * float64(events))
			waitFor(t, "the backfill to progress", 5*time.Minute, func() bool {
				return es.Count(eventStream) >= target || p.exited()
			})
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		}
		if p.exited() {
			t.Fatalf("akship exited with %d before kill %d; stderr:\n%s", p.code, i+1, tail(p.stderr.String(), 30))
		}
		p.kill(t)
		t.Logf("kill %d: %d events in Elasticsearch", i+1, es.Count(eventStream))
	}
	p := startAkship(t, e.vars, "run", "--once", "-c", path)
	if code := p.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("the final run exited %d; stderr:\n%s", code, tail(p.stderr.String(), 40))
	}
	took := time.Since(start)
	watch.finish(t)

	r := checkExactlyOnce(t, es, truth.byCreated, true)
	st := sim.sim.Stats()
	if n := es.Count(userStream); n != st.Users {
		t.Errorf("%d user documents, want %d", n, st.Users)
	}
	if n := es.Count(groupStream); n != st.Groups {
		t.Errorf("%d group documents, want %d", n, st.Groups)
	}
	checkNoDeadLetters(t, e.dlq)
	es1 := es.Stats()
	if es1.ItemErrors != 0 {
		t.Errorf("Elasticsearch rejected %d items permanently", es1.ItemErrors)
	}
	t.Logf("FIGURES crash (authentik %s): %d events, %d SIGKILLs, %d restarts, %d in Elasticsearch, %d missing, %d unexpected, "+
		"%d event.ids under two _ids, %d replays absorbed as 409, %d authentik faults, %d item 429s, "+
		"%d request 5xx, took %v",
		version, events, kills, kills, r.docs, r.missing, r.unexpected, r.sharedEventID, es1.Duplicates, st.Faults,
		es1.Rejected, es1.RequestErrors, took.Round(time.Second))
}

// licenseFor gives 2025.8 the enterprise licence its query language needs
// (the keyset walk); other releases run as installed, without one.
func licenseFor(version string) string {
	if version == "2025.8" {
		return simulator.LicenseEnterprise
	}
	return simulator.LicenseNone
}
