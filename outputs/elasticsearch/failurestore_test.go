package elasticsearch

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"akship/agent"
	"akship/internal/datasets"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// TestFailureStore: on a cluster with data stream failure stores, setup
// enables one and a document Elasticsearch cannot index (here a source.ip
// that is no IP) is delivered into it, counted apart, not dead-lettered;
// on a cluster without, setup installs the templates without it and the
// same document is rejected permanently (the dead-letter file's case).
func TestFailureStore(t *testing.T) {
	for _, supported := range []bool{true, false} {
		name := map[bool]string{true: "with failure store", false: "without failure store"}[supported]
		t.Run(name, func(t *testing.T) {
			srv := esdoubletest.Start(t)
			srv.SetFailureStoreSupport(supported)
			cfg := testConfig(srv.URL)
			var out bytes.Buffer
			if err := Setup(context.Background(), cfg, SetupOptions{Out: &out}); err != nil {
				t.Fatalf("Setup: %v\n%s", err, out.String())
			}
			tpl := string(srv.Templates().Index["akship-logs-authentik.event"])
			if got := strings.Contains(tpl, `"failure_store":{"enabled":true}`); got != supported {
				t.Errorf("index template enables the failure store: %v, want %v:\n%s", got, supported, tpl)
			}
			o, m, _ := startOutput(t, cfg)
			bad := testEvent(datasets.Event, "bad")
			setField(bad, "source", map[string]any{"ip": "not-an-ip"})
			events := []*agent.Event{testEvent(datasets.Event, "good"), bad}
			err := o.Write(context.Background(), events)
			indexed := counterValue(t, m.OutputIndexed, "elasticsearch", "event")
			stored := counterValue(t, m.OutputFailureStore, "elasticsearch", "event")
			if supported {
				if err != nil {
					t.Fatalf("Write = %v, want both delivered", err)
				}
				if indexed != 1 || stored != 1 {
					t.Errorf("indexed %v and failure-stored %v, want 1 and 1", indexed, stored)
				}
				if n := len(srv.Docs("logs-authentik.event-default::failures")); n != 1 {
					t.Errorf("the failure store holds %d documents, want 1", n)
				}
				return
			}
			var pe *agent.PartialError
			if !errors.As(err, &pe) || len(pe.Failed) != 1 || !agent.IsPermanent(pe.Failed[1]) {
				t.Fatalf("Write = %v, want a permanent failure of the bad document", err)
			}
			if !strings.Contains(pe.Failed[1].Error(), "document_parsing_exception") {
				t.Errorf("failure = %v, want Elasticsearch's document_parsing_exception", pe.Failed[1])
			}
			if indexed != 1 || stored != 0 {
				t.Errorf("indexed %v and failure-stored %v, want 1 and 0", indexed, stored)
			}
		})
	}
}
