package authentik

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"akship/inputs/authentik/simulator"
)

// simulatorPage returns a page of n events as the simulator serves it.
func simulatorPage(tb testing.TB, n int) []byte {
	tb.Helper()
	sim, err := simulator.New(simulator.Options{Token: "t", Events: n, Users: 20, Groups: 3, Seed: 3,
		MaxPageSize: max(n, 1)}) // one page of everything
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v3/events/events/?ordering=-created,-pk&page=1&page_size="+
		strconv.Itoa(n), nil)
	req.Header.Set("Authorization", "Bearer t")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		tb.Fatalf("%d %v", res.StatusCode, err)
	}
	return body
}

func TestDecodePage(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantErr  string
		wantFast bool
		want     []string // records
		wantKeys []recordKey
	}{
		{name: "plain", wantFast: true,
			body:     `{"pagination":{"next":2,"count":3},"results":[{"pk":"a","created":"2025-01-01T00:00:00Z"}, {"x":1,"pk":"b"}]}`,
			want:     []string{`{"pk":"a","created":"2025-01-01T00:00:00Z"}`, `{"x":1,"pk":"b"}`},
			wantKeys: []recordKey{{pk: "a", created: "2025-01-01T00:00:00Z", sure: true}, {pk: "b", sure: true}}},
		{name: "autocomplete and whitespace", wantFast: true,
			body: " {\n \"autocomplete\": {\"a\": [1, 2.5e3, true, null]},\n \"results\" : [ ] , \"pagination\":{}\n} ",
			want: []string{}},
		{name: "escaped pk needs a decode", wantFast: true,
			body:     `{"pagination":{},"results":[{"pk":"a\u0062","created":null}]}`,
			want:     []string{`{"pk":"a\u0062","created":null}`},
			wantKeys: []recordKey{{sure: false}}},
		{name: "numeric pk needs a decode", wantFast: true,
			body:     `{"pagination":{},"results":[{"pk":1}, "text", {"PK":"x"}, {"p\u006b":"y"}]}`,
			want:     []string{`{"pk":1}`, `"text"`, `{"PK":"x"}`, `{"p\u006b":"y"}`},
			wantKeys: []recordKey{{}, {}, {}, {}}},
		{name: "case-folded envelope key takes the slow path",
			body: `{"Pagination":{"count":1},"results":[]}`, want: []string{}},
		{name: "duplicate results: the last wins",
			body: `{"pagination":{},"results":[1],"results":[2]}`, want: []string{`2`}},
		{name: "truncated", body: `{"pagination":{},"results":[{"pk":"a"`, wantErr: "invalid JSON page"},
		{name: "trailing data", body: `{"pagination":{},"results":[]} x`, wantErr: "invalid JSON page"},
		{name: "no pagination", body: `{"results":[]}`, wantErr: "not an authentik list page"},
		{name: "null results", body: `{"pagination":{},"results":null}`, wantErr: "not an authentik list page"},
		{name: "results not a list", body: `{"pagination":{},"results":{}}`, wantErr: "results is not a list"},
		{name: "control character in a string", body: "{\"pagination\":{},\"results\":[\"a\tb\"]}",
			wantErr: "invalid JSON page"},
		{name: "bad number", body: `{"pagination":{},"results":[01]}`, wantErr: "invalid JSON page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fast Page
			gotFast := scanPage([]byte(tt.body), &fast)
			if gotFast != tt.wantFast {
				t.Errorf("fast path taken = %v, want %v", gotFast, tt.wantFast)
			}
			var page Page
			err := decodePage([]byte(tt.body), &page)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, r := range page.Results {
				got = append(got, string(r))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") || page.Results == nil {
				t.Errorf("results %q, want %q", got, tt.want)
			}
			if tt.wantKeys != nil {
				for i, k := range tt.wantKeys {
					if page.keys[i] != k {
						t.Errorf("key %d = %+v, want %+v", i, page.keys[i], k)
					}
				}
			}
		})
	}
}

// checkAgainstSlow asserts that whenever the fast path accepts a body,
// encoding/json decodes it to the same page and the same record keys.
func checkAgainstSlow(t *testing.T, body []byte) {
	t.Helper()
	var fast Page
	if !scanPage(body, &fast) {
		return
	}
	if !json.Valid(body) {
		t.Fatalf("fast path accepted invalid JSON %q", body)
	}
	var slow Page
	if err := decodePageSlow(body, &slow); err != nil {
		t.Fatalf("fast path accepted %q, encoding/json: %v", body, err)
	}
	if fast.Pagination != slow.Pagination || len(fast.Results) != len(slow.Results) {
		t.Fatalf("%q: fast %+v %d results, slow %+v %d results", body, fast.Pagination, len(fast.Results),
			slow.Pagination, len(slow.Results))
	}
	for i := range fast.Results {
		if !bytes.Equal(fast.Results[i], slow.Results[i]) {
			t.Fatalf("%q: record %d: fast %q, slow %q", body, i, fast.Results[i], slow.Results[i])
		}
		if !fast.keys[i].sure {
			continue
		}
		pk, created, err := slow.recordKeyAt(i)
		if err != nil || pk != fast.keys[i].pk || created != fast.keys[i].created {
			t.Fatalf("%q: record %d: fast key %+v, encoding/json %q %q %v", body, i, fast.keys[i], pk, created, err)
		}
	}
}

func FuzzDecodePage(f *testing.F) {
	f.Add(simulatorPage(f, 3))
	for _, s := range []string{
		`{"pagination":{"next":2},"results":[{"pk":"a","created":"x","pk":null}]}`,
		`{"pagination":{"next":1e2},"results":[]}`,
		`{"pagination":{"next":2},"pagination":{"count":1},"results":[]}`,
		`{"pagination":{},"results":[{"Created":"x","created":"y"}]}`,
		`{"pagination":{},"results":[{"pk":"\ud800","created":"\/"}]}`,
		"{\"pagination\":{},\"results\":[{\"pk\":\"\xff\"}]}",
		`{"pagination":{},"results":[-0.5e+7,[[]],{"a":{}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkAgainstSlow)
}

func TestDecodePageSimulator(t *testing.T) {
	body := simulatorPage(t, 500)
	var page Page
	if !scanPage(body, &page) {
		t.Fatal("the fast path refused a simulator page")
	}
	checkAgainstSlow(t, body)
	for i := range page.Results {
		if !page.keys[i].sure {
			t.Errorf("record %d needs a decode: %s", i, page.Results[i])
		}
	}
}

// BenchmarkDecodePage measures decoding one page of 500 events and reading
// every record's pk and created, as the events input does.
func BenchmarkDecodePage(b *testing.B) {
	body := simulatorPage(b, 500)
	for _, bc := range []struct {
		name   string
		decode func([]byte, *Page) error
	}{{"single-pass", decodePage}, {"encoding-json", decodePageSlow}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var page Page
				if err := bc.decode(body, &page); err != nil {
					b.Fatal(err)
				}
				for i := range page.Results {
					if _, err := parseEventKey(&page, i); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
