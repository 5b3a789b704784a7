package simulator

import (
	"encoding/json"
	"flag"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPaginationWorkedValues(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 2345})
	tests := []struct {
		name  string
		query string
		want  pagination
		items int
	}{
		{"first page", "page_size=100", pagination{Next: 2, Previous: 0, Count: 2345, Current: 1, TotalPages: 24, StartIndex: 1, EndIndex: 100}, 100},
		{"default size", "", pagination{Next: 2, Previous: 0, Count: 2345, Current: 1, TotalPages: 24, StartIndex: 1, EndIndex: 100}, 100},
		{"second page", "page=2", pagination{Next: 3, Previous: 1, Count: 2345, Current: 2, TotalPages: 24, StartIndex: 101, EndIndex: 200}, 100},
		{"last page", "page_size=100&page=24", pagination{Next: 0, Previous: 23, Count: 2345, Current: 24, TotalPages: 24, StartIndex: 2301, EndIndex: 2345}, 45},
		{"page=last", "page=last", pagination{Next: 0, Previous: 23, Count: 2345, Current: 24, TotalPages: 24, StartIndex: 2301, EndIndex: 2345}, 45},
		{"empty result", "action=no_such_action", pagination{Next: 0, Previous: 0, Count: 0, Current: 1, TotalPages: 1, StartIndex: 0, EndIndex: 0}, 0},
		{"empty result page=last", "action=nope&page=last", pagination{Current: 1, TotalPages: 1}, 0},
		{"page_size 2", "page_size=2", pagination{Next: 2, Previous: 0, Count: 2345, Current: 1, TotalPages: 1173, StartIndex: 1, EndIndex: 2}, 2},
		{"exact fit", "page_size=2345", pagination{Count: 2345, Current: 1, TotalPages: 1, StartIndex: 1, EndIndex: 2345}, 2345},
		{"empty page param is page 1", "page=", pagination{Next: 2, Count: 2345, Current: 1, TotalPages: 24, StartIndex: 1, EndIndex: 100}, 100},
		{"python int with spaces", "page=%202%20", pagination{Next: 3, Previous: 1, Count: 2345, Current: 2, TotalPages: 24, StartIndex: 101, EndIndex: 200}, 100},
		{"last value wins", "page=1&page=3", pagination{Next: 4, Previous: 2, Count: 2345, Current: 3, TotalPages: 24, StartIndex: 201, EndIndex: 300}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := list(t, s, "/api/v3/events/events/?"+tt.query)
			if p.Pagination != tt.want {
				t.Errorf("pagination = %+v, want %+v", p.Pagination, tt.want)
			}
			if len(p.Results) != tt.items {
				t.Errorf("got %d results, want %d", len(p.Results), tt.items)
			}
		})
	}
}

func TestPaginationIntegersAndKeyOrder(t *testing.T) {
	s := newSim(t, Options{Events: 3})
	body := string(get(t, s, "/api/v3/events/events/?page_size=2"))
	want := `{"pagination":{"next":2,"previous":0,"count":3,"current":1,"total_pages":2,"start_index":1,"end_index":2},"results":[`
	if !strings.HasPrefix(body, want) {
		t.Errorf("body starts %.160s, want prefix %s", body, want)
	}
}

func TestInvalidPage(t *testing.T) {
	s := newSim(t, Options{Events: 250})
	for _, page := range []string{"0", "-1", "abc", "4", "999", "2.0", "1e2", "1__0", "_1", "LAST"} {
		t.Run(page, func(t *testing.T) {
			r := do(t, s, http.MethodGet, "/api/v3/events/events/?page="+page, "Bearer "+testToken)
			if r.status != http.StatusNotFound || string(r.body) != `{"detail":"Invalid page."}` {
				t.Errorf("status %d body %s, want 404 Invalid page.", r.status, r.body)
			}
		})
	}
	r := do(t, s, http.MethodGet, "/api/v3/events/events/?action=none&page=2", "Bearer "+testToken)
	if r.status != http.StatusNotFound {
		t.Errorf("page 2 of an empty result: status %d, want 404", r.status)
	}
}

func TestPageSize(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 1200})
	tests := []struct {
		size string
		want int
	}{
		{"0", 100}, {"-5", 100}, {"abc", 100}, {"1.5", 100}, {"", 100},
		{"1", 1}, {"7", 7}, {"1_000", 1000}, {"99999999999999999999", 1200},
	}
	for _, tt := range tests {
		t.Run(tt.size, func(t *testing.T) {
			p := list(t, s, "/api/v3/events/events/?page_size="+tt.size)
			if len(p.Results) != tt.want {
				t.Errorf("page_size=%s: %d results, want %d", tt.size, len(p.Results), tt.want)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	s := newSim(t, Options{Events: 5})
	const (
		missing     = `{"detail":"Authentication credentials were not provided."}`
		invalid     = `{"detail":"Token invalid/expired"}`
		unsupported = `{"detail":"Unsupported authentication type"}`
	)
	tests := []struct {
		name, header string
		status       int
		body         string
	}{
		{"missing", "", 403, missing},
		{"bearer without value", "Bearer", 403, missing},
		{"bearer with blank value", "Bearer    ", 403, missing},
		{"wrong token", "Bearer nope", 403, invalid},
		{"other scheme", "Basic dXNlcjpwYXNz", 403, unsupported},
		{"token scheme", "Token " + testToken, 403, unsupported},
		{"scheme only", "Basic", 403, missing},
		{"valid", "Bearer " + testToken, 200, ""},
		{"lower-case scheme", "bearer " + testToken, 200, ""},
		{"upper-case scheme", "BEARER " + testToken, 200, ""},
		{"surrounding spaces", "  Bearer " + testToken + "  ", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/api/v3/events/events/", "/api/v3/core/users/", "/api/v3/core/groups/", "/api/v3/core/users/1/"} {
				r := do(t, s, http.MethodGet, path, tt.header)
				if r.status != tt.status || (tt.body != "" && string(r.body) != tt.body) {
					t.Errorf("%s: status %d body %s, want %d %s", path, r.status, r.body, tt.status, tt.body)
				}
			}
		})
	}
	r := do(t, s, http.MethodPost, "/api/v3/events/events/", "Bearer "+testToken)
	if r.status != http.StatusMethodNotAllowed || string(r.body) != `{"detail":"Method \"POST\" not allowed."}` {
		t.Errorf("POST: status %d body %s", r.status, r.body)
	}
}

func TestTrailingSlashAndRouting(t *testing.T) {
	s := newSim(t, Options{Events: 5})
	pk := s.EventPKs()[0]
	tests := []struct {
		name, target, location string
		status                 int
	}{
		{"events list", "/api/v3/events/events?page=2&page_size=1", "/api/v3/events/events/?page=2&page_size=1", 301},
		{"users list", "/api/v3/core/users", "/api/v3/core/users/", 301},
		{"groups list", "/api/v3/core/groups", "/api/v3/core/groups/", 301},
		{"event retrieve", "/api/v3/events/events/" + pk, "/api/v3/events/events/" + pk + "/", 301},
		{"user retrieve", "/api/v3/core/users/1", "/api/v3/core/users/1/", 301},
		{"unknown", "/api/v3/events/notifications/", "", 404},
		{"nested unknown", "/api/v3/core/users/1/extra/", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, http.MethodGet, tt.target, "") // redirects happen before auth
			if r.status != tt.status || r.header.Get("Location") != tt.location {
				t.Errorf("status %d location %q, want %d %q", r.status, r.header.Get("Location"), tt.status, tt.location)
			}
		})
	}
}

func TestRetrieve(t *testing.T) {
	s := newSim(t, Options{Events: 50})
	pk := s.EventPKs()[7]
	groups := list(t, s, "/api/v3/core/groups/")
	groupPK := groups.Results[0]["pk"].(string)
	tests := []struct {
		name, target string
		status       int
		wantPK       any
	}{
		{"event", "/api/v3/events/events/" + pk + "/", 200, pk},
		{"event hex", "/api/v3/events/events/" + strings.ReplaceAll(pk, "-", "") + "/", 200, pk},
		{"event unknown", "/api/v3/events/events/3c1e8f0a-7d55-4f0b-9c1e-2b4a6d8e9f01/", 404, nil},
		{"event malformed", "/api/v3/events/events/not-a-uuid/", 404, nil},
		{"user", "/api/v3/core/users/1/", 200, float64(1)},
		{"anonymous user hidden", "/api/v3/core/users/2/", 404, nil},
		{"user malformed", "/api/v3/core/users/abc/", 404, nil},
		{"user unknown", "/api/v3/core/users/99999/", 404, nil},
		{"group", "/api/v3/core/groups/" + groupPK + "/", 200, groupPK},
		{"group unknown", "/api/v3/core/groups/3c1e8f0a-7d55-4f0b-9c1e-2b4a6d8e9f01/", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, http.MethodGet, tt.target, "Bearer "+testToken)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == 404 {
				if string(r.body) != `{"detail":"Not found."}` {
					t.Errorf("body %s", r.body)
				}
				return
			}
			var m map[string]any
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatal(err)
			}
			if m["pk"] != tt.wantPK {
				t.Errorf("pk %v, want %v", m["pk"], tt.wantPK)
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"defaults", Options{Token: "x"}, ""},
		{"no token", Options{}, "token: must be non-empty"},
		{"token with space", Options{Token: "a b"}, "token: must be non-empty"},
		{"negative events", Options{Token: "x", Events: -1}, "events: must be ≥ 0"},
		{"negative users", Options{Token: "x", Users: -3}, "users: must be ≥ 1"},
		{"negative groups", Options{Token: "x", Groups: -1}, "groups: must be ≥ 1"},
		{"negative rate", Options{Token: "x", InsertRate: -1}, "insert-rate"},
		{"negative expire", Options{Token: "x", ExpireRate: -1}, "expire-rate"},
		{"negative skew", Options{Token: "x", InsertSkew: -time.Second}, "insert-skew"},
		{"faults above one", Options{Token: "x", Faults: 1.5}, "faults: must be within [0, 1]"},
		{"bad version", Options{Token: "x", Version: "latest"}, "version: want YEAR.MONTH"},
		{"bad mask", Options{Token: "x", MaskPattern: "("}, "mask-pattern"},
		{"several problems", Options{Events: -1, Faults: 2}, "events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestRegisterFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	o.RegisterFlags(fs)
	if o.Token != DefaultToken || o.Events != 10000 || o.Users != 200 || o.Groups != 20 || o.Seed != 1 ||
		o.SlowDelay != 3*time.Second || o.Version != "2025.2" {
		t.Errorf("defaults: %+v", o)
	}
	err := fs.Parse([]string{"--token=abc", "--events=5", "--users=3", "--groups=2", "--seed=9", "--insert-rate=2.5",
		"--expire-rate=1", "--insert-skew=2m", "--faults=0.1", "--slow-delay=1s", "--authentik-version=2025.8"})
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Token: "abc", Events: 5, Users: 3, Groups: 2, Seed: 9, InsertRate: 2.5, ExpireRate: 1,
		InsertSkew: 2 * time.Minute, Faults: 0.1, SlowDelay: time.Second, Version: "2025.8", MaskPattern: DefaultMaskPattern}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("parsed %+v, want %+v", o, want)
	}
}
