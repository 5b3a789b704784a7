package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"akship/outputs/elasticsearch/esdouble"
)

// TestRefusingDestinationIsNotStormed runs akship against a server that
// answers 400 to every bulk request, with the default backoff (250ms
// doubling to 30s) scaled down 60 times, so that one second of the run is
// one minute of a real one: the real retry loop (pipeline and output) may
// send at most 10 bulk requests in its second half. validate --connect
// must fail against the same server.
func TestRefusingDestinationIsNotStormed(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	const scale = 60
	es := esdouble.Start(t)
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
		done <- runCLI(ctx, []string{"run", "-c", cfg}, &out, &errOut)
	}()
	start := time.Now()
	time.Sleep(minute / 2)
	half := es.Stats().BadRequests
	time.Sleep(minute - time.Since(start))
	second := es.Stats().BadRequests - half
	cancel()
	<-done
	if testing.Verbose() {
		t.Log(errOut.String())
	}
	t.Logf("bulk requests refused: %d in the first half of the scaled minute, %d in the second", half, second)
	if half == 0 {
		t.Fatal("akship sent nothing: the test did not exercise the retry loop")
	}
	if second > 10 {
		t.Errorf("%d bulk requests in the second half of the minute, want at most 10", second)
	}
	if n := es.Count("*"); n != 0 {
		t.Errorf("%d documents stored by a server refusing everything", n)
	}
}
