package elasticsearch

import (
	"os"
	"testing"

	"akship/internal/victorialogs/victorialogstest"
)

// TestMain announces the VictoriaLogs tests skipped for want of the binary.
func TestMain(m *testing.M) { os.Exit(victorialogstest.Main(m)) }
