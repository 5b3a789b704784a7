// Package victorialogstest starts VictoriaLogs (package victorialogs) for
// tests: Start skips a test, loudly, when the binary is missing (or fails
// it when AKSHIP_REQUIRE_VICTORIALOGS=1), and Main reports the skips after
// a package's tests. Only tests import it.
package victorialogstest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"akship/internal/victorialogs"
)

// Start starts VictoriaLogs for a test, with its data in a temporary
// directory, and stops it when the test ends. Without the binary the test
// is skipped with a message saying how to install it (or fails when
// AKSHIP_REQUIRE_VICTORIALOGS=1).
func Start(tb testing.TB) *victorialogs.Server {
	tb.Helper()
	bin, err := victorialogs.Binary()
	if err != nil {
		msg := fmt.Sprintf("VictoriaLogs binary not found (%v); install it with `%s` or set %s",
			err, victorialogs.InstallHint, victorialogs.EnvBinary)
		if os.Getenv(victorialogs.EnvRequire) == "1" {
			tb.Fatal(msg)
		}
		noteSkip(tb.Name(), msg)
		tb.Skip("SKIPPING: " + msg)
	}
	s, err := victorialogs.StartBinary(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Logf("stopping VictoriaLogs: %v", err)
		}
	})
	return s
}

// skipped lists the tests Start skipped for want of the binary.
var skipped struct {
	sync.Mutex
	names  []string
	reason string
}

func noteSkip(name, reason string) {
	skipped.Lock()
	defer skipped.Unlock()
	skipped.names = append(skipped.names, name)
	skipped.reason = reason
}

// skipNotice is the notice Main prints, or "" when no test was skipped.
func skipNotice() string {
	skipped.Lock()
	defer skipped.Unlock()
	if len(skipped.names) == 0 {
		return ""
	}
	return fmt.Sprintf("\n*** SKIPPED %d VictoriaLogs test(s): %s\n*** %s\n\n", len(skipped.names),
		strings.Join(skipped.names, ", "), skipped.reason)
}

// Main runs the tests of a package whose tests call Start (call it from
// TestMain: os.Exit(victorialogstest.Main(m))) and, when some were skipped
// because the binary is missing, says so loudly: on stderr, which go test
// shows with -v or for a single package, and on the terminal, since
// `go test ./...` prints nothing of a passing package but its "ok" line.
func Main(m *testing.M) int {
	code := m.Run()
	if msg := skipNotice(); msg != "" {
		fmt.Fprint(os.Stderr, msg)
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprint(tty, msg)
			_ = tty.Close()
		}
	}
	return code
}
