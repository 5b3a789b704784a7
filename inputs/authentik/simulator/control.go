package simulator

import (
	"net/http"
	"strconv"
)

// Stats is a snapshot of the simulator's counters.
type Stats struct {
	// Events is the number of events stored now.
	Events int `json:"events"`
	// Users is the number of listed users.
	Users int `json:"users"`
	// Groups is the number of groups.
	Groups int `json:"groups"`
	// Requests counts API requests per list endpoint, failed ones included.
	Requests RequestStats `json:"requests"`
	// Inserted counts events inserted since start (live and on demand).
	Inserted uint64 `json:"inserted"`
	// Expired counts events removed as oldest since start.
	Expired uint64 `json:"expired"`
	// Deleted counts events removed with DeleteEvent.
	Deleted uint64 `json:"deleted"`
	// Faults counts injected faults.
	Faults uint64 `json:"faults"`
}

// RequestStats counts API requests by endpoint.
type RequestStats struct {
	// Events counts GET /api/v3/events/events/ requests.
	Events uint64 `json:"events"`
	// Users counts GET /api/v3/core/users/ requests.
	Users uint64 `json:"users"`
	// Groups counts GET /api/v3/core/groups/ requests.
	Groups uint64 `json:"groups"`
	// Retrieve counts requests to the single-object endpoints.
	Retrieve uint64 `json:"retrieve"`
}

// Stats returns the current counters.
func (s *Simulator) Stats() Stats {
	return Stats{
		Events: s.CountEvents(),
		Users:  len(s.dir.users),
		Groups: len(s.dir.groups),
		Requests: RequestStats{
			Events:   s.counters.events.Load(),
			Users:    s.counters.users.Load(),
			Groups:   s.counters.groups.Load(),
			Retrieve: s.counters.retrieve.Load(),
		},
		Inserted: s.counters.inserted.Load(),
		Expired:  s.counters.expired.Load(),
		Deleted:  s.counters.deleted.Load(),
		Faults:   s.counters.fault.Load(),
	}
}

func (st Stats) record() record {
	return record{
		{"events", st.Events}, {"users", st.Users}, {"groups", st.Groups},
		{"requests", record{{"events", int64(st.Requests.Events)}, {"users", int64(st.Requests.Users)},
			{"groups", int64(st.Requests.Groups)}, {"retrieve", int64(st.Requests.Retrieve)}}},
		{"inserted", int64(st.Inserted)}, {"expired", int64(st.Expired)}, {"deleted", int64(st.Deleted)},
		{"faults", int64(st.Faults)},
	}
}

// serveControl serves the /_sim/ endpoints (same bearer token, never
// faulted, not counted):
//
//	POST /_sim/events?count=N   insert N events created now → {"inserted": N, "pks": [...]}
//	POST /_sim/expire?count=N   delete the N oldest events  → {"expired": n}
//	POST /_sim/faults?fraction=F set the fault fraction      → {"faults": F}
//	GET  /_sim/stats            counters                     → Stats
func (s *Simulator) serveControl(w http.ResponseWriter, r *http.Request) {
	if resp, ok := s.authenticate(r); !ok {
		resp.write(w)
		return
	}
	s.control(r).write(w)
}

func (s *Simulator) control(r *http.Request) response {
	post := r.Method == http.MethodPost
	q := r.URL.Query()
	switch r.URL.Path {
	case "/_sim/stats":
		if r.Method != http.MethodGet {
			return detail(405, "Method \""+r.Method+"\" not allowed.")
		}
		return jsonResponse(200, s.Stats().record())
	case "/_sim/events", "/_sim/expire":
		if !post {
			return detail(405, "Method \""+r.Method+"\" not allowed.")
		}
		n, err := countParam(q.Get("count"))
		if err != nil {
			return validationError("count", "A valid integer between 0 and 1000000 is required.")
		}
		if r.URL.Path == "/_sim/expire" {
			return jsonResponse(200, record{{"expired", s.ExpireOldest(n)}})
		}
		pks := s.InsertEvents(n)
		return jsonResponse(200, record{{"inserted", len(pks)}, {"pks", pks}})
	case "/_sim/faults":
		if !post {
			return detail(405, "Method \""+r.Method+"\" not allowed.")
		}
		f, err := strconv.ParseFloat(q.Get("fraction"), 64)
		if err != nil || f < 0 || f > 1 {
			return validationError("fraction", "A number between 0 and 1 is required.")
		}
		s.SetFaults(f)
		return jsonResponse(200, record{{"faults", f}})
	}
	return detail(404, "Not found.")
}

func countParam(v string) (int, error) {
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err == nil && (n < 0 || n > 1_000_000) {
		err = strconv.ErrRange
	}
	return n, err
}
