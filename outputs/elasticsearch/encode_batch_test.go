package elasticsearch

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
	"akship/inputs/authentik/datasets"
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
		evs := testEvents(datasets.Event, "ev", 3)
		evs = append(evs, testEvents(datasets.User, "user", 2)...)
		evs = append(evs, &agent.Event{Dataset: datasets.Group, ID: "g", Raw: []byte(`{"pk":"g"}`),
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
	evs := testEvents(datasets.Event, "ev", 3)
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

// serialisedEvents are events a processor serialised (FieldsJSON): with the
// spare capacity processors leave, with none, and an empty object.
func serialisedEvents() []*agent.Event {
	doc := `{"@timestamp":"2026-03-01T00:00:00.000Z","event":{"dataset":"authentik.event","original":"{}"},"m":17,"n":12345678901234567890}`
	spare := append(make([]byte, 0, len(doc)+agent.FieldsJSONSpare), doc...)
	return []*agent.Event{
		{Dataset: datasets.Event, ID: "spare", FieldsJSON: spare},
		{Dataset: datasets.Event, ID: "exact", FieldsJSON: []byte(doc)},
		{Dataset: datasets.User, ID: "empty", FieldsJSON: []byte(`{}`)},
	}
}

func TestSerialisedDocumentsGetDataStream(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	want, failed := bulkBytes(t, o, serialisedEvents())
	if len(failed) > 0 {
		t.Fatalf("Write failed serialised documents: %v", failed)
	}
	for _, line := range []string{
		`{"create":{"_index":"logs-authentik.event-default","_id":"spare"}}` + "\n" +
			`{"@timestamp":"2026-03-01T00:00:00.000Z","event":{"dataset":"authentik.event","original":"{}"},"m":17,"n":12345678901234567890,` +
			`"data_stream":{"dataset":"authentik.event","namespace":"default","type":"logs"}}` + "\n",
		`{"create":{"_index":"logs-authentik.user-default","_id":"empty"}}` + "\n" +
			`{"data_stream":{"dataset":"authentik.user","namespace":"default","type":"logs"}}` + "\n",
	} {
		if !strings.Contains(want, line) {
			t.Errorf("body lacks %s\nbody:\n%s", line, want)
		}
	}
	ahead := serialisedEvents()
	spare := ahead[0].FieldsJSON
	o.Encode(ahead)
	for i, e := range ahead {
		if e.FieldsJSON != nil || len(e.Encoded) == 0 {
			t.Errorf("event %d: FieldsJSON kept (%v) or nothing encoded", i, e.FieldsJSON != nil)
		}
	}
	if &ahead[0].Encoded[0] != &spare[0] {
		t.Error("a document with spare capacity was copied instead of taken over")
	}
	if got, _ := bulkBytes(t, o, ahead); got != want {
		t.Errorf("body after Encode differs:\n%s", cmp.Diff(want, got))
	}
	// The dead-letter path decodes numbers as the mapping decodes records.
	if doc := ahead[1].Document(); doc["m"] != int64(17) || doc["n"] != 1.2345678901234567e19 {
		t.Errorf("Document() numbers: m = %#v, n = %#v", doc["m"], doc["n"])
	}
}

func TestSerialisedDocumentThatIsNotAnObject(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	evs := []*agent.Event{{Dataset: datasets.Event, ID: "bad", FieldsJSON: []byte(`[1]`)}}
	if _, failed := bulkBytes(t, o, evs); failed[0] == nil || !agent.IsPermanent(failed[0]) {
		t.Errorf("a FieldsJSON that is not an object was not refused as permanent: %v", failed)
	}
}
