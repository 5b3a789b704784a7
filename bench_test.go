package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"akship/internal/victorialogs/victorialogstest"
)

// envTestAgent makes the test binary act as the akship command, so that
// "akship bench" can run it as the measured agent.
const envTestAgent = "AKSHIP_TEST_AS_AGENT"

func TestMain(m *testing.M) {
	if os.Getenv(envTestAgent) == "1" {
		os.Exit(runCLI(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	// The VictoriaLogs tests (es_test.go) skip without the binary; say so.
	os.Exit(victorialogstest.Main(m))
}

func benchTestSettings(t *testing.T) benchSettings {
	t.Helper()
	t.Setenv(envTestAgent, "1")
	// authentik 2025.2: pages as asked, the offset walk (the figures below).
	return benchSettings{events: 1200, users: 5, groups: 2, newEvents: 100, pageSize: 500,
		agent: os.Args[0], dir: t.TempDir(), profileDir: t.TempDir(),
		release: benchRelease{version: "2025.2", license: "none", walk: "auto"}}
}

func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent four times")
	}
	s := benchTestSettings(t)
	var out bytes.Buffer
	if err := runBench(context.Background(), s, &out); err != nil {
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
		if fi, err := os.Stat(s.profileDir + "/" + name); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", name, err)
		}
	}
}

func TestBenchScale(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent six times")
	}
	s := benchTestSettings(t)
	s.scale, s.scaleSizes, s.profileDir = true, []int{600, 2500}, ""
	var out bytes.Buffer
	if err := runBench(context.Background(), s, &out); err != nil {
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
	for _, s := range []benchSettings{
		{pageSize: 500, geoipCity: "/x/City.mmdb", geoipASN: "/x/ASN.mmdb"},
		{pageSize: 100, victoriaLogs: true, geoipCity: "/x/City.mmdb", geoipASN: "/x/ASN.mmdb"},
	} {
		for _, unmapped := range []bool{false, true} {
			p, err := writeBenchConfig(t.TempDir(), "http://127.0.0.1:1", "http://127.0.0.1:2", s, unmapped)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := loadConfig(p)
			if err != nil {
				t.Fatalf("%+v unmapped=%v: %v", s, unmapped, err)
			}
			if got := cfg.Processors.GeoIP.CityDatabase != ""; got == unmapped {
				t.Errorf("%+v unmapped=%v: GeoIP configured = %v", s, unmapped, got)
			}
		}
	}
}

func TestReadVmHWM(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if got := readVmHWM("/proc/self/status"); got < 1<<20 {
		t.Errorf("VmHWM of the test process = %d bytes", got)
	}
	if got := readVmHWM("/nonexistent"); got != 0 {
		t.Errorf("missing file: %d", got)
	}
}

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "10000,100000, 1000000", want: []int{10000, 100000, 1000000}},
		{in: "5", want: []int{5}},
		{in: "10,x", wantErr: true},
		{in: "0", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSizes(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parseSizes(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestBenchLive runs the steady-traffic mode briefly (polls every second
// instead of the default 30 s) against authentik 2026.8: both walks must
// report polls, and the keyset walk at most ceil(new / 100) + 1 requests
// per poll.
func TestBenchLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for a few seconds per walk")
	}
	s := benchTestSettings(t)
	s.profileDir, s.events = "", 300
	s.release = benchRelease{version: "2026.8", license: "none", walk: "auto", live: 150, liveFor: 3 * time.Second,
		interval: time.Second}
	var out bytes.Buffer
	if err := runBench(context.Background(), s, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	// walk, polls, new/poll, requests/poll, max, bound, KB/poll, KB/new event
	row := regexp.MustCompile(`(?m)^\s+keyset\s+(\d+)\s+(\d+)\s+([0-9.]+)\s+(\d+)\s+(\d+)\s`)
	m := row.FindStringSubmatch(out.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("no keyset row with polls")
	}
	if most, _ := strconv.Atoi(m[4]); most > 0 {
		if bound, _ := strconv.Atoi(m[5]); most > bound {
			t.Errorf("keyset poll made %d requests, bound %d", most, bound)
		}
	}
	if !regexp.MustCompile(`(?m)^\s+offset\s+[1-9]`).MatchString(out.String()) {
		t.Errorf("no offset row with polls")
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
	s := benchSettings{pageSize: 500, program: prog, extend: ext, geoipCity: "c.mmdb", geoipASN: "a.mmdb"}
	path, err := writeBenchConfig(dir, "http://127.0.0.1:1", "http://127.0.0.1:2", s, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if ev := cfg.Processors.Event; ev.ProgramFile != prog || ev.ExtendFile != ext {
		t.Errorf("event program %q, extension %q; want %q, %q", ev.ProgramFile, ev.ExtendFile, prog, ext)
	}
	if path, err = writeBenchConfig(dir, "http://127.0.0.1:1", "http://127.0.0.1:2", s, true); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err = loadConfig(path); err != nil || cfg.Processors.Event.ProgramFile != "" {
		t.Errorf("the unmapped pipeline got the event program: %v", err)
	}
}
