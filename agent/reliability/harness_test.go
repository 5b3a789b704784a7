package reliability_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	longFlag = flag.Bool("akship.long", false, "run the long variants of the reliability tests (also AKSHIP_LONG=1)")
	raceBin  = flag.Bool("akship.racebin", false,
		"build the akship binary under test with -race (also AKSHIP_RACE_BINARY=1; needs -race or cgo)")
)

// akshipBin is the binary under test, built once by TestMain.
var akshipBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here is skipped under -short: do not pay for a build.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "akship-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	akshipBin = filepath.Join(dir, "akship")
	if err := buildAkship(akshipBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildAkship builds the module's main package (two levels up) into out.
// With -akship.racebin the binary is built with the race detector, so the
// agent's own goroutines are checked while it is crashed and starved; it
// is off by default because it makes the suite about five times slower
// (the packages' own tests run under -race in CI).
func buildAkship(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	args := []string{"build", "-o", out}
	if raceBinary() {
		args = append(args, "-race")
	}
	root := filepath.Join("..", "..")
	cmd := exec.Command(goTool, append(args, ".")...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building akship failed: %v\n%s", err, b)
	}
	return nil
}

// sourcesRead makes readSources run once per test process.
var sourcesRead sync.Once

// readSources reads every file the agent is built from. go test caches a
// passing result by what the test binary depends on and the files the
// tests opened (from m.Run on, so not in TestMain); the agent is built in
// a child process, so without this a change to the agent alone would
// replay this suite's old result.
func readSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		if ext := filepath.Ext(path); ext == ".go" || ext == ".cel" || ext == ".mod" || ext == ".sum" || ext == ".yaml" || ext == ".yml" {
			_, err = os.ReadFile(path)
		}
		return err
	})
}

// raceBinary reports whether the agent under test is built with -race.
func raceBinary() bool { return *raceBin || os.Getenv("AKSHIP_RACE_BINARY") == "1" }

// long reports whether the long variants were asked for.
func long() bool { return *longFlag || os.Getenv("AKSHIP_LONG") == "1" }

// skipShort skips a test under -short (the binary is not built then).
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end reliability test skipped in -short mode")
	}
	sourcesRead.Do(func() {
		if err := readSources(filepath.Join("..", "..")); err != nil {
			t.Fatalf("reading the agent's sources: %v", err)
		}
	})
}

// size picks the CI or the long variant of a figure.
func size(ci, longRun int) int {
	if long() {
		return longRun
	}
	return ci
}

// syncBuffer collects a subprocess's stderr while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one akship process.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	stdout *syncBuffer
	done   chan struct{}
	code   int // exit code; -1 when killed by a signal
}

// startAkship starts the binary with args and the given extra environment.
// The process is killed when the test ends, if it is still running.
func startAkship(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(akshipBin, args...), stderr: &syncBuffer{}, stdout: &syncBuffer{},
		done: make(chan struct{})}
	p.cmd.Stderr, p.cmd.Stdout = p.stderr, p.stdout
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting akship: %v", err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -2
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		// With -akship.racebin the agent reports its own data races.
		if out := p.stderr.String(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in akship %v:\n%s", p.cmd.Args[1:], out)
		}
	})
	return p
}

// runAkship runs the binary to completion (at most timeout) and returns its
// exit code and stderr.
func runAkship(t *testing.T, timeout time.Duration, env []string, args ...string) (int, string) {
	t.Helper()
	p := startAkship(t, env, args...)
	return p.wait(t, timeout), p.stderr.String()
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("akship %v did not exit within %v; stderr:\n%s", p.cmd.Args[1:], timeout, tail(p.stderr.String(), 40))
		return -1
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t, 30*time.Second)
}

// term sends SIGTERM (a graceful stop) and returns the exit code.
func (p *proc) term(t *testing.T, timeout time.Duration) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(t, timeout)
}

// rssKB reads the resident set size of the process from /proc.
func (p *proc) rssKB() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return -1
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cfg is an akship configuration as nested maps, written as YAML.
type cfg map[string]any

// set assigns a value at a dotted key path, creating sections.
func (c cfg) set(path string, v any) cfg {
	keys := strings.Split(path, ".")
	m := map[string]any(c)
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	return c
}

// del removes the value at a dotted key path.
func (c cfg) del(path string) cfg {
	keys := strings.Split(path, ".")
	m := map[string]any(c)
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return c
		}
		m = next
	}
	delete(m, keys[len(keys)-1])
	return c
}

// write writes the configuration to dir/akship.yml and returns the path.
func (c cfg) write(t *testing.T, dir string) string {
	t.Helper()
	b, err := yaml.Marshal(map[string]any(c))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "akship.yml")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// baseConfig is a configuration for an environment with fast retries, so
// faults cost little wall time, and JSON logs.
func baseConfig(simURL, esURL, stateDir string) cfg {
	c := cfg{}
	c.set("authentik.url", simURL).set("authentik.token", "${AKSHIP_TEST_TOKEN}").
		set("authentik.backoff_initial", "20ms").set("authentik.backoff_max", "200ms").
		set("authentik.max_retries", 8).set("authentik.timeout", "10s").
		set("output.elasticsearch.hosts", []string{esURL}).
		set("output.elasticsearch.flush_interval", "100ms").
		set("state.path", stateDir).
		set("pipeline.retry_initial", "20ms").set("pipeline.retry_max", "500ms").
		set("pipeline.shutdown_timeout", "5s").
		set("logging.format", "json")
	return c
}
