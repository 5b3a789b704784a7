package simulator

import (
	"net/url"
	"testing"
)

// TestPageSizeByRelease checks pagination_default_page_size and
// pagination_max_page_size: from 2026.2 no page_size gives 20 and anything
// above 100 is cut to 100 without a word; before, 100 and no maximum.
func TestPageSizeByRelease(t *testing.T) {
	tests := []struct {
		o          Options
		query      string
		size, last int // results on page 1, pages in all
	}{
		{Options{Version: "2025.2"}, "", 100, 3},
		{Options{Version: "2025.2"}, "page_size=500", 250, 1},
		{Options{Version: "2026.2"}, "", 20, 13},
		{Options{Version: "2026.2"}, "page_size=500", 100, 3},
		{Options{Version: "2026.2"}, "page_size=0", 20, 13},
		{Options{Version: "2026.8"}, "page_size=1", 1, 250},
		{Options{Version: "2026.8", MaxPageSize: 50}, "page_size=500", 50, 5},
		{Options{Version: "2026.8", DefaultPageSize: 7}, "", 7, 36},
	}
	for _, tt := range tests {
		tt.o.Events = 250
		s := newSim(t, tt.o)
		for _, path := range []string{"/api/v3/events/events/", "/api/v3/core/users/"} {
			if path == "/api/v3/core/users/" {
				s = newSim(t, Options{Version: tt.o.Version, MaxPageSize: tt.o.MaxPageSize,
					DefaultPageSize: tt.o.DefaultPageSize, Users: 250})
			}
			p := list(t, s, path+"?"+tt.query)
			if len(p.Results) != tt.size || p.Pagination.TotalPages != tt.last {
				t.Errorf("%s %s?%s: %d results, %d pages; want %d, %d", tt.o.Version, path, tt.query,
					len(p.Results), p.Pagination.TotalPages, tt.size, tt.last)
			}
			// The served size is readable from the envelope on a full page.
			if p.Pagination.Next != 0 && p.Pagination.EndIndex-p.Pagination.StartIndex+1 != tt.size {
				t.Errorf("%s: start/end index %d..%d for %d results", path, p.Pagination.StartIndex,
					p.Pagination.EndIndex, tt.size)
			}
		}
	}
}

func TestAutocompleteByRelease(t *testing.T) {
	for _, tt := range []struct {
		version               string
		events, users, groups bool
	}{
		{"2025.2", false, false, false},
		{"2025.8", true, true, false},
		{"2026.2", true, true, true},
		{"2026.8", true, true, true},
	} {
		s := newSim(t, Options{Events: 5, Version: tt.version})
		for path, want := range map[string]bool{"/api/v3/events/events/": tt.events,
			"/api/v3/core/users/": tt.users, "/api/v3/core/groups/": tt.groups} {
			if got := list(t, s, path).Autocomplete != nil; got != want {
				t.Errorf("%s %s: autocomplete %v, want %v", tt.version, path, got, want)
			}
		}
	}
}

// TestQueryLanguageByReleaseAndLicence: the created bound works on
// 2025.8–2026.4 only with an enterprise licence, always from 2026.5; where it
// does not, or the query does not parse, search is a substring search that
// still answers 200 (here: nothing contains the query text).
func TestQueryLanguageByReleaseAndLicence(t *testing.T) {
	bound := "search=" + url.QueryEscape(`created >= "1970-01-01 00:00:00"`)
	badDate := "search=" + url.QueryEscape(`created >= "1970-01-01T00:00:00Z"`)
	for _, tt := range []struct {
		version, license string
		ql               bool
	}{
		{"2025.2", LicenseEnterprise, false},
		{"2025.8", LicenseNone, false},
		{"2025.8", LicenseEnterprise, true},
		{"2026.2", LicenseNone, false},
		{"2026.2", LicenseEnterprise, true},
		{"2026.5", LicenseNone, true},
		{"2026.8", LicenseNone, true},
	} {
		s := newSim(t, Options{Events: 40, Version: tt.version, License: tt.license})
		want := 0
		if tt.ql {
			want = 40
		}
		if got := list(t, s, "/api/v3/events/events/?"+bound).Pagination.Count; got != want {
			t.Errorf("%s/%s: created bound matched %d, want %d", tt.version, tt.license, got, want)
		}
		if got := list(t, s, "/api/v3/events/events/?"+badDate).Pagination.Count; got != 0 {
			t.Errorf("%s/%s: unparsable date matched %d, want the substring search's 0", tt.version, tt.license, got)
		}
	}
}

// TestActionsFilter: 2026.2's exact, repeatable actions filter; values
// must be actions of the release; older releases ignore the parameter.
func TestActionsFilter(t *testing.T) {
	s := newSim(t, Options{Events: 600, Version: "2026.2", MaxPageSize: 1000})
	all := list(t, s, "/api/v3/events/events/?page_size=600").Results
	want := 0
	for _, e := range all {
		if a := e["action"]; a == "login" || a == "logout" {
			want++
		}
	}
	p := list(t, s, "/api/v3/events/events/?page_size=100&actions=login&actions=logout")
	if p.Pagination.Count != want || want == 0 {
		t.Errorf("actions=login&actions=logout: %d, want %d", p.Pagination.Count, want)
	}
	for _, e := range p.Results {
		if a := e["action"]; a != "login" && a != "logout" {
			t.Errorf("actions filter let %v through", a)
		}
	}
	// "login" as action is a substring match (login_failed too); actions is exact.
	if sub := list(t, s, "/api/v3/events/events/?action=login").Pagination.Count; sub <= list(t, s,
		"/api/v3/events/events/?actions=login").Pagination.Count {
		t.Errorf("action=login (%d) should match more than actions=login", sub)
	}
	r := do(t, s, "GET", "/api/v3/events/events/?actions=login&actions=bogus", "Bearer "+testToken)
	if r.status != 400 || string(r.body) != `{"actions":["Select a valid choice. bogus is not one of the available choices."]}` {
		t.Errorf("invalid action: %d %s", r.status, r.body)
	}
	old := newSim(t, Options{Events: 60, Version: "2025.8"})
	if got := list(t, old, "/api/v3/events/events/?actions=bogus").Pagination.Count; got != 60 {
		t.Errorf("2025.8 must ignore actions: %d of 60", got)
	}
}

// TestUsernameMatchesContext: from 2026.2 username also matches
// context.username (failed logins name the attempted user there); before,
// only the event's user.
func TestUsernameMatchesContext(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    bool
	}{{"2025.8", false}, {"2026.2", true}} {
		s := newSim(t, Options{Events: 2000, Version: tt.version, MaxPageSize: 2000})
		var pk, name string
		for _, e := range list(t, s, "/api/v3/events/events/?page_size=2000&action=login_failed").Results {
			ctx, _ := e["context"].(map[string]any)
			user, _ := e["user"].(map[string]any)
			if u, ok := ctx["username"].(string); ok && u != "" && u != user["username"] {
				pk, name = e["pk"].(string), u
				break
			}
		}
		if name == "" {
			t.Fatalf("%s: no failed login names another user in its context", tt.version)
		}
		found := false
		for _, e := range list(t, s, "/api/v3/events/events/?page_size=2000&username="+url.QueryEscape(name)).Results {
			found = found || e["pk"] == pk
		}
		if found != tt.want {
			t.Errorf("%s: username=%s finds the failed login naming it in context: %v, want %v",
				tt.version, name, found, tt.want)
		}
	}
}

// TestActionsByRelease: each release emits its own new actions and no later
// ones.
func TestActionsByRelease(t *testing.T) {
	for _, tt := range []struct {
		version    string
		has, lacks string
	}{
		{"2025.8", "login", "review_initiated"},
		{"2026.2", "review_initiated", "access_request_created"},
		{"2026.5", "export_ready", "access_request_denied"},
		{"2026.8", "access_request_created", ""},
	} {
		s := newSim(t, Options{Events: 300, Version: tt.version, MaxPageSize: 1000})
		seen := map[string]bool{}
		for _, e := range list(t, s, "/api/v3/events/events/?page_size=300").Results {
			seen[e["action"].(string)] = true
		}
		if !seen[tt.has] || (tt.lacks != "" && seen[tt.lacks]) {
			t.Errorf("%s: %s present %v, %s present %v", tt.version, tt.has, seen[tt.has], tt.lacks, seen[tt.lacks])
		}
	}
}
