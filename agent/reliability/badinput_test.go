package reliability_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"akship/outputs/elasticsearch/esdouble"
)

// badRecord is one record served by the bad-input authentik, with what
// its document must show.
type badRecord struct {
	name string
	raw  string
	// wantError: the document must carry error.message (true), must not
	// (false); nil accepts either (the record is odd but mappable).
	wantError *bool
	// check, when set, inspects the document further.
	check func(doc map[string]any) string
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

// badEvents returns event records of every awkward kind, the ones with a
// readable pk and created newest first (authentik's order), the others
// mixed in.
func badEvents() []badRecord {
	ts := func(i int) string {
		return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Minute).Format(time.RFC3339Nano)
	}
	ev := func(i int, fields string) string {
		s := fmt.Sprintf(`{"pk":"00000000-0000-4000-8000-%012d","created":%q`, i, ts(i))
		if fields != "" {
			s += "," + fields
		}
		return s + "}"
	}
	var ctx strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&ctx, `"key_%d":{"nested":[%d,"v%d",null,true]},`, i, i, i)
	}
	bigContext := `"context":{` + ctx.String() + `"last":1}`
	var diff strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&diff, `"field_%d":{"previous_value":"%s","new_value":{"n":%d}},`, i, strings.Repeat("p", 50), i)
	}
	bigDiff := `"context":{"diff":{` + diff.String() + `"z":{"new_value":1}}}`
	deep := `"context":{"diff":` + strings.Repeat(`{"a":`, 400) + `1` + strings.Repeat(`}`, 400) + `}`
	hasIP := func(want string) func(map[string]any) string {
		return func(doc map[string]any) string {
			src, _ := doc["source"].(map[string]any)
			if got, _ := src["ip"].(string); got != want {
				return fmt.Sprintf("source.ip = %v, want %s", src["ip"], want)
			}
			return ""
		}
	}
	noIP := func(doc map[string]any) string {
		if src, _ := doc["source"].(map[string]any); src != nil && src["ip"] != nil {
			return fmt.Sprintf("an invalid client_ip became source.ip %v", src["ip"])
		}
		return ""
	}
	userName := func(want string) func(map[string]any) string {
		return func(doc map[string]any) string {
			u, _ := doc["user"].(map[string]any)
			if got, _ := u["name"].(string); got != want {
				return fmt.Sprintf("user.name = %q, want %q", u["name"], want)
			}
			return ""
		}
	}
	return []badRecord{
		{name: "complete login", wantError: no, raw: ev(1, `"action":"login","app":"authentik.events.signals",`+
			`"user":{"pk":5,"username":"alice","email":"alice@example.com"},"client_ip":"203.0.113.9",`+
			`"context":{"auth_method":"password","http_request":{"path":"/flows/","method":"GET"}},`+
			`"expires":"2026-06-01T12:00:00Z","brand":{"pk":"b","name":"Default brand"}`), check: hasIP("203.0.113.9")},
		{name: "only pk and created", raw: ev(2, "")},
		{name: "null fields", raw: ev(3, `"action":null,"app":null,"user":null,"context":null,"client_ip":null,"expires":null,"brand":null`)},
		{name: "wrong types", raw: ev(4, `"action":7,"app":{"x":1},"user":"alice","context":[1,2,3],"client_ip":12345,"expires":false,"brand":[]`)},
		{name: "wrong nested types", raw: ev(5, `"action":"login","user":{"pk":"five","username":42,"email":["a"]},"context":{"geo":"nowhere","asn":{"asn":"x"},"http_request":7}`)},
		{name: "huge string", raw: ev(6, `"action":"custom_alert","context":{"message":"`+strings.Repeat("A", 1<<20)+`"}`)},
		{name: "unicode", wantError: no, raw: ev(7, `"action":"login","user":{"pk":8,"username":"Zoë 🦄 ユーザー\u200b\u202e","email":"zoë@exämple.org"},`+
			`"context":{"message":"nul\u0000 tab\t lone surrogate \ud800 emoji 👩‍👩‍👧"},"client_ip":"2001:db8::1"`),
			check: userName("Zoë 🦄 ユーザー\u200b\u202e")},
		{name: "invalid IPv4", raw: ev(8, `"action":"login","client_ip":"999.1.1.1"`), check: noIP},
		{name: "not an IP", raw: ev(9, `"action":"login","client_ip":"not-an-ip"`), check: noIP},
		{name: "IPv4-mapped IPv6", raw: ev(10, `"action":"login","client_ip":"::ffff:192.0.2.1"`)},
		{name: "IPv6 with zone", raw: ev(11, `"action":"login","client_ip":"fe80::1%eth0"`)},
		{name: "created with offset", wantError: no, raw: `{"pk":"00000000-0000-4000-8000-000000000012","created":"2025-06-01T13:48:00+02:00","action":"logout"}`,
			check: func(doc map[string]any) string {
				if ts, _ := doc["@timestamp"].(string); !strings.HasPrefix(ts, "2025-06-01T11:48:00") {
					return fmt.Sprintf("@timestamp %v, want 2025-06-01T11:48:00Z", doc["@timestamp"])
				}
				return ""
			}},
		{name: "created without zone", raw: `{"pk":"00000000-0000-4000-8000-000000000100","created":"2025-06-01T11:00:00","action":"logout"}`},
		{name: "created unreadable", raw: `{"pk":"00000000-0000-4000-8000-000000000101","created":"yesterday","action":"logout"}`},
		{name: "expires unreadable", raw: ev(13, `"action":"logout","expires":"2026-13-45T99:00:00Z"`)},
		{name: "unknown action", wantError: no, raw: ev(14, `"action":"quantum_teleport","app":"authentik.future"`)},
		{name: "very large context", raw: ev(15, `"action":"model_updated",`+bigContext)},
		{name: "very large diff", raw: ev(16, `"action":"model_updated",`+bigDiff)},
		{name: "deeply nested diff", raw: ev(17, `"action":"model_updated",`+deep)},
		{name: "duplicate keys", raw: ev(18, `"action":"login","action":"logout"`)},
		{name: "no pk", raw: `{"created":"2025-06-01T10:00:00Z","action":"login"}`},
		{name: "numeric pk", raw: `{"pk":123,"created":"2025-06-01T10:00:00Z","action":"login"}`},
		{name: "empty pk", raw: `{"pk":"","created":"2025-06-01T10:00:00Z","action":"login"}`},
		{name: "empty object", raw: `{}`},
		{name: "number item", wantError: yes, raw: `42`},
		{name: "string item", wantError: yes, raw: `"an event"`},
		{name: "null item", wantError: yes, raw: `null`},
		{name: "bool item", wantError: yes, raw: `true`},
		{name: "list item", wantError: yes, raw: `[{"pk":"x"}]`},
	}
}

// badDirectory returns user or group records of awkward kinds.
func badDirectory(kind string) []badRecord {
	return []badRecord{
		{name: kind + " complete", wantError: no, raw: `{"pk":1,"username":"akadmin","name":"authentik Default Admin","is_active":true,` +
			`"last_login":"2025-06-01T10:00:00Z","email":"root@localhost","attributes":{},"uid":"u1","type":"internal"}`},
		{name: kind + " nulls", raw: `{"pk":2,"username":null,"name":null,"is_active":null,"last_login":null,"attributes":null}`},
		{name: kind + " wrong types", raw: `{"pk":"three","username":3,"is_active":"yes","last_login":12,"attributes":[1]}`},
		{name: kind + " unicode", raw: `{"pk":4,"username":"Ωmega✓","name":"名前","attributes":{"ключ":"значение"}}`},
		{name: kind + " no pk", raw: `{"username":"ghost"}`},
		{name: kind + " number item", wantError: yes, raw: `7`},
		{name: kind + " null item", wantError: yes, raw: `null`},
	}
}

// pageServer speaks authentik's list envelope for fixed records: page
// page_size records per page, 404 "Invalid page." past the end.
func pageServer(t *testing.T, token string, lists map[string][]string) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"detail":"Authentication credentials were not provided."}`))
			return
		}
		recs, ok := lists[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"detail":"Not found."}`))
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		page, size = max(page, 1), max(size, 1)
		pages := max((len(recs)+size-1)/size, 1)
		if page > pages {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"detail":"Invalid page."}`))
			return
		}
		lo, hi := (page-1)*size, min(page*size, len(recs))
		next := 0
		if page < pages {
			next = page + 1
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"pagination":{"next":%d,"previous":%d,"count":%d,"current":%d,"total_pages":%d,`+
			`"start_index":%d,"end_index":%d},"results":[%s]}`, next, page-1, len(recs), page, pages,
			min(lo+1, len(recs)), hi, strings.Join(recs[lo:hi], ","))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b.Bytes())
	})
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// TestBadInput serves records with missing, null, wrong-typed, huge and
// unicode fields, invalid IPs, odd dates, unknown actions, very large
// contexts and diffs and items that are not objects, through the whole
// pipeline into Elasticsearch: every record gives exactly one document,
// which is either correct or carries error.message, in the data stream or
// (where Elasticsearch's mappings cannot take it) its failure store — never
// a panic, never a silent drop.
func TestBadInput(t *testing.T) {
	skipShort(t)
	t.Parallel() // not timing-sensitive: overlaps with the other quick tests
	sets := map[string][]badRecord{
		eventStream: badEvents(), userStream: badDirectory("user"), groupStream: badDirectory("group"),
	}
	raws := func(rs []badRecord) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = r.raw
		}
		return out
	}
	srv := pageServer(t, testToken, map[string][]string{
		"/api/v3/events/events/": raws(sets[eventStream]), "/api/v3/core/users/": raws(sets[userStream]),
		"/api/v3/core/groups/": raws(sets[groupStream]),
	})
	es := startES(t)
	e := newEnv(t)
	path := baseConfig(srv.URL, es.URL, e.state).set("inputs.events.page_size", 7).
		set("inputs.users.page_size", 3).set("inputs.groups.page_size", 3).write(t, e.dir)
	// akship's templates, with the failure store the double's version has:
	// what Elasticsearch cannot index (an object where authentik usually
	// sends a string, thousands of context keys) is kept there, with the
	// reason, rather than rejected.
	if code, stderr := runAkship(t, time.Minute, e.vars, "setup", "-c", path); code != 0 {
		t.Fatalf("setup exited %d:\n%s", code, tail(stderr, 30))
	}
	code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", path)
	if code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, tail(stderr, 30))
	}
	if strings.Contains(stderr, "panic") {
		t.Errorf("stderr mentions a panic:\n%s", tail(stderr, 30))
	}
	checkNoDeadLetters(t, e.dlq)
	for stream, recs := range sets {
		docs := es.Docs(stream)
		failed := failureStoreSources(t, es.Docs(stream+"::failures"))
		t.Logf("FIGURES bad input %s: %d records, %d documents indexed, %d kept in the failure store",
			stream, len(recs), len(docs), len(failed))
		checkBadDocs(t, stream, recs, append(docs, failed...))
	}
}

// failureStoreSources returns the documents held in a failure store, as
// they were sent.
func failureStoreSources(t *testing.T, failures []esdouble.Doc) []esdouble.Doc {
	t.Helper()
	out := make([]esdouble.Doc, 0, len(failures))
	for _, f := range failures {
		var fd struct {
			Document struct {
				Source json.RawMessage `json:"source"`
			} `json:"document"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(f.Source, &fd); err != nil || fd.Error.Type == "" {
			t.Errorf("failure store document %s is not a failure document (%v): %.200s", f.ID, err, f.Source)
			continue
		}
		if testing.Verbose() {
			t.Logf("failure store: %s: %s", f.ID, truncateForLog(fd.Error.Message))
		}
		out = append(out, esdouble.Doc{ID: f.ID, Source: fd.Document.Source})
	}
	return out
}

// checkBadDocs matches documents to records by event.original and checks
// each: one document per record, error.message exactly when event.kind is
// pipeline_error, and the record's own expectations.
func checkBadDocs(t *testing.T, stream string, recs []badRecord, docs []esdouble.Doc) {
	t.Helper()
	if len(docs) != len(recs) {
		t.Errorf("%s: %d documents for %d records", stream, len(docs), len(recs))
	}
	byOriginal := map[string]map[string]any{}
	for _, d := range docs {
		var doc map[string]any
		if err := json.Unmarshal(d.Source, &doc); err != nil {
			t.Errorf("%s: document %s is not JSON: %v", stream, d.ID, err)
			continue
		}
		ev, _ := doc["event"].(map[string]any)
		orig, _ := ev["original"].(string)
		byOriginal[orig] = doc
	}
	for _, r := range recs {
		var c bytes.Buffer
		if err := json.Compact(&c, []byte(r.raw)); err != nil {
			t.Fatalf("record %q is not JSON: %v", r.name, err)
		}
		doc, ok := byOriginal[c.String()]
		if !ok {
			t.Errorf("%s: record %q has no document with it as event.original", stream, r.name)
			continue
		}
		errObj, hasErr := doc["error"].(map[string]any)
		ev, _ := doc["event"].(map[string]any)
		if hasErr && errObj["message"] == nil {
			t.Errorf("%s %q: error without message: %v", stream, r.name, errObj)
		}
		if hasErr != (ev["kind"] == "pipeline_error") {
			t.Errorf("%s %q: error present = %v but event.kind = %v", stream, r.name, hasErr, ev["kind"])
		}
		if r.wantError != nil && hasErr != *r.wantError {
			t.Errorf("%s %q: error.message present = %v, want %v (%v)", stream, r.name, hasErr, *r.wantError, errObj)
		}
		if _, ok := doc["@timestamp"].(string); !ok {
			t.Errorf("%s %q: no @timestamp", stream, r.name)
		}
		if r.check != nil {
			if msg := r.check(doc); msg != "" {
				t.Errorf("%s %q: %s", stream, r.name, msg)
			}
		}
		if testing.Verbose() {
			t.Logf("%s %-22s error=%-5v %v", stream, r.name, hasErr, truncateForLog(errObj))
		}
	}
}

func truncateForLog(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
