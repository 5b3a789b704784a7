package mapping

import "testing"

func BenchmarkDecodeRecord(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decodeRecord(loginEvent); err != nil {
			b.Fatal(err)
		}
	}
}
