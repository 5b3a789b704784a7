package simulator

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPlainSearch(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 600})
	all := allResults(t, s, "/api/v3/events/events/", "")
	tests := []struct {
		name, search string
		want         func(m map[string]any, text string) bool
	}{
		{"action term", "login_failed", func(m map[string]any, text string) bool { return strings.Contains(text, "login_failed") }},
		{"case-insensitive", "LINKÖPING", func(m map[string]any, text string) bool { return strings.Contains(text, "linköping") }},
		{"two terms", "akadmin logout", func(m map[string]any, text string) bool {
			return strings.Contains(text, "akadmin") && strings.Contains(text, "logout")
		}},
		{"comma separated", "akadmin,logout", func(m map[string]any, text string) bool {
			return strings.Contains(text, "akadmin") && strings.Contains(text, "logout")
		}},
		{"client ip", "81.2.69.", func(m map[string]any, text string) bool { return strings.Contains(text, "81.2.69.") }},
		{"ql in 2025.2 is plain text", `action = "login"`, func(m map[string]any, text string) bool {
			return strings.Contains(text, "action") && strings.Contains(text, "=") && strings.Contains(text, "login")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for _, m := range all {
				if tt.want(m, searchText(m)) {
					want++
				}
			}
			got := allResults(t, s, "/api/v3/events/events/", "search="+url.QueryEscape(tt.search))
			if len(got) != want {
				t.Errorf("search %q: %d results, want %d", tt.search, len(got), want)
			}
		})
	}
}

// searchText approximates the searched fields of an event: uuid, action,
// app, client_ip, user and context JSON (lower-cased).
func searchText(m map[string]any) string {
	var b strings.Builder
	for _, k := range []string{"pk", "action", "app", "client_ip"} {
		if v, ok := m[k].(string); ok {
			b.WriteString(v + "\x00")
		}
	}
	b.WriteString(jsonText(fromDecoded(m["user"])) + "\x00" + jsonText(fromDecoded(m["context"])))
	return strings.ToLower(b.String())
}

// fromDecoded converts decoded JSON back into encodable values.
func fromDecoded(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := obj{}
		for k, val := range x {
			o = append(o, kv{k, fromDecoded(val)})
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromDecoded(e)
		}
		return out
	case float64:
		if x == float64(int64(x)) && !strings.Contains(formatFloat(x), ".") {
			return int(x)
		}
	}
	return v
}

func formatFloat(f float64) string {
	e := encoder{}
	e.float(f)
	return string(e.buf)
}

func TestQLSearch(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{Events: 800, Version: "2025.8"})
	all := allResults(t, s, "/api/v3/events/events/", "")
	mid := all[len(all)/2]["created"].(string)
	cut, err := time.Parse(time.RFC3339Nano, mid)
	if err != nil {
		t.Fatal(err)
	}
	minute := cut.Truncate(time.Minute)
	day := cut.Truncate(24 * time.Hour)
	created := func(m map[string]any) time.Time {
		c, _ := time.Parse(time.RFC3339Nano, m["created"].(string))
		return c
	}
	tests := []struct {
		name, search string
		want         func(m map[string]any) bool
	}{
		{"action equals is exact", `action = "login"`, func(m map[string]any) bool { return m["action"] == "login" }},
		{"action contains", `action ~ "login"`, func(m map[string]any) bool { return strings.Contains(m["action"].(string), "login") }},
		{"created after minute", `created > "` + minute.Format("2006-01-02 15:04") + `"`,
			func(m map[string]any) bool { return created(m).After(minute) }},
		{"created since second", `created >= "` + cut.Format("2006-01-02 15:04:05") + `"`,
			func(m map[string]any) bool { return !created(m).Before(cut.Truncate(time.Second)) }},
		{"created after date", `created > "` + day.Format("2006-01-02") + `"`,
			func(m map[string]any) bool { return created(m).After(day) }},
		{"created before minute", `created < "` + minute.Format("2006-01-02 15:04") + `"`,
			func(m map[string]any) bool { return created(m).Before(minute) }},
		{"and", `action = "login" and created >= "` + minute.Format("2006-01-02 15:04") + `"`,
			func(m map[string]any) bool { return m["action"] == "login" && !created(m).Before(minute) }},
		{"or with parentheses", `(action = "logout" or action = "login_failed") and client_ip != None`,
			func(m map[string]any) bool {
				return (m["action"] == "logout" || m["action"] == "login_failed") && m["client_ip"] != nil
			}},
		{"null client_ip", `client_ip = None`, func(m map[string]any) bool { return m["client_ip"] == nil }},
		{"expires", `expires > "` + cut.AddDate(1, 0, 0).Format("2006-01-02 15:04") + `"`,
			func(m map[string]any) bool {
				e, _ := time.Parse(time.RFC3339Nano, m["expires"].(string))
				return e.After(cut.AddDate(1, 0, 0).Truncate(time.Minute))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for _, m := range all {
				if tt.want(m) {
					want++
				}
			}
			got := allResults(t, s, "/api/v3/events/events/", "search="+url.QueryEscape(tt.search))
			if len(got) != want || want == 0 {
				t.Errorf("search %q: %d results, want %d (non-zero)", tt.search, len(got), want)
			}
		})
	}
	// Expressions that do not parse or fit the schema fall back to plain
	// search, which finds nothing for these.
	for _, bad := range []string{
		`created > "` + cut.Format("2006-01-02 15:04:05.000000") + `"`, // no fractional seconds in DjangoQL
		`created > "2025-13-01"`,
		`nosuchfield = "x"`,
		`action = login`,
		`action in ("login", "logout")`,
		`action = "login" and`,
	} {
		got := list(t, s, "/api/v3/events/events/?search="+url.QueryEscape(bad))
		if got.Pagination.Count != 0 {
			t.Errorf("search %q: %d results, want the plain-search fallback (0)", bad, got.Pagination.Count)
		}
	}
	// A plain word still works as plain search in 2025.8.
	if n := list(t, s, "/api/v3/events/events/?search=akadmin").Pagination.Count; n == 0 {
		t.Error("plain search fallback found nothing for akadmin")
	}
}

func TestUserQLSearch(t *testing.T) {
	s := newSim(t, Options{Users: 80, Version: "2025.8"})
	tests := []struct {
		search string
		want   int
	}{
		{`username = "akadmin"`, 1},
		{`is_active = True and type = "internal_service_account"`, 1},
		{`akadmin`, 1},
	}
	for _, tt := range tests {
		if got := list(t, s, "/api/v3/core/users/?search="+url.QueryEscape(tt.search)).Pagination.Count; got != tt.want {
			t.Errorf("search %q: %d results, want %d", tt.search, got, tt.want)
		}
	}
}

func TestAutocompleteKey(t *testing.T) {
	old := newSim(t, Options{Events: 10})
	ql := newSim(t, Options{Events: 10, Version: "2025.8"})
	tests := []struct {
		s    *Simulator
		path string
		want bool
	}{
		{old, "/api/v3/events/events/", false},
		{old, "/api/v3/core/users/", false},
		{ql, "/api/v3/events/events/", true},
		{ql, "/api/v3/core/users/", true},
		{ql, "/api/v3/core/groups/", false},
	}
	for _, tt := range tests {
		if got := list(t, tt.s, tt.path).Autocomplete != nil; got != tt.want {
			t.Errorf("%s (ql=%v): autocomplete present %v, want %v", tt.path, tt.s.prof.ql, got, tt.want)
		}
	}
}

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b", []string{"a", "b"}},
		{"a,b , c", []string{"a", "b", "c"}},
		{`"New York" x`, []string{"new york", "x"}},
		{"  ", nil},
		{"A\x00B", []string{"ab"}},
	}
	for _, tt := range tests {
		if got := searchTerms(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("searchTerms(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
