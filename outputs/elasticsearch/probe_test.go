package elasticsearch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"akship/outputs/elasticsearch/esdouble"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

func TestProbeBulk(t *testing.T) {
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	victoriaRoot := serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Server-Hostname", "vm") // VictoriaLogs v1.52.1 at its root
		http.Error(w, `unsupported path requested: "/_bulk"`, http.StatusBadRequest)
	})
	victoriaBulk := serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Server-Hostname", "vm")
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = w.Write([]byte(`{"took":2,"errors":false,"items":[]}`))
	})
	notFound := serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		http.NotFound(w, r)
	})
	refusing := esdoubletest.Start(t)
	refusing.SetFaults(esdouble.Faults{BadRequest: "request [/_bulk] contains unrecognized parameter: [x]"})
	tests := []struct {
		name, host  string
		allowNonES  bool
		wantErr     string // "" = none
		wantWarning string
	}{
		{"Elasticsearch", esdoubletest.Start(t).URL, false, "", ""},
		{"VictoriaLogs' Elasticsearch path", victoriaBulk, false, "", "retentionPeriod"},
		{"VictoriaLogs' root", victoriaRoot, true, "/insert/elasticsearch", ""},
		{"a 404", notFound, false, "answered 404", ""},
		{"a server refusing every bulk request", refusing.URL, false, "unrecognized parameter", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.host)
			cfg.AllowNonElastic = tt.allowNonES
			o, err := New(cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			warnings, err := o.ProbeBulk(context.Background())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ProbeBulk = %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
				!strings.Contains(err.Error(), tt.host) || !strings.Contains(err.Error(), "output.elasticsearch.hosts")):
				t.Fatalf("ProbeBulk = %v, want an error naming the hosts entry %s and %q", err, tt.host, tt.wantErr)
			}
			if got := strings.Join(warnings, "\n"); tt.wantWarning == "" && got != "" ||
				!strings.Contains(got, tt.wantWarning) {
				t.Errorf("warnings = %q, want %q", got, tt.wantWarning)
			}
		})
	}
}
