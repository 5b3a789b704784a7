package bench_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"akship/internal/bench"
	"akship/internal/cli"
)

// envTestAgent makes the test binary act as the akship command, so that
// "akship bench" can run it as the measured agent.
const envTestAgent = "AKSHIP_TEST_AS_AGENT"

func TestMain(m *testing.M) {
	if os.Getenv(envTestAgent) == "1" {
		os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func benchTestSettings(t *testing.T) bench.Settings {
	t.Helper()
	t.Setenv(envTestAgent, "1")
	// authentik 2025.2: pages as asked, the offset walk (the figures below).
	return bench.Settings{Events: 1200, Users: 5, Groups: 2, NewEvents: 100, PageSize: 500,
		Agent: os.Args[0], Dir: t.TempDir(), ProfileDir: t.TempDir(),
		Release: bench.Release{Version: "2025.2", License: "none", Walk: "auto"}}
}

func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent four times")
	}
	s := benchTestSettings(t)
	var out bytes.Buffer
	if err := bench.Run(context.Background(), s, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []*regexp.Regexp{
		// The request count is the events input's business (3 pages of 500
		// at least); the bench only reports it.
		regexp.MustCompile(`(?m)^\s+mapped\s+1200\s.*\s[3-9]\s+[0-9.]+\s*$`),
		regexp.MustCompile(`(?m)^\s+null \(unmapped\)\s+1200\s`),
		regexp.MustCompile(`mapped/null \(events per CPU-second\): [0-9.]+`),
		regexp.MustCompile(`incremental poll after 100 new events: 1 requests`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("output does not match %s", want)
		}
	}
	for _, name := range []string{"mapped.cpu.pprof", "mapped.mem.pprof", "mapped.mem.pprof.peak", "null.cpu.pprof"} {
		if fi, err := os.Stat(s.ProfileDir + "/" + name); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", name, err)
		}
	}
}

func TestBenchScale(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent six times")
	}
	s := benchTestSettings(t)
	s.Scale, s.ScaleSizes, s.ProfileDir = true, []int{600, 2500}, ""
	var out bytes.Buffer
	if err := bench.Run(context.Background(), s, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	// stored, …, backfill requests, idle poll requests and MiB, requests
	// after new events, reference requests and MiB.
	for _, want := range []string{`600\s.*\s[2-9]\s+1\s+[0-9.]+\s+1\s+1\s+[0-9.]+\s*$`,
		`2500\s.*\s[5-9]\s+1\s+[0-9.]+\s+1\s+3\s+[0-9.]+\s*$`} {
		if !regexp.MustCompile(`(?m)^\s+` + want).MatchString(out.String()) {
			t.Errorf("no row matching %s", want)
		}
	}
}

func TestBenchConfigIsValid(t *testing.T) {
	for _, s := range []bench.Settings{
		{PageSize: 500, GeoIPCity: "/x/City.mmdb", GeoIPASN: "/x/ASN.mmdb"},
		{PageSize: 100, VictoriaLogs: true, GeoIPCity: "/x/City.mmdb", GeoIPASN: "/x/ASN.mmdb"},
	} {
		for _, unmapped := range []bool{false, true} {
			p, err := bench.WriteConfig(t.TempDir(), "http://127.0.0.1:1", "http://127.0.0.1:2", s, unmapped)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := cli.LoadConfig(p)
			if err != nil {
				t.Fatalf("%+v unmapped=%v: %v", s, unmapped, err)
			}
			if got := cfg.Processors.GeoIP.CityDatabase != ""; got == unmapped {
				t.Errorf("%+v unmapped=%v: GeoIP configured = %v", s, unmapped, got)
			}
		}
	}
}

// TestBenchLive runs the steady-traffic mode briefly (polls every second
// instead of the default 30 s) against authentik 2026.8: both walks must
// report polls that shipped new events, and no keyset poll may make more
// than ceil(new / 100) + 1 requests for the new events it shipped itself.
// 50 inserts/s: a poll ends only once it reaches the newest event, and the
// race-instrumented daemon on a loaded 2-core CI machine shipped ~136/s, so
// at 150/s its polls never ended (5-minute timeout); at 50/s a keyset walk
// that re-reads its window still exceeds the bound (5 of 5 runs failed).
func TestBenchLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for a few seconds per walk")
	}
	s := benchTestSettings(t)
	s.ProfileDir, s.Events = "", 300
	s.Release = bench.Release{Version: "2026.8", License: "none", Walk: "auto", Live: 50, LiveFor: 3 * time.Second,
		Interval: time.Second}
	var out bytes.Buffer
	if err := bench.Run(context.Background(), s, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	// walk, polls, new/poll, requests/poll, max, polls over the bound, …
	for _, walk := range []string{"offset", "keyset"} {
		row := regexp.MustCompile(`(?m)^\s+` + walk + `\s+(\d+)\s+(\d+)\s+([0-9.]+)\s+(\d+)\s+(\d+)\s`)
		m := row.FindStringSubmatch(out.String())
		if m == nil || m[1] == "0" || m[2] == "0" {
			t.Errorf("no %s row with polls that shipped new events", walk)
			continue
		}
		if over := m[5]; walk == "keyset" && over != "0" {
			t.Errorf("%s keyset polls (of %s) made more than ceil(new/100)+1 requests; most in one poll: %s",
				over, m[1], m[4])
		}
	}
}

// TestBenchProgramFlags checks that --program and --extend reach the
// measured agent's configuration as the event program and extension.
func TestBenchProgramFlags(t *testing.T) {
	dir := t.TempDir()
	prog, ext := dir+"/p.cel", dir+"/e.cel"
	for _, f := range []string{prog, ext} {
		if err := os.WriteFile(f, []byte(`{"labels": {"x": "y"}}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := bench.Settings{PageSize: 500, Program: prog, Extend: ext, GeoIPCity: "c.mmdb", GeoIPASN: "a.mmdb"}
	path, err := bench.WriteConfig(dir, "http://127.0.0.1:1", "http://127.0.0.1:2", s, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := cli.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if ev := cfg.Processors.Event; ev.ProgramFile != prog || ev.ExtendFile != ext {
		t.Errorf("event program %q, extension %q; want %q, %q", ev.ProgramFile, ev.ExtendFile, prog, ext)
	}
	if path, err = bench.WriteConfig(dir, "http://127.0.0.1:1", "http://127.0.0.1:2", s, true); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err = cli.LoadConfig(path); err != nil || cfg.Processors.Event.ProgramFile != "" {
		t.Errorf("the unmapped pipeline got the event Program: %v", err)
	}
}
