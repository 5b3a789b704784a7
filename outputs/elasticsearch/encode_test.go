package elasticsearch

import (
	"bytes"
	"encoding/json"
	"math"
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
			got, err := (&encoder{}).appendJSON(nil, tt.v)
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
				t.Errorf("appendJSON = %s\nencoding/json = %s", got, want.Bytes())
			}
		})
	}
}

func TestAppendJSONRejectsNaN(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"x": []any{math.Inf(-1)}}} {
		if _, err := (&encoder{}).appendJSON(nil, v); err == nil {
			t.Errorf("appendJSON(%v) succeeded", v)
		}
	}
}
