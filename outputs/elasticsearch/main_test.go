package elasticsearch

import (
	"os"
	"testing"

	"akship/outputs/elasticsearch/victorialogs"
)

// TestMain announces the VictoriaLogs tests skipped for want of the binary.
func TestMain(m *testing.M) { os.Exit(victorialogs.Main(m)) }
