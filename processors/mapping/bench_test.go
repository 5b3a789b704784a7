package mapping

import (
	"path/filepath"
	"testing"
	"time"

	"akship/internal/datasets"
)

// loginEvent is a realistic successful login as authentik 2024.x reports it.
var loginEvent = []byte(`{"pk":"5b0cf5e5-7f44-4a8a-9e8a-1f0b7c3d2e11","user":{"pk":17,"email":"jane.doe@corp.example","username":"jane.doe"},"action":"login","app":"authentik.events.signals","context":{"auth_method":"password","http_request":{"args":{"next":"/if/user/"},"path":"/api/v3/flows/executor/default-authentication-flow/","method":"POST","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.127 Safari/537.36"},"auth_method_args":{}},"client_ip":"89.160.20.115","created":"2024-09-02T08:15:42.118734Z","expires":"2025-09-02T08:15:42.101122Z","brand":{"pk":"0bb0bcf421994958b51ffc2627ea8fe6","app":"authentik_brands","name":"Default brand","model_name":"brand"}}`)

// BenchmarkMapEvent maps one login event with GeoIP (City and ASN) and
// user-agent parsing, the user agent already cached, as akship's processor
// does: the engine writes the finished document's JSON.
func BenchmarkMapEvent(b *testing.B) { benchmarkMapEvent(b, false) }

// BenchmarkMapEventCEL maps the same event with the reference evaluation
// (programs/event.cel planned as a whole, evaluated by cel-go, converted to
// maps, finished), which the engine replaced.
func BenchmarkMapEventCEL(b *testing.B) { benchmarkMapEvent(b, true) }

func benchmarkMapEvent(b *testing.B, reference bool) {
	shared := sharedDir(b)
	cfg := DefaultConfig()
	cfg.GeoIP.CityDatabase = filepath.Join(shared, "geoip", "GeoLite2-City-Test.mmdb")
	cfg.GeoIP.ASNDatabase = filepath.Join(shared, "geoip", "GeoLite2-ASN-Test.mmdb")
	m, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	collected := time.Now()
	doc, err := m.Map(datasets.Event, loginEvent, collected)
	if err != nil || doc["source"] == nil || doc["user_agent"] == nil {
		b.Fatalf("warm-up mapping incomplete: %v %v", doc, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if reference {
			_, err = referenceMap(m, datasets.Event, loginEvent, collected)
		} else {
			_, err = m.mapDocument(datasets.Event, loginEvent, collected)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
