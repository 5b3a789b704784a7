package httpx

import (
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"akship/internal/httpx/pkitest"
)

func get(t *testing.T, cfg TLSConfig, url string) error {
	t.Helper()
	tc, err := cfg.Build("tls")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	c := &http.Client{Transport: NewTransport(TransportOptions{TLS: tc}), Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})

// TestCAFile: tls.ca_file makes a server a private CA signed trusted; a
// server another CA signed is refused.
func TestCAFile(t *testing.T) {
	private, other := pkitest.NewCA(t, "private"), pkitest.NewCA(t, "other")
	srv := private.Server(t, ok, nil)
	if err := get(t, TLSConfig{}, srv.URL); err == nil {
		t.Error("a private CA's server was trusted without tls.ca_file")
	}
	if err := get(t, TLSConfig{CAFile: private.WriteCA(t)}, srv.URL); err != nil {
		t.Errorf("with tls.ca_file: %v", err)
	}
	if err := get(t, TLSConfig{CAFile: other.WriteCA(t)}, srv.URL); err == nil {
		t.Error("a server of another CA was trusted")
	}
}

// TestCAFileReplacesSystemRoots: tls.ca_file replaces the system's CAs,
// it does not add to them. A child process (the system pool is read once
// per process) gets a system pool holding only a "public" CA, through
// SSL_CERT_FILE: there a server that CA signed is trusted without ca_file,
// and refused once ca_file names a private CA.
func TestCAFileReplacesSystemRoots(t *testing.T) {
	if url := os.Getenv("HTTPX_TEST_SERVER"); url != "" {
		checkReplaced(t, url, os.Getenv("HTTPX_TEST_PRIVATE_CA"))
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("SKIPPED: SSL_CERT_FILE sets the system pool on Linux only")
	}
	public, private := pkitest.NewCA(t, "public"), pkitest.NewCA(t, "private")
	srv := public.Server(t, ok, nil)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCAFileReplacesSystemRoots$", "-test.v")
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+public.WriteCA(t), "SSL_CERT_DIR="+t.TempDir(),
		"HTTPX_TEST_SERVER="+srv.URL, "HTTPX_TEST_PRIVATE_CA="+private.WriteCA(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestCAFileReplacesSystemRoots") {
		t.Fatalf("the child test did not pass:\n%s", out)
	}
}

// checkReplaced runs in the child process.
func checkReplaced(t *testing.T, url, privateCA string) {
	if err := get(t, TLSConfig{}, url); err != nil {
		t.Fatalf("without tls.ca_file, a server signed by a system CA was refused: %v", err)
	}
	if err := get(t, TLSConfig{CAFile: privateCA}, url); err == nil {
		t.Fatal("with tls.ca_file set to a private CA, a server signed by a system CA was trusted: " +
			"ca_file added to the system's CAs instead of replacing them")
	}
	tc, err := (&TLSConfig{CAFile: privateCA}).Build("tls")
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(privateCA)
	if err != nil {
		t.Fatal(err)
	}
	want := x509.NewCertPool()
	want.AppendCertsFromPEM(pem)
	if !tc.RootCAs.Equal(want) {
		t.Error("RootCAs is not exactly the ca_file's certificates")
	}
}

// TestClientCertificate: a server demanding a client certificate accepts
// tls.cert_file/key_file and refuses a client without one.
func TestClientCertificate(t *testing.T) {
	ca := pkitest.NewCA(t, "ca")
	srv := ca.Server(t, ok, ca)
	caFile := ca.WriteCA(t)
	if err := get(t, TLSConfig{CAFile: caFile}, srv.URL); err == nil {
		t.Error("a server demanding a client certificate accepted a client without one")
	}
	cert, key := ca.WriteClient(t, "akship")
	if err := get(t, TLSConfig{CAFile: caFile, CertFile: cert, KeyFile: key}, srv.URL); err != nil {
		t.Errorf("with tls.cert_file/key_file: %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	junk := dir + "/junk.pem"
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cfg  TLSConfig
		want string
	}{
		{TLSConfig{CAFile: dir + "/missing.pem"}, "authentik.tls.ca_file: reading the CA file failed"},
		{TLSConfig{CAFile: junk}, "authentik.tls.ca_file: " + junk + " holds no PEM certificate"},
		{TLSConfig{CertFile: junk, KeyFile: junk}, "authentik.tls.cert_file: loading the client certificate failed"},
		{TLSConfig{CAFingerprint: "zz"}, "authentik.tls.ca_fingerprint: must be the SHA-256"},
	}
	for _, tt := range tests {
		if _, err := tt.cfg.Build("authentik.tls"); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Build(%+v) = %v, want an error starting %q", tt.cfg, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg  TLSConfig
		want string
	}{
		{TLSConfig{CertFile: "c.pem"}, "key_file: cert_file and key_file must be set together"},
		{TLSConfig{KeyFile: "k.pem"}, "key_file: cert_file and key_file must be set together"},
		{TLSConfig{Insecure: true, CAFile: "ca.pem"}, "insecure: contradicts ca_file"},
		{TLSConfig{CAFingerprint: "ab"}, "ca_fingerprint: must be the SHA-256"},
		{TLSConfig{CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem"}, ""},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
