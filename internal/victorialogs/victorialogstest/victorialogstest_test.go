package victorialogstest

import (
	"strings"
	"testing"

	"akship/internal/victorialogs"
)

// TestMissingBinaryIsAnnounced: a test skipped for want of the binary is
// named in the notice Main prints after the package's tests.
func TestMissingBinaryIsAnnounced(t *testing.T) {
	t.Setenv(victorialogs.EnvRequire, "")
	t.Setenv(victorialogs.EnvBinary, "/nonexistent/victoria-logs")
	t.Run("needs_victorialogs", func(t *testing.T) { Start(t) })
	msg := skipNotice()
	skipped.Lock()
	skipped.names = nil // the notice is about this test only; do not print it
	skipped.Unlock()
	for _, want := range []string{"*** SKIPPED 1 VictoriaLogs test(s): TestMissingBinaryIsAnnounced/needs_victorialogs",
		"AKSHIP_VICTORIALOGS", victorialogs.InstallHint} {
		if !strings.Contains(msg, want) {
			t.Errorf("notice %q lacks %q", msg, want)
		}
	}
}
