package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if code, out, errOut := run(t, "healthcheck", "--url", srv.URL+"/healthz"); code != 0 {
		t.Errorf("healthy endpoint: exit %d, %s %s", code, out, errOut)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "akship.yml")
	write := func(extra string) {
		text := "authentik:\n  url: http://a\n  token: " + testToken + "\noutput:\n  file:\n    path: o\n" + extra
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("http:\n  listen: " + strings.TrimPrefix(srv.URL, "http://") + "\n")
	if code, out, errOut := run(t, "healthcheck", "-c", cfg); code != 0 {
		t.Errorf("healthy endpoint from http.listen: exit %d, %s %s", code, out, errOut)
	}
	status = http.StatusServiceUnavailable
	if code, _, errOut := run(t, "healthcheck", "-c", cfg); code != 1 || !strings.Contains(errOut, "unhealthy") {
		t.Errorf("unhealthy endpoint: exit %d, %s", code, errOut)
	}
	write("")
	if code, _, errOut := run(t, "healthcheck", "-c", cfg); code != 1 || !strings.Contains(errOut, "http.listen is not set") {
		t.Errorf("no monitoring endpoint: exit %d, %s", code, errOut)
	}
	for listen, want := range map[string]string{"0.0.0.0:9108": "http://127.0.0.1:9108/healthz",
		"[::]:9108": "http://127.0.0.1:9108/healthz", ":9108": "http://127.0.0.1:9108/healthz",
		"localhost:9108": "http://localhost:9108/healthz", "[::1]:9108": "http://[::1]:9108/healthz"} {
		if got := healthzURL(listen); got != want {
			t.Errorf("healthzURL(%s) = %s, want %s", listen, got, want)
		}
	}
}
