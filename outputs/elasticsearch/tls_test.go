package elasticsearch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"akship/agent"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

func TestTLS(t *testing.T) {
	srv := esdoubletest.StartTLS(t)
	cert := srv.HTTP.Certificate()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Raw)
	fingerprint := hex.EncodeToString(sum[:])
	colons := strings.ToUpper(strings.Join(splitPairs(fingerprint), ":"))
	wrong := strings.Repeat("ab", 32)

	tests := []struct {
		name     string
		tls      TLSConfig
		wantErr  string // from Start; "" = start and write succeed
		wantWarn bool
	}{
		{name: "refused without a CA", wantErr: "certificate"},
		{name: "ca_file", tls: TLSConfig{CAFile: caFile}},
		{name: "ca_fingerprint", tls: TLSConfig{CAFingerprint: fingerprint}},
		{name: "ca_fingerprint with colons, upper case", tls: TLSConfig{CAFingerprint: colons}},
		{name: "wrong ca_fingerprint", tls: TLSConfig{CAFingerprint: wrong}, wantErr: "tls.ca_fingerprint"},
		{name: "insecure warns", tls: TLSConfig{Insecure: true}, wantWarn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(srv.URL)
			cfg.TLS = tt.tls
			logs := &logBuffer{}
			o, err := New(cfg, newDebugLogger(logs), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close(context.Background())
			err = o.Start(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Start = %v, want an error containing %q", err, tt.wantErr)
				}
				// A configuration mistake: the pipeline stops on it rather
				// than dead-lettering the documents or retrying forever.
				if werr := o.Write(context.Background(), testEvents(agent.DatasetEvent, "x", 1)); !agent.IsMisconfigured(werr) ||
					!strings.HasPrefix(werr.Error(), "output.elasticsearch.hosts: ") {
					t.Errorf("Write = %v, want a configuration mistake naming output.elasticsearch.hosts", werr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if err := o.Write(context.Background(), testEvents(agent.DatasetEvent, tt.name, 2)); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := strings.Contains(logs.String(), "tls.insecure"); got != tt.wantWarn {
				t.Errorf("insecure warning logged = %v, want %v\n%s", got, tt.wantWarn, logs)
			}
		})
	}
}

func splitPairs(s string) []string {
	var out []string
	for i := 0; i+1 < len(s); i += 2 {
		out = append(out, s[i:i+2])
	}
	return out
}
