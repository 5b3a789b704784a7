package reliability_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// The shapes of the state files (see agent/state and
// inputs/authentik/cursor.go), as far as the checks need them.
type stateEnvelope struct {
	Version int             `json:"version"`
	Name    string          `json:"name"`
	Cursor  json.RawMessage `json:"cursor"`
}

type eventsCursor struct {
	Floor     time.Time  `json:"floor"`
	Watermark time.Time  `json:"watermark"`
	Seen      []seen     `json:"seen"`
	Walk      *walkState `json:"walk"`
}

type seen struct {
	PK      string    `json:"pk"`
	Created time.Time `json:"created"`
}

type walkState struct {
	Started time.Time `json:"started"`
	Stop    time.Time `json:"stop"`
	Top     time.Time `json:"top"`
	Low     time.Time `json:"low"`
	LowPKs  []string  `json:"low_pks"`
	Page    int       `json:"page"`
}

type snapshotCursor struct {
	Completed time.Time `json:"completed"`
	Current   *struct {
		Started time.Time `json:"started"`
		Page    int       `json:"page"`
	} `json:"current"`
}

// claims reports whether cursor c says the event (created, pk) is done:
// below the watermark (and not below the floor), at the watermark when its
// pk is among the seen ones (a keyset walk may stop between events of the
// same created time), or in the part of the current offset walk already
// passed.
func (c *eventsCursor) claims(created time.Time, pk string) bool {
	if !c.Watermark.IsZero() && !created.Before(c.Floor) {
		if created.Before(c.Watermark) {
			return true
		}
		if created.Equal(c.Watermark) && slices.ContainsFunc(c.Seen, func(s seen) bool { return s.PK == pk }) {
			return true
		}
	}
	w := c.Walk
	if w == nil || w.Low.IsZero() {
		return false
	}
	if created.After(w.Low) && !created.After(w.Top) {
		return true
	}
	return created.Equal(w.Low) && slices.Contains(w.LowPKs, pk)
}

// cursorWatch polls the state directory every few milliseconds while
// akship runs and checks every cursor it observes:
//   - it only moves forward: the floor never changes, the watermark never
//     decreases, within one walk (same start) the low end never rises and
//     the top never changes, a new walk starts only after the previous
//     one's top became the watermark, the number of events claimed as done
//     never decreases; snapshot cursors' completion time never decreases;
//   - it never passes unacknowledged data: every event it claims as done
//     is already in Elasticsearch when the cursor is observed (the file is
//     read first, the double second).
type cursorWatch struct {
	dir   string
	truth *eventTruth // nil: only the monotonic checks
	es    *esdoubletest.Server
	// deadLetter, when set, is a dead-letter file whose events count as
	// done too (acknowledged after being written there).
	deadLetter string

	mu       sync.Mutex
	errs     []string
	changes  int // distinct cursor states observed
	claimsOK int // claim checks passed
	last     map[string][]byte
	lastEv   *eventsCursor
	claimed  int
	lastSnap map[string]snapshotCursor
	have     map[string]bool
	haveN    int

	stop, done chan struct{}
}

// watchCursors starts watching stateDir. finish stops it and reports. An
// optional dead-letter file path makes its events count as done too.
func watchCursors(t *testing.T, stateDir string, truth *eventTruth, es *esdoubletest.Server, deadLetter ...string) *cursorWatch {
	t.Helper()
	w := &cursorWatch{dir: stateDir, truth: truth, es: es, last: map[string][]byte{},
		lastSnap: map[string]snapshotCursor{}, have: map[string]bool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if len(deadLetter) > 0 {
		w.deadLetter = deadLetter[0]
	}
	go w.loop()
	t.Cleanup(w.halt)
	return w
}

func (w *cursorWatch) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// finish stops watching and fails the test for every violation seen.
func (w *cursorWatch) finish(t *testing.T) {
	t.Helper()
	w.halt()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, e := range w.errs {
		if i == 20 {
			t.Errorf("… and %d more cursor violations", len(w.errs)-20)
			break
		}
		t.Error(e)
	}
	t.Logf("cursor watch: %d cursor states observed, %d claim checks passed, no violation: %v",
		w.changes, w.claimsOK, len(w.errs) == 0)
}

func (w *cursorWatch) loop() {
	defer close(w.done)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			w.poll() // the final state
			return
		case <-tick.C:
			w.poll()
		}
	}
}

func (w *cursorWatch) fail(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) < 1000 {
		w.errs = append(w.errs, fmt.Sprintf(format, args...))
	}
}

func (w *cursorWatch) poll() {
	for _, name := range []string{"events", "users", "groups"} {
		path := filepath.Join(w.dir, name+".json")
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			w.fail("reading %s: %v", path, err)
			continue
		}
		if bytes.Equal(b, w.last[name]) {
			continue
		}
		w.last[name] = b
		var env stateEnvelope
		if err := json.Unmarshal(b, &env); err != nil || env.Version != 1 || env.Name != name {
			// Saves are atomic renames: a reader never sees a torn file.
			w.fail("%s is not a whole state file (%v): %q", path, err, b)
			continue
		}
		w.mu.Lock()
		w.changes++
		w.mu.Unlock()
		if name == "events" {
			var c eventsCursor
			if err := json.Unmarshal(env.Cursor, &c); err != nil {
				w.fail("events cursor unreadable: %v", err)
				continue
			}
			w.checkEvents(&c)
		} else {
			var c snapshotCursor
			if err := json.Unmarshal(env.Cursor, &c); err != nil {
				w.fail("%s cursor unreadable: %v", name, err)
				continue
			}
			if prev, ok := w.lastSnap[name]; ok && c.Completed.Before(prev.Completed) {
				w.fail("%s cursor moved back: completed %v after %v", name, c.Completed, prev.Completed)
			}
			w.lastSnap[name] = c
		}
	}
}

func (w *cursorWatch) checkEvents(c *eventsCursor) {
	if p := w.lastEv; p != nil {
		if !c.Floor.Equal(p.Floor) {
			w.fail("events floor changed from %v to %v", p.Floor, c.Floor)
		}
		if c.Watermark.Before(p.Watermark) {
			w.fail("events watermark moved back from %v to %v", p.Watermark, c.Watermark)
		}
		switch {
		case p.Walk != nil && c.Walk != nil && c.Walk.Started.Equal(p.Walk.Started):
			if !c.Walk.Top.Equal(p.Walk.Top) && !p.Walk.Top.IsZero() {
				w.fail("walk started %v changed its top from %v to %v", c.Walk.Started, p.Walk.Top, c.Walk.Top)
			}
			if !p.Walk.Low.IsZero() && c.Walk.Low.After(p.Walk.Low) {
				w.fail("walk started %v moved back: low rose from %v to %v", c.Walk.Started, p.Walk.Low, c.Walk.Low)
			}
		case p.Walk != nil && (c.Walk == nil || !c.Walk.Started.Equal(p.Walk.Started)):
			if c.Watermark.Before(p.Walk.Top) {
				w.fail("walk started %v was left without completing: watermark %v below its top %v",
					p.Walk.Started, c.Watermark, p.Walk.Top)
			}
		}
	}
	w.lastEv = c
	if w.truth == nil {
		return
	}
	// The cursor file was read before the documents: whatever it claims
	// must already be stored.
	docs := w.es.Docs(eventStream)
	for _, d := range docs[w.haveN:] {
		w.have[d.ID] = true
	}
	w.haveN = len(docs)
	if w.deadLetter != "" {
		w.readDeadLetters()
	}
	claimed, missing := 0, 0
	for _, pk := range w.truth.byCreated {
		if !c.claims(w.truth.created[pk], pk) {
			continue
		}
		claimed++
		if !w.have[pk] {
			missing++
			if missing <= 3 {
				w.fail("cursor (watermark %v, walk %+v) claims event %s (created %v) that is not in Elasticsearch",
					c.Watermark, c.Walk, pk, w.truth.created[pk].Format(time.RFC3339Nano))
			}
		}
	}
	if claimed < w.claimed {
		w.fail("the cursor moved back: it claims %d events, it claimed %d before", claimed, w.claimed)
	}
	w.claimed = claimed
	if missing == 0 {
		w.mu.Lock()
		w.claimsOK++
		w.mu.Unlock()
	}
}

// readDeadLetters adds the ids of the dead-letter file's complete lines
// to the events known to be done.
func (w *cursorWatch) readDeadLetters() {
	b, err := os.ReadFile(w.deadLetter)
	if err != nil {
		return
	}
	for len(b) > 0 {
		line, rest, complete := bytes.Cut(b, []byte("\n"))
		if !complete {
			break // being written
		}
		b = rest
		var e struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(line, &e) == nil {
			w.have[e.ID] = true
		}
	}
}

// parseEventsCursor decodes the events state file.
func parseEventsCursor(t *testing.T, b []byte) *eventsCursor {
	t.Helper()
	var env stateEnvelope
	var c eventsCursor
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("events.json: %v", err)
	}
	if err := json.Unmarshal(env.Cursor, &c); err != nil {
		t.Fatalf("events.json cursor: %v", err)
	}
	return &c
}
