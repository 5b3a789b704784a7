package mapping

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// FuzzUTCDate holds the twin's date fast path to parseISO8601 and
// formatDate: where it gives a date, it is theirs.
func FuzzUTCDate(f *testing.F) {
	for _, s := range []string{"2024-09-02T08:15:42.118734Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z",
		"2024-09-02T08:15:42.1Z", "2024-09-02T08:15:42.1234567890Z", "2024-09-02T24:00:00Z", "0000-01-01T00:00:00.Z",
		"2024-09-02T08:15:42+00:00", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00.999999999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendUTCDate(nil, s)
		if !ok {
			return
		}
		tm, err := parseISO8601(s)
		if err != nil {
			t.Fatalf("appendUTCDate(%q) = %s, parseISO8601 fails: %v", s, got, err)
		}
		if want := formatDate(tm); string(got) != want {
			t.Fatalf("appendUTCDate(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestUTCDateTakesAuthentiksDates(t *testing.T) {
	for _, s := range []string{"2024-09-02T08:15:42.118734Z", "2024-02-29T23:59:59Z", "2024-09-02T08:15:42.1Z"} {
		if _, ok := appendUTCDate(nil, s); !ok {
			t.Errorf("appendUTCDate(%q) left it to parseISO8601", s)
		}
	}
}

// FuzzPlainText holds plainText to what it stands for: valid UTF-8 and no
// control character.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"", `{"a":"b"}`, "grüße\x01", "12345678\x1f", "\xff\xfe", "日本語のテキスト", "\t1234567"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := plainText(b), utf8.Valid(b) && !hasControlByte(b); got != want {
			t.Fatalf("plainText(%q) = %v, want %v", b, got, want)
		}
		control := slices.ContainsFunc(b, func(c byte) bool { return c < 0x20 })
		if got := hasControlByte(b); got != control {
			t.Fatalf("hasControlByte(%q) = %v, want %v", b, got, control)
		}
	})
}

func TestCanonicalInt(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"0", true}, {"17", true}, {"-5", true}, {"-0", false}, {"1.0", false}, {"1e3", false},
		{"99999999999999999", true}, {"-99999999999999999", true}, {"999999999999999999", true},
		{"9999999999999999999", false}, {"", false},
	}
	for _, tt := range tests {
		if got := canonicalInt([]byte(tt.text)); got != tt.want {
			t.Errorf("canonicalInt(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// TestSortedKeepsTheLastDuplicate checks the object entries the twin
// writes from: sorted by key, one per key, the last as a decoder keeps.
func TestSortedKeepsTheLastDuplicate(t *testing.T) {
	var p fastjson.Parser
	for _, n := range []int{3, 20} { // insertion sort and the standard library's
		var sb strings.Builder
		sb.WriteString(`{"b":1,"a":2,"b":3`)
		for i := range n {
			sb.WriteString(`,"k` + string(rune('a'+i)) + `":0`)
		}
		sb.WriteString(`,"a":4}`)
		v, err := p.Parse(sb.String())
		if err != nil {
			t.Fatal(err)
		}
		o, _ := v.Object()
		var w docWriter
		es := w.sorted(o)
		if len(es) != n+2 || es[0].k != "a" || es[0].v.String() != "4" || es[1].k != "b" || es[1].v.String() != "3" {
			t.Errorf("n=%d: sorted = %v", n, es)
		}
		for i := 1; i < len(es); i++ {
			if es[i-1].k >= es[i].k {
				t.Errorf("n=%d: %q before %q", n, es[i-1].k, es[i].k)
			}
		}
		w.pop(es)
		if len(w.entries) != 0 {
			t.Errorf("n=%d: %d entries left after pop", n, len(w.entries))
		}
	}
}
