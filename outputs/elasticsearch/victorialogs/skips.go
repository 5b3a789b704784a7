package victorialogs

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

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
// TestMain: os.Exit(victorialogs.Main(m))) and, when some were skipped
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
