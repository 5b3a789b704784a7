package jsonenc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	type custom struct {
		A int    `json:"a"`
		B string `json:"b,omitempty"`
	}
	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"plain string", "hello"},
		{"escapes", "q\"b\\n\n r\r t\t \x01 \x1f"},
		{"html is not escaped", "<a href='x'>&</a>"},
		{"unicode", "grüße 日本 🎉"},
		{"invalid utf-8", "a\xffb\xc3"},
		{"line separators", "a\u2028b\u2029c"},
		{"bools", []any{true, false}},
		{"integers", []any{0, -1, int64(math.MaxInt64), int32(7), uint64(math.MaxUint64)}},
		{"floats", []any{0.0, 1.0, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, 3.0000001, math.SmallestNonzeroFloat64}},
		{"float32", []any{float32(1.1), float32(1e22), float32(1e-7)}},
		{"json.Number", json.Number("12.50")},
		{"nested", map[string]any{"z": 1.0, "a": map[string]any{"y": []any{"x", nil, map[string]any{}}}, "m": []any{}}},
		{"string slices and maps", map[string]any{"s": []string{"a", "b"}, "m": map[string]string{"k": "v", "a": "b"}}},
		{"time", time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)},
		{"fallback to encoding/json", custom{A: 1}},
		{"empty string key", map[string]any{"": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&Encoder{}).Append(nil, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tt.v); err != nil {
				t.Fatal(err)
			}
			if string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
				t.Errorf("Append = %s\nencoding/json = %s", got, want.Bytes())
			}
		})
	}
}

func TestAppendJSONRejectsNaN(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"x": []any{math.Inf(-1)}}} {
		if _, err := (&Encoder{}).Append(nil, v); err == nil {
			t.Errorf("Append(%v) succeeded", v)
		}
	}
}

// FuzzAppendString checks the 8-bytes-at-a-time string encoder against
// encoding/json (without HTML escaping) on any text.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text, longer than 8", `{"a":"b\"c"}`, "\x00\x1f\x7f\x80",
		"grüße\u2028日本\xff🎉", "12345678\"12345678\\1234567\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want.Bytes())
		}
	})
}

func TestSortEntries(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 12, 13, 40} {
		m := map[string]any{}
		for i := range n {
			m[string(rune('a'+(i*7)%26))+string(rune('a'+i%26))+strconv.Itoa(i)] = i
		}
		enc := &Encoder{}
		es := enc.Sorted(m, "zz-extra", "a")
		if !slices.IsSortedFunc(es, func(a, b Entry) int { return strings.Compare(a.K, b.K) }) || len(es) != n+2 {
			t.Errorf("n=%d: %v", n, es)
		}
		enc.Release(es)
		if len(enc.entries) != 0 {
			t.Errorf("n=%d: %d entries left after release", n, len(enc.entries))
		}
	}
}

// BenchmarkAppendString encodes a record as event.original is encoded:
// compact JSON, a quote every few bytes.
func BenchmarkAppendString(b *testing.B) {
	s := `{"pk":"5b0cf5e5-7f44-4a8a-9e8a-1f0b7c3d2e11","user":{"pk":17,"email":"jane.doe@corp.example","username":"jane.doe"},"action":"login","app":"authentik.events.signals","context":{"auth_method":"password","http_request":{"args":{"next":"/if/user/"},"path":"/api/v3/flows/executor/default-authentication-flow/","method":"POST","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.127 Safari/537.36"},"auth_method_args":{}},"client_ip":"89.160.20.115","created":"2024-09-02T08:15:42.118734Z","expires":"2025-09-02T08:15:42.101122Z","brand":{"pk":"0bb0bcf421994958b51ffc2627ea8fe6","app":"authentik_brands","name":"Default brand","model_name":"brand"}}`
	buf := make([]byte, 0, 2*len(s))
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}

func TestAppendPatched(t *testing.T) {
	patches := []Patch{
		{Key: "data_stream", Raw: []byte(`{"type":"logs"}`)},
		{Key: "event", Sub: []Patch{{Key: "dataset", Raw: []byte(`"authentik.user"`)}}},
	}
	tests := []struct {
		name string
		doc  map[string]any
		want string
	}{
		{"added", map[string]any{"a": 1}, `{"a":1,"data_stream":{"type":"logs"},"event":{"dataset":"authentik.user"}}`},
		{"replaced and merged", map[string]any{"data_stream": "old", "event": map[string]any{"kind": "event", "dataset": "x"}},
			`{"data_stream":{"type":"logs"},"event":{"dataset":"authentik.user","kind":"event"}}`},
		{"null event", map[string]any{"event": nil}, `{"data_stream":{"type":"logs"},"event":{"dataset":"authentik.user"}}`},
		{"event not an object", map[string]any{"event": "x"}, `{"data_stream":{"type":"logs"},"event":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fmt.Sprint(tt.doc)
			var enc Encoder
			got, err := enc.AppendPatched(nil, tt.doc, patches)
			if err != nil || string(got) != tt.want {
				t.Fatalf("AppendPatched = %s, %v; want %s", got, err, tt.want)
			}
			if fmt.Sprint(tt.doc) != before {
				t.Errorf("the document changed: %v, was %s", tt.doc, before)
			}
		})
	}
}
