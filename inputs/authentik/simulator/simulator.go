// Package simulator is an HTTP double of authentik's REST API for the three
// list endpoints akship polls (events, users, groups) and their retrieve
// endpoints. It generates deterministic data from a seed, stores only 32
// bytes per event and renders JSON on request, emulates authentik's
// pagination, filters, ordering, search, authentication errors and masking,
// and can insert and expire events live and inject faults. Tests, `akship
// simulate`, `akship demo` and benchmarks use it.
package simulator

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Simulator serves the emulated API. It is safe for concurrent use: every
// request sees a consistent snapshot of the data while live inserts and
// expiry proceed.
type Simulator struct {
	opts   Options
	prof   profile // what the emulated release does
	gen    *generator
	dir    *directory
	faults atomic.Uint64 // float64 bits of the fault fraction

	mu    sync.RWMutex // guards store, live and users' lastLogin
	store *eventStore
	live  rng

	seq      atomic.Uint64 // API requests seen, drives fault choice
	faultSeq atomic.Uint64
	counters counters
}

// counters are the Stats counters.
type counters struct {
	events, users, groups, retrieve   atomic.Uint64
	inserted, expired, deleted, fault atomic.Uint64
}

// New validates o and generates the data set.
func New(o Options) (*Simulator, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("simulator options invalid: %w", err)
	}
	prof, _ := newProfile(o.Version, o.License, o.DefaultPageSize, o.MaxPageSize)
	m, _ := newMasker(o.MaskPattern)
	now := o.Now()
	dir := newDirectory(o.Seed, o.Users, o.Groups, now)
	gen := newGenerator(o.Seed, dir, m, prof.extraActions)
	s := &Simulator{
		opts:  o,
		prof:  prof,
		gen:   gen,
		dir:   dir,
		store: newEventStore(gen, o.Events, now),
		live:  newRNG(o.Seed, 0, streamLive),
	}
	s.SetFaults(o.Faults)
	return s, nil
}

// endpoint identifies a routed API path.
type endpoint uint8

const (
	epNone endpoint = iota
	epEvents
	epEvent
	epUsers
	epUser
	epGroups
	epGroup
)

var listPaths = map[string][2]endpoint{
	"/api/v3/events/events/": {epEvents, epEvent},
	"/api/v3/core/users/":    {epUsers, epUser},
	"/api/v3/core/groups/":   {epGroups, epGroup},
}

// route maps a path to its endpoint and, for retrieve endpoints, the id.
// Like DRF's router, ids match [^/.]+ and every path ends with a slash.
func route(path string) (endpoint, string) {
	for prefix, eps := range listPaths {
		if path == prefix {
			return eps[0], ""
		}
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok {
			continue
		}
		id, ok := strings.CutSuffix(rest, "/")
		if ok && id != "" && !strings.ContainsAny(id, "/.") {
			return eps[1], id
		}
	}
	return epNone, ""
}

// response is a complete answer, built before writing so faults can
// truncate it.
type response struct {
	status      int
	body        []byte
	contentType string
	header      map[string]string
}

// jsonResponse renders v as a DRF JSON response.
func jsonResponse(status int, v any) response {
	e := encoder{}
	e.value(v)
	return response{status: status, body: e.buf}
}

func detail(status int, msg string) response {
	return jsonResponse(status, record{{"detail", msg}})
}

func (r response) write(w http.ResponseWriter) {
	h := w.Header()
	ct := r.contentType
	if ct == "" {
		ct = "application/json"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(r.body)))
	for k, v := range r.header {
		h.Set(k, v)
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body) // the client went away; nothing left to do
}

// ServeHTTP serves the API, the /_sim/ control endpoints, Django's
// trailing-slash redirects and 404s.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	ep, id := route(r.URL.Path)
	if ep == epNone {
		s.notRouted(w, r)
		return
	}
	s.count(ep)
	f := s.nextFault()
	if resp, done := s.applyFault(r, f); done {
		resp.write(w)
		return
	}
	resp := s.handle(r, ep, id)
	if f == faultTruncate {
		resp = truncate(resp)
	}
	resp.write(w)
}

// notRouted emulates Django's CommonMiddleware (APPEND_SLASH: 301 to the
// slashed path when that one exists) and its HTML 404.
func (s *Simulator) notRouted(w http.ResponseWriter, r *http.Request) {
	if ep, _ := route(r.URL.Path + "/"); ep != epNone {
		target := r.URL.Path + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", target)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	response{status: 404, contentType: "text/html; charset=utf-8",
		body: []byte("<!doctype html>\n<html lang=\"en\"><head><title>Not Found</title></head><body><h1>Not Found</h1>" +
			"<p>The requested resource was not found on this server.</p></body></html>\n")}.write(w)
}

func (s *Simulator) count(ep endpoint) {
	switch ep {
	case epEvents:
		s.counters.events.Add(1)
	case epUsers:
		s.counters.users.Add(1)
	case epGroups:
		s.counters.groups.Add(1)
	default:
		s.counters.retrieve.Add(1)
	}
}

// handle authenticates and dispatches an API request. As in DRF,
// authentication runs before the method check.
func (s *Simulator) handle(r *http.Request, ep endpoint, id string) response {
	if resp, ok := s.authenticate(r); !ok {
		return resp
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		resp := detail(405, fmt.Sprintf("Method %q not allowed.", r.Method))
		resp.header = map[string]string{"Allow": "GET, HEAD"}
		return resp
	}
	q := r.URL.Query()
	switch ep {
	case epEvents:
		return s.listEvents(q)
	case epEvent:
		return s.getEvent(id)
	case epUsers:
		return s.listUsers(q)
	case epUser:
		return s.getUser(id, q)
	case epGroups:
		return s.listGroups(q)
	default:
		return s.getGroup(id, q)
	}
}

// authenticate applies authentik's bearer token rules. Every failure is a
// 403 because the authenticator advertises no WWW-Authenticate scheme.
func (s *Simulator) authenticate(r *http.Request) (response, bool) {
	raw := strings.TrimSpace(r.Header.Get("Authorization"))
	if raw == "" || !strings.Contains(raw, " ") {
		return detail(403, "Authentication credentials were not provided."), false
	}
	scheme, token, _ := strings.Cut(raw, " ")
	if !strings.EqualFold(scheme, "bearer") {
		return detail(403, "Unsupported authentication type"), false
	}
	if token == "" {
		return detail(403, "Malformed header"), false
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) != 1 {
		return detail(403, "Token invalid/expired"), false
	}
	return response{}, true
}

var errNotFound = detail(404, "Not found.")
