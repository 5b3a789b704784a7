package simulator

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// specActions are the 26 concrete EventActions of authentik 2025.2.3.
var specActions = []string{
	"login", "login_failed", "logout", "user_write", "suspicious_request", "password_set",
	"secret_view", "secret_rotate", "invitation_used", "authorize_application", "source_linked",
	"impersonation_started", "impersonation_ended", "flow_execution", "policy_execution",
	"policy_exception", "property_mapping_exception", "system_task_execution",
	"system_task_exception", "system_exception", "configuration_error", "model_created",
	"model_updated", "model_deleted", "email_sent", "update_available",
}

// keyOrder returns the top-level keys of a JSON object in document order.
func keyOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func rawResults(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	var p struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Results
}

func TestEventShapes(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 2000})
	body := get(t, s, "/api/v3/events/events/?page_size=2000")
	raws := rawResults(t, body)
	users := map[float64]string{2: "AnonymousUser"}
	for _, u := range allResults(t, s, "/api/v3/core/users/", "") {
		users[u["pk"].(float64)] = u["username"].(string)
	}
	createdRe := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$`)
	wantKeys := []string{"pk", "user", "action", "app", "context", "client_ip", "created", "expires", "brand"}
	seen := map[string]int{}
	var whole, customs int
	var prev time.Time
	for i, raw := range raws {
		if got := keyOrder(t, raw); !slices.Equal(got, wantKeys) {
			t.Fatalf("event keys %v, want %v", got, wantKeys)
		}
		var e map[string]any
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		action := e["action"].(string)
		seen[action]++
		if strings.HasPrefix(action, "custom_") {
			customs++
		}
		c, x := e["created"].(string), e["expires"].(string)
		if !createdRe.MatchString(c) || !createdRe.MatchString(x) {
			t.Fatalf("bad timestamps %q %q", c, x)
		}
		if !strings.Contains(c, ".") {
			whole++
		}
		created, _ := time.Parse(time.RFC3339Nano, c)
		expires, _ := time.Parse(time.RFC3339Nano, x)
		if d := created.AddDate(1, 0, 0).Sub(expires); d <= 0 || d > 10*time.Millisecond {
			t.Fatalf("expires %s is not a few µs before created+365d (%s)", x, c)
		}
		if i == 0 {
			if d := testNow.Sub(created); d < 2*time.Second || d > 5*time.Second {
				t.Errorf("newest event %s is %v before now, want 2–5s", c, d)
			}
		} else if gap := prev.Sub(created); gap < time.Second || gap > 61*time.Second {
			t.Fatalf("gap %v between events, want 1–60s", gap)
		}
		prev = created
		checkEventUser(t, e, users)
		checkClientIP(t, e)
	}
	for _, a := range specActions {
		if seen[a] == 0 {
			t.Errorf("action %s never generated", a)
		}
	}
	if customs == 0 || whole == 0 {
		t.Errorf("custom events %d, whole-second timestamps %d: want both > 0", customs, whole)
	}
}

func checkEventUser(t *testing.T, e map[string]any, users map[float64]string) {
	t.Helper()
	u := e["user"].(map[string]any)
	action := e["action"].(string)
	if len(u) == 0 {
		if e["client_ip"] != nil {
			t.Fatalf("system event %s with client_ip %v", action, e["client_ip"])
		}
		return
	}
	if users[u["pk"].(float64)] != u["username"] {
		t.Fatalf("event user %v does not match the directory", u)
	}
	if u["username"] == "AnonymousUser" && (u["is_anonymous"] != true || u["email"] != "" || u["pk"] != float64(2)) {
		t.Fatalf("anonymous user shape %v", u)
	}
	if action == "impersonation_started" && u["on_behalf_of"] == nil {
		t.Fatalf("impersonation_started without on_behalf_of: %v", u)
	}
}

var clientNets = []netip.Prefix{
	netip.MustParsePrefix("81.2.69.0/24"), netip.MustParsePrefix("89.160.20.112/28"),
	netip.MustParsePrefix("175.16.199.0/24"), netip.MustParsePrefix("216.160.83.56/29"),
	netip.MustParsePrefix("67.43.156.0/24"), netip.MustParsePrefix("2a02:cf40::/29"),
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("255.255.255.255/32"),
}

func checkClientIP(t *testing.T, e map[string]any) {
	t.Helper()
	ip, ok := e["client_ip"].(string)
	if !ok {
		return
	}
	a := netip.MustParseAddr(ip)
	for _, p := range clientNets {
		if p.Contains(a) {
			return
		}
	}
	t.Fatalf("client_ip %s outside the documented networks", ip)
}

func TestEventContexts(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 2000})
	byAction := map[string][]map[string]any{}
	for _, e := range allResults(t, s, "/api/v3/events/events/", "") {
		a := e["action"].(string)
		byAction[a] = append(byAction[a], e)
	}
	ctx := func(e map[string]any) map[string]any { return e["context"].(map[string]any) }
	for _, e := range byAction["login_failed"] {
		if ctx(e)["password"] != cleansed {
			t.Fatalf("login_failed password not masked: %v", ctx(e))
		}
	}
	for _, e := range byAction["login"] {
		hr := ctx(e)["http_request"].(map[string]any)
		for _, k := range []string{"args", "path", "method", "user_agent", "request_id"} {
			if _, ok := hr[k]; !ok {
				t.Fatalf("login http_request lacks %s: %v", k, hr)
			}
		}
		if _, ok := ctx(e)["auth_method_args"].(map[string]any); !ok || ctx(e)["auth_method"] == nil {
			t.Fatalf("login context %v", ctx(e))
		}
	}
	var geo, asn int
	for _, e := range byAction["authorize_application"] {
		c := ctx(e)
		if c["authorized_application"] == nil || c["scopes"] == nil {
			t.Fatalf("authorize_application context %v", c)
		}
		if g, ok := c["geo"].(map[string]any); ok {
			geo++
			for _, k := range []string{"city", "country", "continent", "lat", "long"} {
				if _, ok := g[k]; !ok {
					t.Fatalf("geo lacks %s: %v", k, g)
				}
			}
		}
		if _, ok := c["asn"].(map[string]any); ok {
			asn++
		}
	}
	if geo == 0 || asn == 0 {
		t.Errorf("authorize_application: %d with geo, %d with asn; want both", geo, asn)
	}
	var diffs int
	for _, e := range byAction["model_updated"] {
		m := ctx(e)["model"].(map[string]any)
		if m["app"] == nil || m["model_name"] == nil || m["pk"] == nil || m["name"] == nil {
			t.Fatalf("model ref %v", m)
		}
		if ctx(e)["diff"] != nil {
			diffs++
		}
	}
	if diffs == 0 {
		t.Error("no model_updated event carries a diff")
	}
	for _, e := range byAction["policy_execution"] {
		result := ctx(e)["result"].(map[string]any)
		if _, ok := result["passing"].(bool); !ok {
			t.Fatalf("result.passing was masked or lost: %v", result)
		}
	}
	for _, e := range byAction["update_available"] {
		if ctx(e)["new_version"] == nil {
			t.Fatalf("update_available context %v", ctx(e))
		}
	}
	uas := map[string]bool{}
	for _, e := range byAction["login"] {
		uas[ctx(e)["http_request"].(map[string]any)["user_agent"].(string)] = true
	}
	for _, want := range []string{"curl/8.5.0", "PostmanRuntime/7.41.0"} {
		if !uas[want] {
			t.Errorf("user agent %s never used", want)
		}
	}
}

func TestJSONBKeyOrder(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 500})
	for _, raw := range rawResults(t, get(t, s, "/api/v3/events/events/?page_size=500")) {
		var e map[string]json.RawMessage
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"user", "context", "brand"} {
			keys := keyOrder(t, e[field])
			if !slices.IsSortedFunc(keys, jsonbLess) {
				t.Fatalf("%s keys %v not in jsonb order", field, keys)
			}
		}
	}
}

func TestMaskPattern(t *testing.T) {
	tests := []struct {
		pattern    string
		authMasked bool
	}{
		{"", false},
		{DefaultMaskPattern + "|AUTH", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			s := newSim(t, Options{Events: 300, MaskPattern: tt.pattern})
			for _, e := range allResults(t, s, "/api/v3/events/events/", "action=login") {
				c := e["context"].(map[string]any)
				if e["action"] == "login" && (c["auth_method"] == cleansed) != tt.authMasked {
					t.Fatalf("auth_method = %v, masked want %v", c["auth_method"], tt.authMasked)
				}
				if _, ok := c["auth_method_args"].(map[string]any); e["action"] == "login" && !ok {
					t.Fatal("objects must be descended into, never replaced")
				}
			}
		})
	}
}

func TestMasker(t *testing.T) {
	m, err := newMasker(DefaultMaskPattern)
	if err != nil {
		t.Fatal(err)
	}
	shared := obj{{"city", "London"}}
	in := obj{{"password", "x"}, {"passing", true}, {"username", "u"}, {"api_key", 5},
		{"tokens", []any{"a", obj{{"client_secret", "s"}, {"name", "n"}}}}, {"nested", obj{{"key", nil}}},
		{"geo", shared}, {"passkey", []string{"a", "b"}}}
	out, changed := m.obj(in)
	got := jsonText(out)
	if !changed || in[0].v != "x" {
		t.Fatal("masker must report a change and leave its input untouched")
	}
	for _, w := range []string{`"password": "********************"`, `"passing": true`, `"username": "u"`,
		`"api_key": "********************"`, `"tokens": ["********************", {"name": "n", "client_secret": "********************"}]`,
		`"nested": {"key": "********************"}`, `"passkey": ["********************", "********************"]`,
		`"geo": {"city": "London"}`} {
		if !strings.Contains(got, w) {
			t.Errorf("masked %s lacks %s", got, w)
		}
	}
}
