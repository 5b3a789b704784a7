package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestLogDurationsReadable: durations are written as "1.75s", not as
// slog's bare nanoseconds, in JSON and in text.
func TestLogDurationsReadable(t *testing.T) {
	var b bytes.Buffer
	log := newLogger(LoggingConfig{Level: "info", Format: "json"}, &b)
	log.Info("x", "took", 1753284100*time.Nanosecond, "timeout", 30*time.Second, "retry_in", 250*time.Millisecond,
		"tiny", 1500*time.Nanosecond)
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"took": "1.753s", "timeout": "30s", "retry_in": "250ms", "tiny": "2µs"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %q (line %s)", k, line[k], want, b.String())
		}
	}
	b.Reset()
	newLogger(LoggingConfig{Level: "info", Format: "text"}, &b).Info("x", "took", 1750*time.Millisecond)
	if !strings.Contains(b.String(), "took=1.75s") {
		t.Errorf("text log: %s", b.String())
	}
}

// TestRunLogLines: a run's own lines carry readable durations and say
// once that the monitoring endpoint listens.
func TestRunLogLines(t *testing.T) {
	env := newTestEnv(t, 300, 5, 2)
	cfg := env.writeConfig(t, "http:\n  listen: 127.0.0.1:0\n", "")
	code, _, stderr := run(t, "run", "--once", "-c", cfg)
	if code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, stderr)
	}
	if n := strings.Count(stderr, `"message":"monitoring endpoint listening"`); n != 1 {
		t.Errorf("monitoring endpoint listening logged %d times:\n%s", n, stderr)
	}
	stopped := false
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) != nil || line["message"] != "akship stopped" {
			continue
		}
		stopped = true
		if took, ok := line["took"].(string); !ok || !strings.HasSuffix(took, "s") {
			t.Errorf("took is %#v, want a duration such as \"1.75s\": %s", line["took"], l)
		}
	}
	if !stopped {
		t.Errorf("no \"akship stopped\" line:\n%s", stderr)
	}
}
