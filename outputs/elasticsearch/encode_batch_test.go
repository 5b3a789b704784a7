package elasticsearch

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
)

// bulkBytes is the uncompressed body Write would send for events.
func bulkBytes(t *testing.T, o *Output, events []*agent.Event) (string, map[int]error) {
	t.Helper()
	body := o.getBody()
	defer o.putBody(body)
	failed := map[int]error{}
	body.encode(events, o.routeOf, failed)
	if len(body.items) == 0 {
		return "", failed
	}
	if err := body.makePayload(0, len(body.items), 0); err != nil {
		t.Fatal(err)
	}
	return body.payload.String(), failed
}

func TestEncodeAheadGivesTheSameBody(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	mixed := func() []*agent.Event {
		evs := testEvents(agent.DatasetEvent, "ev", 3)
		evs = append(evs, testEvents(agent.DatasetUser, "user", 2)...)
		evs = append(evs, &agent.Event{Dataset: agent.DatasetGroup, ID: "g", Raw: []byte(`{"pk":"g"}`),
			Collected: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}) // no Fields: the minimal document
		return append(evs, realisticEvents(4, 0)...)
	}
	want, _ := bulkBytes(t, o, mixed())
	ahead := mixed()
	o.Encode(ahead)
	for i, e := range ahead {
		if e.Fields != nil || len(e.Encoded) == 0 {
			t.Errorf("event %d: Fields %v, %d encoded bytes", i, e.Fields != nil, len(e.Encoded))
		}
	}
	got, failed := bulkBytes(t, o, ahead)
	if len(failed) > 0 || got != want {
		t.Errorf("body after Encode differs (failed %v):\n%s", failed, cmp.Diff(want, got))
	}
	// Encoding again changes nothing, and the dead-letter path still gets
	// the document.
	o.Encode(ahead)
	if again, _ := bulkBytes(t, o, ahead); again != want {
		t.Error("a second Encode changed the body")
	}
	doc := ahead[0].Document()
	if ev, _ := doc["event"].(map[string]any); ev["action"] != "login" || ev["dataset"] != "authentik.event" {
		t.Errorf("Document() after Encode = %v", doc)
	}
}

func TestEncodeLeavesUnencodableEventsToWrite(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	evs := testEvents(agent.DatasetEvent, "ev", 3)
	evs[1].Fields["bad"] = math.NaN()
	o.Encode(evs)
	if evs[1].Encoded != nil || evs[1].Fields == nil {
		t.Fatal("the unencodable event was encoded")
	}
	if evs[0].Encoded == nil || evs[2].Encoded == nil {
		t.Fatal("its neighbours were not encoded")
	}
	_, failed := bulkBytes(t, o, evs)
	if err := failed[1]; err == nil || !agent.IsPermanent(err) || len(failed) != 1 {
		t.Errorf("failed = %v, want event 1 rejected permanently", failed)
	}
}

// TestEncodeConcurrently runs Encode from several goroutines, as the
// pipeline's workers do (go test -race).
func TestEncodeConcurrently(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	want, _ := bulkBytes(t, o, realisticEvents(50, 0))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				evs := realisticEvents(50, 0)
				o.Encode(evs)
				if got, _ := bulkBytes(t, o, evs); got != want {
					errs <- errors.New("a concurrently encoded body differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
