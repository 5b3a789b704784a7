// Package victorialogs starts and stops a real VictoriaLogs server, a
// second implementation of the Elasticsearch bulk protocol: akship bench
// --victorialogs ships into one, and the tests (through victorialogstest,
// which adds what needs package testing) ship into one too: the
// integration tests of the Elasticsearch output, its benchmarks, the
// end-to-end tests and the reliability suite.
//
// The binary is found through $AKSHIP_VICTORIALOGS or at
// $(go env GOPATH)/bin/victoria-logs, where
//
//	go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1
//
// puts it.
package victorialogs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnvBinary names the environment variable holding the binary's path.
const EnvBinary = "AKSHIP_VICTORIALOGS"

// EnvRequire, when set to 1, turns a missing binary from a skip into a
// test failure (for CI, where the binary must be there).
const EnvRequire = "AKSHIP_REQUIRE_VICTORIALOGS"

// InstallHint tells how to get the binary.
const InstallHint = "go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1"

// Binary returns the path of the victoria-logs binary.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	gopath := build.Default.GOPATH
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		gopath = strings.TrimSpace(string(out))
	}
	p := filepath.Join(filepath.SplitList(gopath)[0], "bin", "victoria-logs")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no %s and no %s: %w", EnvBinary, p, err)
	}
	return p, nil
}

// Server is a running VictoriaLogs.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// LogFile holds the server's output.
	LogFile string
	cmd     *exec.Cmd
	done    chan struct{}
}

// StartBinary starts bin on a free loopback port with its storage in dir
// and waits until it is healthy. Retention is long, so documents with old
// timestamps are kept.
func StartBinary(bin, dir string) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken in between
		s, err := start(bin, dir)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, "victoria-logs.log")
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "-httpListenAddr="+addr, "-storageDataPath="+filepath.Join(dir, "data"),
		"-retentionPeriod=100y", "-loggerLevel=WARN")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s failed: %w", bin, err)
	}
	s := &Server{URL: "http://" + addr, LogFile: logFile, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := s.waitHealthy(15 * time.Second); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("VictoriaLogs exited at start; see %s", s.LogFile)
		default:
		}
		res, err := http.Get(s.URL + "/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("VictoriaLogs not healthy after %v; see %s", timeout, s.LogFile)
}

// ElasticsearchURL is the base URL of the Elasticsearch bulk API: use it as
// the output's host.
func (s *Server) ElasticsearchURL() string { return s.URL + "/insert/elasticsearch" }

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Flush makes everything ingested so far searchable at once.
func (s *Server) Flush(ctx context.Context) error {
	_, err := s.get(ctx, "/internal/force_flush", nil)
	return err
}

// Count returns how many log entries match a LogsQL filter, e.g. "*" or
// `data_stream.dataset:"authentik.event"`.
func (s *Server) Count(ctx context.Context, filter string) (int, error) {
	body, err := s.get(ctx, "/select/logsql/query", url.Values{"query": {filter + " | count() as n"}})
	if err != nil {
		return 0, err
	}
	total := 0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var row struct {
			N string `json:"n"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return 0, fmt.Errorf("unexpected query answer %q: %w", sc.Text(), err)
		}
		n, err := strconv.Atoi(row.N)
		if err != nil {
			return 0, fmt.Errorf("unexpected count %q", row.N)
		}
		total += n
	}
	return total, nil
}

func (s *Server) get(ctx context.Context, path string, q url.Values) (string, error) {
	u := s.URL + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", path, res.StatusCode, strings.TrimSpace(string(data)))
	}
	return string(data), nil
}

// CPUTime returns the CPU time (user + system) the server has used so far.
// It reads /proc, so it works on Linux only.
func (s *Server) CPUTime() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.PID()))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields, in clock ticks (USER_HZ, 100 on Linux).
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and waits.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("VictoriaLogs did not stop within 10s; killed")
	}
}
