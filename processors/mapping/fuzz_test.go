package mapping

import (
	"os"
	"path/filepath"
	"testing"

	"akship/internal/datasets"
)

// FuzzMap feeds arbitrary bytes to every dataset's mapping: there must be
// no panic, always a complete document (see checkDocument), and the engine
// must agree with the reference evaluation of the program (checkEngine). The seed
// corpus is testdata/fuzz/FuzzMap plus the golden records.
func FuzzMap(f *testing.F) {
	records, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.record"))
	for _, path := range records {
		if raw, err := os.ReadFile(path); err == nil {
			f.Add(raw)
		}
	}
	f.Add(loginEvent)
	m := newMapper(f, testConfig(f))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, d := range datasets.All {
			doc, _ := m.Map(d, raw, goldenCollected)
			checkDocument(t, raw, doc)
			checkEngine(t, m, d, raw)
		}
	})
}
