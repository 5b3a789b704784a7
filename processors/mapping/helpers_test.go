package mapping

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/cel-go/common/types"

	"akship/processors/mapping/geoip"
	"akship/processors/mapping/useragent"
)

var (
	demoOnce      sync.Once
	demoDir       string
	demoCity      string
	demoASN       string
	demoEnrichers enrichers
	demoErr       error
)

// testEnrichers returns lookups backed by the project's own demo
// databases (written once into a temporary folder), so unit and golden
// tests need nothing from outside the repository.
func testEnrichers(t testing.TB) enrichers {
	t.Helper()
	demoOnce.Do(func() {
		if demoDir, demoErr = os.MkdirTemp("", "akship-mapping-test-"); demoErr != nil {
			return
		}
		if demoCity, demoASN, demoErr = geoip.WriteDemoDatabases(demoDir); demoErr != nil {
			return
		}
		var e enrichers
		if e.geo, demoErr = geoip.Open(geoip.Config{CityDatabase: demoCity, ASNDatabase: demoASN}); demoErr != nil {
			return
		}
		e.ua, demoErr = useragent.New(useragent.DefaultConfig())
		demoEnrichers = e
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoEnrichers
}

// testConfig is the default configuration with the demo databases.
func testConfig(t testing.TB) Config {
	testEnrichers(t)
	cfg := DefaultConfig()
	cfg.GeoIP = geoip.Config{CityDatabase: demoCity, ASNDatabase: demoASN}
	return cfg
}

func newMapper(t testing.TB, cfg Config) *Mapper {
	t.Helper()
	m, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// evalCEL evaluates one expression with akship's functions and returns
// its native value.
func evalCEL(t *testing.T, expr string, record map[string]any) any {
	t.Helper()
	env, err := newEnv(testEnrichers(t), false)
	if err != nil {
		t.Fatal(err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("compiling %s: %v", expr, iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatal(err)
	}
	if record == nil {
		record = map[string]any{}
	}
	out, _, err := prg.Eval(&activation{
		record:    adapter.NativeToValue(record),
		tags:      adapter.NativeToValue([]string{"t"}),
		collected: types.Timestamp{Time: time.Date(2024, 9, 1, 12, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return toNative(out)
}

// TestMain removes the demo databases the tests shared.
func TestMain(m *testing.M) {
	code := m.Run()
	if demoDir != "" {
		_ = os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

// decodeRecord decodes one API record the way the engine does for records
// the record view does not take (see parseJSON for the value types)
// and returns its text for event.original. The record's strings and the
// text share one private copy of raw, made here and never written again,
// so a record costs one allocation for all its plain strings and raw stays
// the caller's.
func decodeRecord(raw []byte) (record map[string]any, original string, err error) {
	own := bytes.Clone(raw)
	original = unsafeString(own)
	record, err = decodeObject(own)
	return record, original, err
}
