package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"akship/inputs/authentik/simulator"
	"akship/internal/loopback"
	"akship/internal/victorialogs/victorialogstest"
)

// testEnv is a simulator on a loopback port and a configuration pointing
// at it, writing files into a temporary directory.
type testEnv struct {
	sim     *simulator.Simulator
	url     string
	dir     string
	cfgPath string
}

func newTestEnv(t *testing.T, events, users, groups int) *testEnv {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Token: testToken, Events: events, Users: users,
		Groups: groups, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return serveTestEnv(t, sim, sim)
}

// serveTestEnv serves h (sim, or a handler wrapping it) and writes the
// environment's configuration.
func serveTestEnv(t *testing.T, sim *simulator.Simulator, h http.Handler) *testEnv {
	t.Helper()
	url, stop, err := loopback.Serve(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	env := &testEnv{sim: sim, url: url, dir: t.TempDir()}
	env.cfgPath = env.writeConfig(t, "", "")
	return env
}

// writeConfig writes the environment's configuration, the fixture
// testdata/config/good/file-output.yml (authentik, output and state from
// AKSHIP_TEST_URL, AKSHIP_TEST_TOKEN and AKSHIP_TEST_DIR), plus extra
// top-level YAML and extra keys of the authentik section.
func (e *testEnv) writeConfig(t *testing.T, extra, authentikExtra string) string {
	t.Helper()
	base := string(fixture(t, "config", "good", "file-output.yml"))
	const tokenLine = "  token: ${AKSHIP_TEST_TOKEN}\n"
	if !strings.Contains(base, tokenLine) {
		t.Fatalf("file-output.yml lacks %q", tokenLine)
	}
	cfg := strings.Replace(base, tokenLine, tokenLine+authentikExtra, 1) + extra
	p := filepath.Join(e.dir, "akship.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AKSHIP_TEST_URL", e.url)
	t.Setenv("AKSHIP_TEST_DIR", e.dir)
	t.Setenv("AKSHIP_TEST_TOKEN", testToken)
	return p
}

// fixture reads a file of the repository's testdata directory.
func fixture(t *testing.T, path ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixturePath(path...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixturePath is the path of a file of the repository's testdata directory.
func fixturePath(path ...string) string {
	return filepath.Join(append([]string{moduleRoot, "testdata"}, path...)...)
}

// run runs the CLI and returns exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// lines counts the documents of a dataset file and returns their event.ids.
func (e *testEnv) docs(t *testing.T, dataset string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(e.dir, "out", "authentik."+dataset+".ndjson"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("invalid NDJSON line: %v", err)
		}
		docs = append(docs, d)
	}
	return docs
}

func originalPK(t *testing.T, doc map[string]any) string {
	t.Helper()
	ev, _ := doc["event"].(map[string]any)
	orig, _ := ev["original"].(string)
	var rec struct {
		PK string `json:"pk"`
	}
	if err := json.Unmarshal([]byte(orig), &rec); err != nil || rec.PK == "" {
		t.Fatalf("document without a readable event.original: %v", doc)
	}
	return rec.PK
}

func TestRunOnceShipsEverythingExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000-event end-to-end run skipped in -short mode")
	}
	env := newTestEnv(t, 20000, 40, 6)
	if code, _, stderr := run(t, "run", "--once", "-c", env.cfgPath); code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	events := env.docs(t, "event")
	if len(events) != 20000 {
		t.Fatalf("shipped %d event documents, want 20000", len(events))
	}
	seen := map[string]bool{}
	for _, d := range events {
		pk := originalPK(t, d)
		if seen[pk] {
			t.Fatalf("event %s shipped twice", pk)
		}
		seen[pk] = true
	}
	for _, pk := range env.sim.EventPKs() {
		if !seen[pk] {
			t.Fatalf("event %s was not shipped", pk)
		}
	}
	if n, m := len(env.docs(t, "user")), len(env.docs(t, "group")); n != 40 || m != 6 {
		t.Fatalf("shipped %d users and %d groups, want 40 and 6", n, m)
	}

	// A second run ships no event twice.
	if code, _, stderr := run(t, "run", "--once", "-c", env.cfgPath); code != 0 {
		t.Fatalf("second run exited %d:\n%s", code, stderr)
	}
	if n := len(env.docs(t, "event")); n != 20000 {
		t.Fatalf("after a second run there are %d event documents, want still 20000", n)
	}

	// 100 new events: the next run ships exactly those, cheaply.
	req, _ := http.NewRequest(http.MethodPost, env.url+"/_sim/events?count=100", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("inserting events: %v %v", err, resp)
	}
	var inserted struct {
		PKs []string `json:"pks"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&inserted)
	resp.Body.Close()
	before := env.sim.Stats().Requests.Events
	if code, _, stderr := run(t, "run", "--once", "-c", env.cfgPath); code != 0 {
		t.Fatalf("third run exited %d:\n%s", code, stderr)
	}
	events = env.docs(t, "event")
	if len(events) != 20100 {
		t.Fatalf("after 100 new events there are %d event documents, want 20100", len(events))
	}
	fresh := map[string]bool{}
	for _, d := range events[20000:] {
		fresh[originalPK(t, d)] = true
	}
	for _, pk := range inserted.PKs {
		if !fresh[pk] {
			t.Errorf("new event %s was not shipped by the incremental run", pk)
		}
	}
	if n := env.sim.Stats().Requests.Events - before; n > 3 {
		t.Errorf("the incremental run made %d requests to the events endpoint, want at most 3", n)
	}
}

func TestValidate(t *testing.T) {
	t.Setenv("AUTHENTIK_TOKEN", testToken)
	if code, out, errOut := run(t, "validate", "-c", filepath.Join(moduleRoot, "config.example.yml")); code != 0 {
		t.Fatalf("config.example.yml is invalid (%d): %s %s", code, out, errOut)
	}
	// The bad configurations are testdata/config/bad/<file>; "bad.yml" in
	// a wanted message stands for the file's path.
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-key.yml", []string{"bad.yml:4:3: authentik.tokn: unknown key (did you mean \"token\"?)"}},
		{"wrong-type.yml", []string{"bad.yml:6:15: inputs.events.interval: \"often\" is not a duration"}},
		{"missing-token-and-output.yml", []string{"authentik.token: is required", "output: configure exactly one output"}},
		{"bad-url-and-page-size.yml", []string{"bad.yml:2:8: authentik.url: \"ftp://a\" is not an http(s) URL",
			"bad.yml:6:16: inputs.users.page_size: must be between"}},
		{"unset-variable.yml", []string{"bad.yml:3:10: authentik.token: environment variable NOPE_NOT_SET is not set"}},
		{"empty.yml", []string{"bad.yml: the configuration is empty"}},
		{"not-yaml.yml", []string{"bad.yml: invalid YAML"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yml"), func(t *testing.T) {
			p := fixturePath("config", "bad", tt.file)
			code, _, errOut := run(t, "validate", "-c", p)
			if code == 0 {
				t.Fatal("validate accepted a bad configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, strings.Replace(w, "bad.yml", p, 1)) {
					t.Errorf("output lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// moduleRoot is the repository, two levels up: config.example.yml,
// README.md and testdata/ are there, and ../shared beside it.
var moduleRoot = filepath.Join("..", "..")

// TestMain runs the tests and says loudly when the VictoriaLogs ones
// (es_test.go) were skipped for want of the binary.
func TestMain(m *testing.M) { os.Exit(victorialogstest.Main(m)) }

// testToken is the authentik token of the tests: as long as authentik's
// API tokens (minTokenLength), which akship requires.
const testToken = "t0ken-under-test-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
