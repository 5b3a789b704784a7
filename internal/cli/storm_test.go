package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"akship/outputs/elasticsearch/esdouble"
	"akship/outputs/elasticsearch/esdouble/esdoubletest"
)

// TestRefusingDestinationIsNotStormed runs akship against a server that
// answers 400 to every bulk request, with the default backoff (250ms
// doubling to 30s) scaled down 6 times, so that ten seconds of the run are
// one minute of a real one: in the minute after the first bulk request, the
// real retry loop (pipeline and output) may send at most 10 bulk requests
// in its second half. validate --connect
// must fail against the same server.
func TestRefusingDestinationIsNotStormed(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	// A scale of 6 keeps the output's own request time (100-250ms for 1,600
	// documents on the shared test machine) small against the backoff; at
	// 60 it would stand for 6-15 real seconds per request.
	const scale = 6
	es := esdoubletest.Start(t)
	es.SetFaults(esdouble.Faults{BadRequest: "request [/_bulk] contains unrecognized parameter: [refresh_interval]"})
	env := newTestEnv(t, 5000, 40, 6)
	cfg := env.esConfig(t, "    hosts: ["+es.URL+"]")
	// The pipeline's retry settings are those of the defaults, scaled.
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scaled := strings.Replace(string(data), "  retry_initial: 10ms\n  retry_max: 100ms\n",
		"  retry_initial: "+(250*time.Millisecond/scale).String()+"\n  retry_max: "+(30*time.Second/scale).String()+
			"\n  shutdown_timeout: 100ms\n", 1)
	if err := os.WriteFile(cfg, []byte(scaled), 0o600); err != nil {
		t.Fatal(err)
	}

	if code, out, _ := run(t, "validate", "--connect", "-c", cfg); code == 0 || !strings.Contains(out, "bulk endpoint") {
		t.Errorf("validate --connect exited %d against a server refusing every bulk request:\n%s", code, out)
	}

	minute := time.Minute / scale
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"run", "-c", cfg}, &out, &errOut)
	}()
	// The minute starts with the first bulk request (after ProbeBulk's).
	deadline := time.Now().Add(time.Minute)
	for es.Stats().BadRequests < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	first := es.Stats().BadRequests
	time.Sleep(minute / 2)
	half := es.Stats().BadRequests - first
	time.Sleep(minute - time.Since(start))
	second := es.Stats().BadRequests - first - half
	cancel()
	<-done
	if testing.Verbose() {
		t.Log(errOut.String())
	}
	t.Logf("bulk requests refused after the first: %d in the first half of the scaled minute, %d in the second",
		half, second)
	if half < 3 {
		t.Fatalf("%d retries in the first half: the test did not exercise the retry loop", half)
	}
	if second > 10 {
		t.Errorf("%d bulk requests in the second half of the minute, want at most 10", second)
	}
	if n := es.Count("*"); n != 0 {
		t.Errorf("%d documents stored by a server refusing everything", n)
	}
}
