package simulator

import (
	"math"
	"net/http"
	"time"
)

// fault is an injected failure.
type fault uint8

const (
	faultNone     fault = iota
	fault500            // 500 with Django's HTML error page
	fault429            // 429 with Retry-After and DRF's throttle body
	faultSlow           // answer normally after SlowDelay
	faultTruncate       // 200 whose JSON body stops half-way
)

// SetFaults changes the fraction of API requests that fail; values outside
// [0, 1] are clamped.
func (s *Simulator) SetFaults(f float64) {
	if math.IsNaN(f) {
		f = 0
	}
	s.faults.Store(math.Float64bits(min(max(f, 0), 1)))
}

// Faults returns the current fault fraction.
func (s *Simulator) Faults() float64 { return math.Float64frombits(s.faults.Load()) }

// nextFault decides the fate of the next API request. Whether request n
// fails is a pure function of (seed, n); failing requests cycle through the
// four kinds so they are evenly shared.
func (s *Simulator) nextFault() fault {
	n := s.seq.Add(1)
	f := s.Faults()
	if f == 0 {
		return faultNone
	}
	r := newRNG(s.opts.Seed, n, streamFaults)
	if r.float() >= f {
		return faultNone
	}
	s.counters.fault.Add(1)
	return fault500 + fault((s.faultSeq.Add(1)-1)%4)
}

const serverErrorPage = "<!doctype html>\n<html lang=\"en\">\n<head><title>Server Error (500)</title></head>\n" +
	"<body><h1>Server Error (500)</h1><p>authentik encountered an unexpected error.</p></body>\n</html>\n"

// applyFault answers the faults that replace the response; done reports
// whether the response is final. Slow faults wait first (or give up when
// the client goes away) and then let the request proceed.
func (s *Simulator) applyFault(r *http.Request, f fault) (resp response, done bool) {
	switch f {
	case fault500:
		return response{status: 500, contentType: "text/html; charset=utf-8", body: []byte(serverErrorPage)}, true
	case fault429:
		resp := detail(429, "Request was throttled. Expected available in 1 second.")
		resp.header = map[string]string{"Retry-After": "1"}
		return resp, true
	case faultSlow:
		t := time.NewTimer(s.opts.SlowDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return response{status: 499}, true
		}
	}
	return response{}, false
}

// truncate cuts a response body in half. Content-Length matches the cut
// body, so the transfer completes and the client sees invalid JSON rather
// than a connection error.
func truncate(resp response) response {
	resp.status = 200
	resp.body = resp.body[:len(resp.body)/2]
	return resp
}
