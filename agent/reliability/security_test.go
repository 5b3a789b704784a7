package reliability_test

import (
	"context"
	"encoding/pem"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
	"akship/outputs/elasticsearch/esdouble"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// writeCA writes a test server's certificate as PEM.
func writeCA(t *testing.T, srv *httptest.Server, path string) {
	t.Helper()
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSVerification: certificates are verified by default. Against
// self-signed Elasticsearch and authentik servers akship refuses to work
// until the server's CA is configured, then works.
func TestTLSVerification(t *testing.T) {
	skipShort(t)
	t.Parallel() // not timing-sensitive: overlaps with the other quick tests
	sim := startSim(t, simulator.Options{Events: 200, Users: 5, Groups: 2, Seed: 6})
	t.Run("elasticsearch", func(t *testing.T) {
		es := esdoubletest.StartTLS(t)
		e := newEnv(t)
		conf := baseConfig(sim.URL, es.URL, e.state)
		code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", conf.write(t, e.dir))
		if code == 0 || !strings.Contains(stderr, "certificate") {
			t.Errorf("without tls.ca_file akship exited %d:\n%s", code, tail(stderr, 10))
		}
		if n := es.Count("logs-authentik.*"); n != 0 {
			t.Errorf("%d documents sent to an unverified server", n)
		}
		ca := filepath.Join(e.dir, "es-ca.pem")
		writeCA(t, es.HTTP, ca)
		conf.set("output.elasticsearch.tls.ca_file", ca)
		if code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", conf.write(t, e.dir)); code != 0 {
			t.Fatalf("with tls.ca_file akship exited %d:\n%s", code, tail(stderr, 10))
		}
		if n := es.Count(eventStream); n != 200 {
			t.Errorf("%d events delivered over verified TLS, want 200", n)
		}
	})
	t.Run("authentik", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(sim.sim)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
		srv.StartTLS()
		t.Cleanup(srv.Close)
		es := startES(t)
		e := newEnv(t)
		conf := baseConfig(srv.URL, es.URL, e.state)
		before := sim.sim.Stats().Requests.Events
		code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", conf.write(t, e.dir))
		if code == 0 || !strings.Contains(stderr, "certificate") {
			t.Errorf("without authentik.tls.ca_file akship exited %d:\n%s", code, tail(stderr, 10))
		}
		if n := sim.sim.Stats().Requests.Events; n != before {
			t.Errorf("%d requests reached authentik over an unverified connection", n-before)
		}
		ca := filepath.Join(e.dir, "authentik-ca.pem")
		writeCA(t, srv, ca)
		conf.set("authentik.tls.ca_file", ca)
		if code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", conf.write(t, e.dir)); code != 0 {
			t.Fatalf("with authentik.tls.ca_file akship exited %d:\n%s", code, tail(stderr, 10))
		}
		if n := es.Count(eventStream); n != 200 {
			t.Errorf("%d events collected over verified TLS, want 200", n)
		}
	})
}

// echoProxy answers the first few event requests 502 with the request's
// Authorization header in the body, as a misconfigured proxy might, then
// passes requests to the simulator.
type echoProxy struct {
	sim    http.Handler
	echoes atomic.Int32
}

func (p *echoProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/v3/events/") && p.echoes.Add(1) <= 3 {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"detail": "upstream refused request with `+r.Header.Get("Authorization")+`"}`)
		return
	}
	p.sim.ServeHTTP(w, r)
}

// TestSecretsStayPrivate runs a whole pipeline at debug level with the
// request tracer on and the monitoring endpoint scraped, with distinctive
// credentials for authentik and Elasticsearch, a proxy that echoes the
// token in error bodies, and poison documents that go to the dead-letter
// file. Neither credential may appear in the logs, the trace files, the
// state directory, the documents, the dead-letter file, /metrics, /status
// or /readyz. State files are created 0600 in a 0700 directory, the
// dead-letter and trace files 0600.
func TestSecretsStayPrivate(t *testing.T) {
	skipShort(t)
	const token = "akshipCanaryAuthentikT0ken-4f9e1c-0123456789abcdefghijklmnopqrstuvwxyz"
	const apiKey = "akshipCanaryESApiKey-b71d02=="
	sim, err := simulator.New(simulator.Options{Token: token, Events: 1500, Users: 20, Groups: 4, Seed: 31})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(&echoProxy{sim: sim})
	t.Cleanup(front.Close)
	es := startES(t)
	es.SetAuth("APIKey " + apiKey) // the scheme as go-elasticsearch spells it
	es.SetFaults(esdouble.Faults{Mapping: poisonRule, ItemRejectRate: 0.02, Seed: 3})
	e := newEnv(t)
	tokenFile := filepath.Join(e.dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freePort(t)
	conf := baseConfig(front.URL, es.URL, e.state).del("authentik.token").set("authentik.token_file", tokenFile).
		set("output.elasticsearch.api_key", "${AKSHIP_TEST_ES_KEY}").set("logging.level", "debug").
		set("tracer.enabled", true).set("http.listen", listen).set("inputs.events.interval", "1s").
		set("inputs.events.page_size", 100).set("authentik.max_retries", 2) // 3 echoes: the first poll fails
	p := startAkship(t, append(e.vars, "AKSHIP_TEST_ES_KEY="+apiKey), "run", "-c", conf.write(t, e.dir))
	waitFor(t, "every event stored or dead-lettered", 2*time.Minute, func() bool {
		if p.exited() {
			t.Fatalf("akship exited %d:\n%s", p.code, tail(p.stderr.String(), 20))
		}
		b, _ := os.ReadFile(e.dlq)
		return es.Count(eventStream)+strings.Count(string(b), "\n") == 1500
	})
	ctx := context.Background()
	surfaces := map[string]string{}
	for _, ep := range []string{"/metrics", "/status", "/readyz", "/"} {
		code, body := getURL(ctx, "http://"+listen+ep)
		if code == 0 {
			t.Fatalf("GET %s: %s", ep, body)
		}
		surfaces["GET "+ep] = body
	}
	if code := p.term(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM exit code %d", code)
	}
	surfaces["stderr"] = p.stderr.String()
	surfaces["stdout"] = p.stdout.String()
	for _, ix := range es.Indices() {
		var b strings.Builder
		for _, d := range es.Docs(ix) {
			b.WriteString(d.ID)
			b.Write(d.Source)
		}
		surfaces["documents in "+ix] = b.String()
	}
	traces := 0
	err = filepath.WalkDir(e.state, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, info.Mode().Perm(), want)
		}
		if !d.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			surfaces[path] = string(b)
			if strings.Contains(path, "trace") {
				traces++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if traces == 0 || surfaces[e.dlq] == "" {
		t.Fatalf("the run left no trace file (%d) or no dead-letter file: the test proves nothing", traces)
	}
	if !strings.Contains(surfaces["stderr"], "upstream refused") {
		t.Errorf("the echoed error body did not reach the log; the redaction was not exercised")
	}
	for where, text := range surfaces {
		for _, secret := range []string{token, apiKey, strings.TrimRight(apiKey, "=")} {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("a credential appears in %s: …%s…", where, text[max(0, i-80):min(len(text), i+len(secret)+20)])
			}
		}
	}
	t.Logf("FIGURES secrets: %d surfaces searched (logs %d bytes at debug, %d trace files, state files, "+
		"%d data streams, dead-letter file, /metrics, /status, /readyz): no credential found",
		len(surfaces), len(surfaces["stderr"]), traces, len(es.Indices()))
}
