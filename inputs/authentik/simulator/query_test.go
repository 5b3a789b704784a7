package simulator

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// allResults fetches every result of a list query in one big page.
func allResults(t *testing.T, s *Simulator, path, query string) []map[string]any {
	t.Helper()
	p := list(t, s, path+"?page_size=100000&"+query)
	if len(p.Results) != p.Pagination.Count {
		t.Fatalf("%d results for count %d", len(p.Results), p.Pagination.Count)
	}
	return p.Results
}

func str(v any) string {
	if v == nil {
		return "\U0010FFFF" // nulls sort last
	}
	return fmt.Sprint(v)
}

// checkOrder verifies results are sorted by the keys (each a field and a
// direction).
func checkOrder(t *testing.T, results []map[string]any, keys []orderKey, value func(m map[string]any, field string) string) {
	t.Helper()
	for i := 1; i < len(results); i++ {
		a, b := results[i-1], results[i]
		c := 0
		for _, k := range keys {
			c = cmp.Compare(value(a, k.field), value(b, k.field))
			if k.desc {
				c = -c
			}
			if c != 0 {
				break
			}
		}
		if c > 0 {
			t.Fatalf("results %d and %d out of order for %v: %v / %v", i-1, i, keys, a["pk"], b["pk"])
		}
	}
}

func plainValue(m map[string]any, field string) string {
	if n, ok := m[field].(float64); ok {
		return fmt.Sprintf("%020.0f", n)
	}
	return str(m[field])
}

func TestEventOrdering(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 400})
	tied := s.InsertEvents(5) // identical created: the pk tie-breaker decides
	tests := []struct {
		ordering string
		keys     []orderKey
	}{
		{"", []orderKey{{"created", true}, {"pk", true}}},
		{"-created", []orderKey{{"created", true}, {"pk", true}}},
		{"created", []orderKey{{"created", false}, {"pk", false}}},
		{"created,pk", []orderKey{{"created", false}, {"pk", false}}},
		{"-created,pk", []orderKey{{"created", true}, {"pk", false}}},
		{"action", []orderKey{{"action", false}, {"pk", false}}},
		{"-app,created", []orderKey{{"app", true}, {"created", false}, {"pk", false}}},
		{"pk", []orderKey{{"pk", false}}},
		{"-expires", []orderKey{{"expires", true}, {"pk", true}}},
		{"bogus", []orderKey{{"created", true}, {"pk", true}}},
		{"--created", []orderKey{{"created", true}, {"pk", true}}},
		{"bogus, action ,nope", []orderKey{{"action", false}, {"pk", false}}},
		{"groups", []orderKey{{"created", true}, {"pk", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.ordering, func(t *testing.T) {
			res := allResults(t, s, "/api/v3/events/events/", "ordering="+url.QueryEscape(tt.ordering))
			checkOrder(t, res, tt.keys, plainValue)
		})
	}
	res := allResults(t, s, "/api/v3/events/events/", "")
	for i := 1; i < 5; i++ {
		if res[i-1]["created"] != res[i]["created"] || res[i-1]["pk"].(string) < res[i]["pk"].(string) {
			t.Errorf("tied inserts not in descending pk order: %v", res[:5])
		}
	}
	if !contains(tied, res[0]["pk"].(string)) {
		t.Errorf("newest event %v is not one of the inserted ones", res[0]["pk"])
	}
}

func TestEventOrderingClientIP(t *testing.T) {
	s := newSim(t, Options{Events: 300})
	res := allResults(t, s, "/api/v3/events/events/", "ordering=client_ip")
	seenV6, seenNull := false, false
	for _, r := range res {
		ip, _ := r["client_ip"].(string)
		switch {
		case r["client_ip"] == nil:
			seenNull = true
		case seenNull:
			t.Fatalf("address %s after a null: nulls must sort last", ip)
		case strings.Contains(ip, ":"):
			seenV6 = true
		case seenV6:
			t.Fatalf("IPv4 %s after an IPv6 address", ip)
		}
	}
	if !seenV6 || !seenNull {
		t.Errorf("data lacks IPv6 (%v) or null (%v) addresses", seenV6, seenNull)
	}
}

func TestDirectoryOrdering(t *testing.T) {
	s := newSim(t, Options{Users: 120, Groups: 15})
	tests := []struct {
		path, ordering string
		keys           []orderKey
	}{
		{"/api/v3/core/users/", "", []orderKey{{"username", false}, {"pk", false}}},
		{"/api/v3/core/users/", "-pk", []orderKey{{"pk", true}}},
		{"/api/v3/core/users/", "email,-name", []orderKey{{"email", false}, {"name", true}, {"pk", true}}},
		{"/api/v3/core/users/", "type", []orderKey{{"type", false}, {"pk", false}}},
		{"/api/v3/core/users/", "unknown", []orderKey{{"username", false}, {"pk", false}}},
		{"/api/v3/core/groups/", "", []orderKey{{"name", false}, {"pk", false}}},
		{"/api/v3/core/groups/", "-num_pk", []orderKey{{"num_pk", true}, {"pk", true}}},
		{"/api/v3/core/groups/", "pk", []orderKey{{"pk", false}}},
		{"/api/v3/core/groups/", "users", []orderKey{{"name", false}, {"pk", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.ordering, func(t *testing.T) {
			res := allResults(t, s, tt.path, "ordering="+tt.ordering)
			checkOrder(t, res, tt.keys, plainValue)
		})
	}
}

func TestEventFilters(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 1000})
	all := allResults(t, s, "/api/v3/events/events/", "")
	count := func(pred func(m map[string]any) bool) int {
		n := 0
		for _, m := range all {
			if pred(m) {
				n++
			}
		}
		return n
	}
	model := func(m map[string]any) map[string]any {
		ctx, _ := m["context"].(map[string]any)
		mm, _ := ctx["model"].(map[string]any)
		return mm
	}
	intPK := "0"
	for _, m := range all {
		if n, ok := model(m)["pk"].(float64); ok {
			intPK = fmt.Sprint(n)
			break
		}
	}
	ip := all[3]["client_ip"]
	for i := 4; ip == nil; i++ {
		ip = all[i]["client_ip"]
	}
	tests := []struct {
		name, query string
		want        func(m map[string]any) bool
	}{
		{"action substring", "action=login", func(m map[string]any) bool { return strings.Contains(m["action"].(string), "login") }},
		{"action case-insensitive", "action=LOGIN_F", func(m map[string]any) bool { return m["action"] == "login_failed" }},
		{"empty action ignored", "action=", func(map[string]any) bool { return true }},
		{"created__gte ignored", "created__gte=2030-01-01T00:00:00Z", func(map[string]any) bool { return true }},
		{"unknown param ignored", "foo=bar&created__lt=2000-01-01", func(map[string]any) bool { return true }},
		{"client_ip", "client_ip=" + url.QueryEscape(ip.(string)), func(m map[string]any) bool { return m["client_ip"] == ip }},
		{"username", "username=akadmin", func(m map[string]any) bool {
			u, _ := m["user"].(map[string]any)
			return u["username"] == "akadmin"
		}},
		{"anonymous username", "username=AnonymousUser", func(m map[string]any) bool {
			u, _ := m["user"].(map[string]any)
			return u["username"] == "AnonymousUser"
		}},
		{"context_model_name", "context_model_name=user", func(m map[string]any) bool { return model(m)["model_name"] == "user" }},
		{"context_model_app", "context_model_app=authentik_core", func(m map[string]any) bool { return model(m)["app"] == "authentik_core" }},
		{"context_model_pk int", "context_model_pk=" + intPK, func(m map[string]any) bool { return fmt.Sprint(model(m)["pk"]) == intPK }},
		{"brand_name", "brand_name=Default+brand", func(m map[string]any) bool {
			return m["brand"].(map[string]any)["name"] == "Default brand"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allResults(t, s, "/api/v3/events/events/", tt.query)
			want := count(tt.want)
			if len(got) != want || want == 0 {
				t.Fatalf("%s: %d results, want %d (non-zero)", tt.query, len(got), want)
			}
			for _, m := range got {
				if !tt.want(m) {
					t.Fatalf("%s: unexpected result %v", tt.query, m)
				}
			}
		})
	}
	// context_model_pk strips dashes from uuids.
	for _, m := range all {
		if pk, ok := model(m)["pk"].(string); ok && len(pk) == 32 {
			dashed := pk[:8] + "-" + pk[8:12] + "-" + pk[12:16] + "-" + pk[16:20] + "-" + pk[20:]
			got := allResults(t, s, "/api/v3/events/events/", "context_model_pk="+dashed)
			if len(got) == 0 {
				t.Errorf("context_model_pk=%s found nothing", dashed)
			}
			break
		}
	}
}

func TestDirectoryFilters(t *testing.T) {
	s := newSim(t, Options{Users: 150, Groups: 12})
	users := allResults(t, s, "/api/v3/core/users/", "")
	groups := allResults(t, s, "/api/v3/core/groups/", "")
	countUsers := func(pred func(m map[string]any) bool) int {
		n := 0
		for _, m := range users {
			if pred(m) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name, path, query string
		want              int
	}{
		{"username", "users", "username=akadmin", 1},
		{"email", "users", "email=root%40localhost", 1},
		{"inactive", "users", "is_active=false", countUsers(func(m map[string]any) bool { return m["is_active"] == false })},
		{"is_active garbage ignored", "users", "is_active=maybe", len(users)},
		{"type repeated", "users", "type=service_account&type=internal_service_account",
			countUsers(func(m map[string]any) bool { return strings.Contains(m["type"].(string), "service_account") })},
		{"path", "users", "path=goauthentik.io%2Foutposts", 1},
		{"path_startswith", "users", "path_startswith=goauthentik.io",
			countUsers(func(m map[string]any) bool { return strings.HasPrefix(m["path"].(string), "goauthentik.io") })},
		{"groups_by_name", "users", "groups_by_name=authentik+Admins",
			countUsers(func(m map[string]any) bool {
				for _, g := range m["groups_obj"].([]any) {
					if g.(map[string]any)["name"] == "authentik Admins" {
						return true
					}
				}
				return false
			})},
		{"attributes", "users", "attributes=" + url.QueryEscape(`{"goauthentik.io/user/token-expires": false}`),
			countUsers(func(m map[string]any) bool {
				v, ok := m["attributes"].(map[string]any)["goauthentik.io/user/token-expires"]
				return ok && v == false
			})},
		{"search", "users", "search=AKADMIN", 1},
		{"created__gte ignored", "users", "created__gte=2030-01-01", len(users)},
		{"group name", "groups", "name=authentik+Admins", 1},
		{"superuser groups", "groups", "is_superuser=true", 1},
		{"members_by_pk", "groups", "members_by_pk=1", 1},
		{"group search", "groups", "search=authentik", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allResults(t, s, "/api/v3/core/"+tt.path+"/", tt.query)
			if len(got) != tt.want || tt.want == 0 {
				t.Errorf("%s: %d results, want %d (non-zero)", tt.query, len(got), tt.want)
			}
		})
	}
	if len(groups) != 12 {
		t.Errorf("%d groups, want 12", len(groups))
	}
}

func TestDirectoryFilterErrors(t *testing.T) {
	s := newSim(t, Options{})
	tests := []struct {
		target, body string
	}{
		{"/api/v3/core/users/?type=robot", `{"type":["Select a valid choice. robot is not one of the available choices."]}`},
		{"/api/v3/core/users/?type=internal&type=bogus", `{"type":["Select a valid choice. bogus is not one of the available choices."]}`},
		{"/api/v3/core/users/?uuid=xyz", `{"uuid":["Enter a valid UUID."]}`},
		{"/api/v3/core/users/?groups_by_name=nope", `{"groups_by_name":["Select a valid choice. nope is not one of the available choices."]}`},
		{"/api/v3/core/users/?attributes=%7Bbad", `["filter: failed to parse JSON"]`},
		{"/api/v3/core/users/?attributes=%5B1%5D", `["filter: value must be key:value mapping"]`},
		{"/api/v3/core/groups/?members_by_pk=424242", `{"members_by_pk":["Select a valid choice. 424242 is not one of the available choices."]}`},
		{"/api/v3/core/groups/?members_by_username=ghost", `{"members_by_username":["Select a valid choice. ghost is not one of the available choices."]}`},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := do(t, s, http.MethodGet, tt.target, "Bearer "+testToken)
			if r.status != 400 || string(r.body) != tt.body {
				t.Errorf("status %d body %s, want 400 %s", r.status, r.body, tt.body)
			}
		})
	}
}

func TestIncludeFlags(t *testing.T) {
	s := newSim(t, Options{})
	tests := []struct {
		path, param, field string
		null               bool
	}{
		{"/api/v3/core/groups/", "", "users_obj", false},
		{"/api/v3/core/groups/", "include_users=true", "users_obj", false},
		{"/api/v3/core/groups/", "include_users=TRUE", "users_obj", false},
		{"/api/v3/core/groups/", "include_users=false", "users_obj", true},
		{"/api/v3/core/groups/", "include_users=1", "users_obj", true},
		{"/api/v3/core/groups/", "include_users=", "users_obj", true},
		{"/api/v3/core/users/", "", "groups_obj", false},
		{"/api/v3/core/users/", "include_groups=false", "groups_obj", true},
		{"/api/v3/core/users/", "include_groups=yes", "groups_obj", true},
		{"/api/v3/core/users/", "include_groups=True", "groups_obj", false},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.param, func(t *testing.T) {
			for _, m := range list(t, s, tt.path+"?"+tt.param).Results {
				v, present := m[tt.field]
				if !present || (v == nil) != tt.null {
					t.Fatalf("%s = %v (present %v), want null=%v", tt.field, v, present, tt.null)
				}
				companion := map[string]string{"users_obj": "users", "groups_obj": "groups"}[tt.field]
				if _, ok := m[companion].([]any); !ok {
					t.Fatalf("%s missing or not a list: %v", companion, m[companion])
				}
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	targets := []string{
		"/api/v3/events/events/?page_size=300",
		"/api/v3/events/events/?page=3&ordering=action",
		"/api/v3/core/users/?page_size=500",
		"/api/v3/core/groups/",
		"/api/v3/events/events/?search=login",
	}
	a := newSim(t, Options{Events: 1000, Seed: 42})
	b := newSim(t, Options{Events: 1000, Seed: 42})
	c := newSim(t, Options{Events: 1000, Seed: 43})
	for _, target := range targets {
		ba, bb, bc := get(t, a, target), get(t, b, target), get(t, c, target)
		if !bytes.Equal(ba, bb) {
			t.Errorf("%s: same seed, different bytes", target)
		}
		if bytes.Equal(ba, bc) {
			t.Errorf("%s: different seeds, same bytes", target)
		}
	}
	pk := a.EventPKs()[10]
	if !bytes.Equal(get(t, a, "/api/v3/events/events/"+pk+"/"), get(t, b, "/api/v3/events/events/"+pk+"/")) {
		t.Errorf("retrieve differs between identical simulators")
	}
	// Live inserts are deterministic too, given the same clock.
	if x, y := a.InsertEvents(3), b.InsertEvents(3); !equalStrings(x, y) {
		t.Errorf("inserted pks differ: %v vs %v", x, y)
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func TestTouchUserChangesSnapshot(t *testing.T) {
	c := &clock{t: testNow}
	s := newSim(t, Options{Now: c.Now})
	before := get(t, s, "/api/v3/core/users/?page_size=1000")
	c.Add(time.Hour)
	if !s.TouchUser(1) || s.TouchUser(2) || s.TouchUser(99999) {
		t.Fatal("TouchUser: akadmin must exist, AnonymousUser and unknown pks must not")
	}
	after := get(t, s, "/api/v3/core/users/?page_size=1000")
	if bytes.Equal(before, after) {
		t.Fatal("snapshot unchanged after TouchUser")
	}
	u := list(t, s, "/api/v3/core/users/?username=akadmin").Results[0]
	if u["last_login"] != formatTime(testNow.Add(time.Hour).UnixMicro()) {
		t.Errorf("last_login = %v", u["last_login"])
	}
}
