package reliability_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/outputs/elasticsearch/esdouble"
)

// poisonRule makes the double reject, as a mapping conflict, every event
// whose context has a "successful" boolean (a few percent of them).
var poisonRule = &esdouble.MappingRule{Field: "authentik.event.context.successful", JSONType: "bool", MappedAs: "long"}

// TestDeadLetterDiskFull: Elasticsearch rejects some events permanently
// while the dead-letter file is on a full disk (/dev/full). Those events
// must not be acknowledged — the cursor never passes them, the agent says
// why — and nothing is lost: after the dead-letter path is fixed and akship
// restarted, the poison events are in the dead-letter file with their
// reason and every other event is in Elasticsearch, each exactly once.
func TestDeadLetterDiskFull(t *testing.T) {
	skipShort(t)
	sim := startSim(t, simulator.Options{Events: 2000, Users: 10, Groups: 3, Seed: 21})
	truth := readTruth(t, sim.sim, testToken)
	es := startES(t)
	es.SetFaults(esdouble.Faults{Mapping: poisonRule})
	e := newEnv(t)
	conf := baseConfig(sim.URL, es.URL, e.state).set("inputs.events.page_size", 100).
		set("inputs.events.interval", "1s").set("pipeline.dead_letter_path", "/dev/full").
		set("pipeline.shutdown_timeout", "2s")
	path := conf.write(t, e.dir)
	dlq := filepath.Join(e.dir, "dead-letter.ndjson")
	watch := watchCursors(t, e.state, truth, es, dlq)
	p := startAkship(t, e.vars, "run", "-c", path)
	waitFor(t, "the dead-letter failure to be logged", time.Minute, func() bool {
		return strings.Contains(p.stderr.String(), "no space left on device")
	})
	// Reading stops once the pages behind the poison fill the in-flight
	// bound; let it settle.
	var frozen uint64
	waitFor(t, "reading to stop", time.Minute, func() bool {
		n := sim.sim.Stats().Requests.Events
		time.Sleep(time.Second)
		frozen = sim.sim.Stats().Requests.Events
		return frozen == n
	})
	stuck := es.Count(eventStream)
	logs := p.stderr.String()
	for _, w := range []string{"writing to the dead-letter queue failed", "/dev/full", "no space left on device"} {
		if !strings.Contains(logs, w) {
			t.Errorf("the log does not say %q:\n%s", w, tail(logs, 5))
		}
	}
	p.term(t, 30*time.Second)
	b, err := os.ReadFile(filepath.Join(e.state, "events.json"))
	if err == nil && !parseEventsCursor(t, b).Watermark.IsZero() {
		t.Errorf("the walk completed although poison events were never stored anywhere")
	}

	path = conf.set("pipeline.dead_letter_path", dlq).write(t, e.dir)
	if code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", path); code != 0 {
		t.Fatalf("the run with a working dead-letter file exited %d:\n%s", code, tail(stderr, 20))
	}
	watch.finish(t)

	dead := readDeadLetters(t, dlq)
	stored := map[string]bool{}
	for _, d := range es.Docs(eventStream) {
		stored[d.ID] = true
	}
	lost, both := 0, 0
	for _, pk := range truth.byCreated {
		_, isDead := dead[pk]
		switch {
		case stored[pk] && isDead:
			both++
		case !stored[pk] && !isDead:
			lost++
		}
	}
	if lost > 0 || both > 0 || len(dead) == 0 || len(dead)+len(stored) != len(truth.byCreated) {
		t.Errorf("%d events, %d in Elasticsearch, %d dead-lettered: %d lost, %d in both",
			len(truth.byCreated), len(stored), len(dead), lost, both)
	}
	for pk, reason := range dead {
		if !strings.Contains(reason, "mapper_parsing_exception") || !strings.Contains(reason, "successful") {
			t.Errorf("dead-lettered event %s has the reason %q", pk, reason)
		}
	}
	if st, err := os.Stat(dlq); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("dead-letter file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	t.Logf("FIGURES dead-letter-full: %d events, %d poison; with /dev/full: %d stored, reads stopped at %d "+
		"requests, cursor never passed a poison event; after the fix: %d in Elasticsearch, %d in the dead-letter "+
		"file with their reason, 0 lost",
		len(truth.byCreated), len(dead), stuck, frozen, len(stored), len(dead))
}

// readDeadLetters returns the dead-letter file's entries: document id →
// error.
func readDeadLetters(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the dead-letter file: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e struct {
			ID       string         `json:"id"`
			Index    string         `json:"index"`
			Error    string         `json:"error"`
			Document map[string]any `json:"document"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("dead-letter line is not JSON: %v", err)
		}
		if _, dup := out[e.ID]; dup {
			t.Errorf("event %s dead-lettered twice", e.ID)
		}
		if e.Index == "" || e.Document == nil {
			t.Errorf("dead-letter entry without index or document: %s", sc.Bytes())
		}
		out[e.ID] = e.Error
	}
	return out
}
