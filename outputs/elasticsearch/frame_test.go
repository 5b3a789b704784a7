package elasticsearch

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"akship/agent"
	"akship/internal/datasets"
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

// TestFramingLeavesDocumentsAsTheyAre frames the same events from several
// goroutines, as retries and the dead-letter writer share an event's
// document (go test -race): every body is the same, and the documents are
// not changed.
func TestFramingLeavesDocumentsAsTheyAre(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	evs := testEvents(datasets.Event, "ev", 3)
	evs = append(evs, testEvents(datasets.User, "user", 2)...)
	evs = append(evs, &agent.Event{Dataset: datasets.Group, ID: "g", Raw: []byte(`{"pk":"g"}`),
		Collected: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}) // no document: the minimal one
	evs = append(evs, realisticEvents(50, 0)...)
	before := make([]string, len(evs))
	for i, e := range evs {
		before[i] = string(e.Document)
	}
	want, _ := bulkBytes(t, o, evs)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if got, _ := bulkBytes(t, o, evs); got != want {
					errs <- errors.New("a concurrently framed body differs")
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
	for i, e := range evs {
		if string(e.Document) != before[i] {
			t.Errorf("event %d: framing changed its document", i)
		}
	}
	if !strings.Contains(want, `{"create":{"_index":"logs-authentik.group-default","_id":"g"}}`+"\n"+
		`{"@timestamp":"2026-03-01T00:00:00Z","data_stream":{"dataset":"authentik.group","namespace":"default","type":"logs"},`+
		`"event":{"dataset":"authentik.group","original":"{\"pk\":\"g\"}"}}`+"\n") {
		t.Errorf("body lacks the minimal document:\n%s", want)
	}
}

func TestFramingRefusesOnlyTheBadDocument(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	evs := testEvents(datasets.Event, "ev", 3)
	evs[1].Document = []byte(`[1]`)
	body, failed := bulkBytes(t, o, evs)
	if err := failed[1]; err == nil || !agent.IsPermanent(err) || len(failed) != 1 {
		t.Errorf("failed = %v, want event 1 rejected permanently", failed)
	}
	if !strings.Contains(body, `"_id":"ev-0"`) || !strings.Contains(body, `"_id":"ev-2"`) {
		t.Errorf("its neighbours were not framed:\n%s", body)
	}
}

// serialisedEvents are events a processor serialised: with spare capacity
// after the document, with none, and an empty object.
func serialisedEvents() []*agent.Event {
	doc := `{"@timestamp":"2026-03-01T00:00:00.000Z","event":{"dataset":"authentik.event","original":"{}"},"m":17,"n":12345678901234567890}`
	spare := append(make([]byte, 0, len(doc)+128), doc...)
	return []*agent.Event{
		{Dataset: datasets.Event, ID: "spare", Document: spare},
		{Dataset: datasets.Event, ID: "exact", Document: []byte(doc)},
		{Dataset: datasets.User, ID: "empty", Document: []byte(`{}`)},
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
	// The dead-letter path decodes numbers as the mapping decodes records.
	if doc := ahead[1].DecodeDocument(); doc["m"] != int64(17) || doc["n"] != 1.2345678901234567e19 {
		t.Errorf("DecodeDocument() numbers: m = %#v, n = %#v", doc["m"], doc["n"])
	}
}

func TestSerialisedDocumentThatIsNotAnObject(t *testing.T) {
	o, _, _ := startOutput(t, testConfig("http://127.0.0.1:1"))
	evs := []*agent.Event{{Dataset: datasets.Event, ID: "bad", Document: []byte(`[1]`)}}
	if _, failed := bulkBytes(t, o, evs); failed[0] == nil || !agent.IsPermanent(failed[0]) {
		t.Errorf("a document that is not an object was not refused as permanent: %v", failed)
	}
}
