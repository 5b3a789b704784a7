package reliability_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"akship/inputs/authentik/simulator"
)

// TestCorruptStateFile damages a state file in several ways. akship run
// must exit non-zero naming the file, leave the file exactly as it was,
// and collect nothing (no silent restart from scratch: the simulator sees
// no request for the damaged input).
func TestCorruptStateFile(t *testing.T) {
	skipShort(t)
	t.Parallel() // not timing-sensitive: overlaps with the other quick tests
	sim := startSim(t, simulator.Options{Events: 500, Users: 10, Groups: 3, Seed: 3})
	es := startES(t)
	e := newEnv(t)
	path := baseConfig(sim.URL, es.URL, e.state).set("inputs.events.page_size", 100).write(t, e.dir)
	if code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", path); code != 0 {
		t.Fatalf("the first run exited %d:\n%s", code, tail(stderr, 20))
	}
	good := map[string][]byte{}
	for _, name := range []string{"events", "users"} {
		b, err := os.ReadFile(filepath.Join(e.state, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		good[name] = b
	}
	tests := []struct {
		name, file string
		data       []byte
	}{
		{"garbage", "events", []byte("{this is not json\n")},
		{"truncated", "events", good["events"][:len(good["events"])/2]},
		{"empty", "events", nil},
		{"null cursor", "events", []byte(`{"version":1,"name":"events","cursor":null}`)},
		{"cursor of the wrong type", "events", []byte(`{"version":1,"name":"events","cursor":{"watermark":42}}`)},
		{"another input's file", "events", good["users"]},
		{"newer format", "events", []byte(strings.Replace(string(good["events"]), `"version":1`, `"version":99`, 1))},
		{"users truncated", "users", good["users"][:len(good["users"])/2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(e.state, tt.file+".json")
			if err := os.WriteFile(file, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.Chtimes(file, old, old); err != nil {
				t.Fatal(err)
			}
			before, docs := sim.sim.Stats().Requests, es.Count("logs-authentik.*")
			code, stderr := runAkship(t, time.Minute, e.vars, "run", "--once", "-c", path)
			if code == 0 {
				t.Fatalf("run --once accepted a damaged %s:\n%s", file, tail(stderr, 10))
			}
			if !strings.Contains(stderr, file) {
				t.Errorf("the error does not name %s:\n%s", file, tail(stderr, 10))
			}
			b, err := os.ReadFile(file)
			st, _ := os.Stat(file)
			if err != nil || string(b) != string(tt.data) || !st.ModTime().Equal(old) {
				t.Errorf("the damaged file was changed (err %v, %d bytes, modified %v)", err, len(b), st.ModTime())
			}
			after := sim.sim.Stats().Requests
			if after.Events != before.Events || after.Users != before.Users || after.Groups != before.Groups {
				t.Errorf("akship collected with a damaged state file: requests %+v, before %+v", after, before)
			}
			if n := es.Count("logs-authentik.*"); n != docs {
				t.Errorf("%d new documents shipped", n-docs)
			}
			// Put the good file back for the next case.
			if err := os.WriteFile(file, good[tt.file], 0o600); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStateDirNotWritable: a state directory that cannot be created or
// written is a clear error at start, naming it, before anything is read.
// Tests run as root, for whom permissions do not stop writes: use a path
// below a regular file, and a read-only mount (root) or a read-only mode
// (other users).
func TestStateDirNotWritable(t *testing.T) {
	skipShort(t)
	t.Parallel() // not timing-sensitive: overlaps with the other quick tests
	sim := startSim(t, simulator.Options{Events: 300, Users: 5, Groups: 2, Seed: 4})
	es := startES(t)
	e := newEnv(t)
	regular := filepath.Join(e.dir, "a-file")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, state string, want ...string) {
		t.Helper()
		path := baseConfig(sim.URL, es.URL, state).write(t, t.TempDir())
		before := sim.sim.Stats().Requests.Events
		code, stderr := runAkship(t, time.Minute, e.vars, "run", "--once", "-c", path)
		if code == 0 {
			t.Fatalf("run --once started with an unusable state directory %s", state)
		}
		for _, w := range append(want, state, path+":") {
			if !strings.Contains(stderr, w) {
				t.Errorf("the error does not mention %q:\n%s", w, tail(stderr, 10))
			}
		}
		if n := sim.sim.Stats().Requests.Events; n != before {
			t.Errorf("akship read %d pages before noticing", n-before)
		}
	}
	t.Run("below a regular file", func(t *testing.T) {
		check(t, filepath.Join(regular, "state"), "not a directory")
	})
	t.Run("read-only", func(t *testing.T) {
		dir := filepath.Join(e.dir, "ro")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		want := "read-only file system"
		if os.Geteuid() == 0 {
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Skipf("cannot mount a read-only tmpfs here: %v %s", err, out)
			}
			t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
		} else {
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			want = "permission denied"
		}
		check(t, dir, want)
	})
}

// TestStateDiskFull fills the file system of the state directory during a
// run: every save of a cursor fails. The run must end non-zero with the
// reason, keep the old cursor (no half-written file), and, once there is
// space again, the next run delivers everything exactly once.
func TestStateDiskFull(t *testing.T) {
	skipShort(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	sim := startSim(t, simulator.Options{Events: 3000, Users: 10, Groups: 3, Seed: 8})
	truth := readTruth(t, sim.sim, testToken)
	es := startES(t)
	e := newEnv(t)
	mnt := filepath.Join(e.dir, "small")
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	state := filepath.Join(mnt, "state")
	path := baseConfig(sim.URL, es.URL, state).set("inputs.events.page_size", 200).
		set("pipeline.dead_letter_path", filepath.Join(e.dir, "dlq.ndjson")).write(t, e.dir)
	// Fill the file system: creating an empty file still works (the
	// start-up probe passes), writing a cursor does not.
	filler := filepath.Join(mnt, "filler")
	_ = exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=4k").Run()
	watch := watchCursors(t, state, truth, es)
	code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", path)
	if testing.Verbose() {
		t.Logf("the run on a full disk:\n%s", tail(stderr, 8))
	}
	if code == 0 {
		t.Errorf("run --once succeeded although no cursor could be saved:\n%s", tail(stderr, 10))
	}
	for _, w := range []string{"no space left on device", filepath.Join(state, "events.json")} {
		if !strings.Contains(stderr, w) {
			t.Errorf("the log does not mention %q:\n%s", w, tail(stderr, 10))
		}
	}
	if _, err := os.Stat(filepath.Join(state, "events.json")); err == nil {
		t.Errorf("a cursor was saved on a full disk")
	}
	delivered := es.Count(eventStream)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, stderr := runAkship(t, 2*time.Minute, e.vars, "run", "--once", "-c", path); code != 0 {
		t.Fatalf("the run after freeing space exited %d:\n%s", code, tail(stderr, 20))
	}
	watch.finish(t)
	checkExactlyOnce(t, es, truth.byCreated, true)
	t.Logf("FIGURES state-disk-full: first run delivered %d of %d events without saving a cursor (exit %d); "+
		"after freeing space the rerun replayed them: %d absorbed as 409, 0 lost",
		delivered, len(truth.byCreated), code, es.Stats().Duplicates)
}
