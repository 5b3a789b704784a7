package simulator

import "testing"

// TestStringEscapesLikeDRF checks strings against what Python's json module
// (DRF's renderer, ensure_ascii off) writes for them.
func TestStringEscapesLikeDRF(t *testing.T) {
	tests := map[string]string{
		"plain é 😀":            `"plain é 😀"`,
		"q\"b\\":               `"q\"b\\"`,
		"\b\f\n\r\t":           `"\b\f\n\r\t"`,
		"\x00\x1f\x7f":         `"\u0000\u001f` + "\x7f" + `"`,
		"line\u2028para\u2029": `"line\u2028para\u2029"`,
	}
	for in, want := range tests {
		var e encoder
		e.str(in)
		if got := string(e.buf); got != want {
			t.Errorf("str(%q) = %s, want %s", in, got, want)
		}
	}
}
