package mapping

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"akship/agent"
)

func TestCELOnlyMapsTheSame(t *testing.T) {
	rec := []byte(`{"pk":"5a9c77e8-b7fa-4601-b4d9-8ad662a4f704","user":{"pk":7,"email":"ann@example.org","username":"ann"},` +
		`"action":"login","app":"authentik.events.signals","context":{"auth_method":"password",` +
		`"http_request":{"path":"/flows/","method":"GET","user_agent":"curl/8.5.0"}},"client_ip":"10.1.2.3",` +
		`"created":"2025-03-04T15:33:42.771091Z","expires":"2026-03-04T15:33:42.770425Z","brand":{"name":"Default brand"}}`)
	collected := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	docs := make([]map[string]any, 2)
	for i, celOnly := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Event.CELOnly = celOnly
		m, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.datasets[agent.DatasetEvent].fast != nil; got == celOnly {
			t.Fatalf("cel_only=%v: native twin in use = %v", celOnly, got)
		}
		if docs[i], err = m.Map(agent.DatasetEvent, rec, collected); err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	if diff := cmp.Diff(docs[0], docs[1]); diff != "" {
		t.Errorf("native twin and CEL differ (-native +cel):\n%s", diff)
	}
}
