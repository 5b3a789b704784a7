package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const testToken = "test-token"

// testNow is the frozen clock of most tests.
var testNow = time.Date(2025, 3, 4, 15, 33, 42, 771091000, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newSim builds a simulator with test defaults: the test token, a frozen
// clock, few users and groups.
func newSim(t testing.TB, o Options) *Simulator {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.Users == 0 {
		o.Users = 40
	}
	if o.Groups == 0 {
		o.Groups = 8
	}
	if o.Version == "" {
		o.Version = "2025.2" // the baseline most tests pin; profiles_test covers the others
	}
	if o.Version == "2025.8" && o.License == "" {
		o.License = LicenseEnterprise // its query language needs one
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// result is a recorded response.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; auth is the Authorization header ("" = none).
func do(t testing.TB, h http.Handler, method, target, auth string) result {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return result{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// get sends an authenticated GET and requires a 200.
func get(t testing.TB, h http.Handler, target string) []byte {
	t.Helper()
	r := do(t, h, http.MethodGet, target, "Bearer "+testToken)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", target, r.status, r.body)
	}
	return r.body
}

type pagination struct {
	Next       int `json:"next"`
	Previous   int `json:"previous"`
	Count      int `json:"count"`
	Current    int `json:"current"`
	TotalPages int `json:"total_pages"`
	StartIndex int `json:"start_index"`
	EndIndex   int `json:"end_index"`
}

type listPage struct {
	Pagination   pagination       `json:"pagination"`
	Results      []map[string]any `json:"results"`
	Autocomplete *map[string]any  `json:"autocomplete"`
}

func decodeList(t testing.TB, body []byte) listPage {
	t.Helper()
	var p listPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decode list: %v\n%s", err, body)
	}
	return p
}

func list(t testing.TB, h http.Handler, target string) listPage {
	t.Helper()
	return decodeList(t, get(t, h, target))
}

// sharedDir locates ../shared beside the repository root, or skips loudly.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("SKIPPED: repository root (go.mod) not found; shared reference files unavailable")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("SKIPPED: shared reference directory %s is absent; this conformance check did NOT run", shared)
	}
	return shared
}
