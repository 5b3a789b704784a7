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
	"akship/internal/datasets"
	"akship/internal/httpx/pkitest"
	"akship/outputs/elasticsearch/esdouble"
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
				if werr := o.Write(context.Background(), testEvents(datasets.Event, "x", 1)); !agent.IsMisconfigured(werr) ||
					!strings.HasPrefix(werr.Error(), "output.elasticsearch.hosts: ") {
					t.Errorf("Write = %v, want a configuration mistake naming output.elasticsearch.hosts", werr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if err := o.Write(context.Background(), testEvents(datasets.Event, tt.name, 2)); err != nil {
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

// TestTLSPrivateCA: output.elasticsearch.tls.ca_file means what
// authentik.tls.ca_file means, the CAs to trust instead of the system's
// (internal/httpx tests that they are replaced, not added to): a cluster a
// private CA signed is trusted with that CA, refused with another; and a
// cluster demanding a client certificate gets tls.cert_file/key_file.
func TestTLSPrivateCA(t *testing.T) {
	private, other := pkitest.NewCA(t, "private"), pkitest.NewCA(t, "other")
	cert, key := private.WriteClient(t, "akship")
	tests := []struct {
		name    string
		mtls    bool
		tls     TLSConfig
		wantErr string
	}{
		{name: "private ca_file", tls: TLSConfig{CAFile: private.WriteCA(t)}},
		{name: "another CA's ca_file", tls: TLSConfig{CAFile: other.WriteCA(t)}, wantErr: "certificate"},
		{name: "client certificate", mtls: true, tls: TLSConfig{CAFile: private.WriteCA(t), CertFile: cert, KeyFile: key}},
		{name: "client certificate missing", mtls: true, tls: TLSConfig{CAFile: private.WriteCA(t)}, wantErr: "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clients *pkitest.CA
			if tt.mtls {
				clients = private
			}
			srv := private.Server(t, esdouble.New(), clients)
			cfg := testConfig(srv.URL)
			cfg.TLS = tt.tls
			o, err := New(cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close(context.Background())
			// A refused client certificate is only seen once a request is
			// answered (TLS 1.3), so Start may pass and the write fail.
			err = o.Start(context.Background())
			if err == nil {
				err = o.Write(context.Background(), testEvents(datasets.Event, "x", 2))
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Start or Write = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start or Write: %v", err)
			}
		})
	}
}
