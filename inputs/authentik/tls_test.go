package authentik

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"akship/agent"
	"akship/internal/httpx/pkitest"
)

// tlsList lists one page from srvURL with the given tls block.
func tlsList(t *testing.T, srvURL string, tlsCfg TLSConfig) error {
	t.Helper()
	cfg := DefaultClientConfig()
	cfg.URL, cfg.Token, cfg.TLS = srvURL, "secret-token", tlsCfg
	cfg.BackoffInitial, cfg.BackoffMax, cfg.MaxRetries = time.Millisecond, 5*time.Millisecond, 1
	c, err := NewClient(cfg, ClientOptions{})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = c.List(ctx, "events", eventsPath, url.Values{"page": {"1"}, "page_size": {"10"}})
	return err
}

// TestCAFile: authentik.tls.ca_file makes authentik behind a private CA
// trusted, and means what output.elasticsearch.tls.ca_file means: the CAs
// to trust instead of the system's, so an authentik another CA signed is
// refused as a configuration mistake naming the key; ca_fingerprint pins
// the server's certificate instead (internal/httpx tests
// that the system's CAs are replaced, not added to).
func TestCAFile(t *testing.T) {
	private, other := pkitest.NewCA(t, "private"), pkitest.NewCA(t, "other")
	srv := private.Server(t, newFakeEvents(5), nil)
	if err := tlsList(t, srv.URL, TLSConfig{CAFile: private.WriteCA(t)}); err != nil {
		t.Errorf("with authentik.tls.ca_file: %v", err)
	}
	sum := sha256.Sum256(srv.Certificate().Raw)
	if err := tlsList(t, srv.URL, TLSConfig{CAFingerprint: hex.EncodeToString(sum[:])}); err != nil {
		t.Errorf("with authentik.tls.ca_fingerprint: %v", err)
	}
	err := tlsList(t, srv.URL, TLSConfig{CAFile: other.WriteCA(t)})
	if !agent.IsMisconfigured(err) || !strings.Contains(err.Error(), "authentik.tls.ca_file") {
		t.Errorf("with another CA's ca_file: %v, want a configuration mistake naming authentik.tls.ca_file", err)
	}
}

// TestClientCertificate: authentik behind a proxy that demands a client
// certificate (mutual TLS) is reached with authentik.tls.cert_file and
// key_file, and refuses akship without them.
func TestClientCertificate(t *testing.T) {
	ca := pkitest.NewCA(t, "ca")
	srv := ca.Server(t, newFakeEvents(5), ca)
	caFile := ca.WriteCA(t)
	if err := tlsList(t, srv.URL, TLSConfig{CAFile: caFile}); err == nil {
		t.Error("a server demanding a client certificate answered a client without one")
	}
	cert, key := ca.WriteClient(t, "akship")
	if err := tlsList(t, srv.URL, TLSConfig{CAFile: caFile, CertFile: cert, KeyFile: key}); err != nil {
		t.Errorf("with authentik.tls.cert_file/key_file: %v", err)
	}
}

// TestTLSFileErrors: unreadable TLS files are reported at start, naming
// the full key.
func TestTLSFileErrors(t *testing.T) {
	cfg := DefaultClientConfig()
	cfg.URL, cfg.Token = "https://authentik.example.com", "t"
	cfg.TLS = TLSConfig{CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem"}
	if _, err := NewClient(cfg, ClientOptions{}); err == nil || !strings.HasPrefix(err.Error(), "authentik.tls.cert_file: ") {
		t.Errorf("NewClient = %v, want an error naming authentik.tls.cert_file", err)
	}
}
