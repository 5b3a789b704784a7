// Package packaging_test checks the release build and the files that
// package akship (Dockerfile, build.sh, the systemd unit). It is a package
// of its own so that the release build, which compiles everything again
// with -trimpath, does not count against the main package's test timeout.
package packaging_test

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReleaseBuild builds the release binary the way the Dockerfile does
// (packaging/build.sh; no Docker engine is needed) and checks what the
// build promises: a static executable, the version and commit stamped,
// no path of the build machine inside.
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("a full release build (about a minute) is skipped in -short mode")
	}
	checkDockerfile(t)
	bin := filepath.Join(t.TempDir(), "akship")
	cmd := exec.Command("sh", "packaging/build.sh", bin)
	cmd.Dir = ".." // the repository
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-packaging-test", "COMMIT=c0ffee1234")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("packaging/build.sh: %v\n%s", err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (program header %v)", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries: %v", libs)
	}
	if f.Section(".symtab") != nil || f.Section(".debug_info") != nil {
		t.Error("the binary is not stripped (-s -w)")
	}

	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "akship v0.0.0-packaging-test\ncommit c0ffee1234\n") {
		t.Errorf("--version: %q, %v", out, err)
	}

	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := filepath.Abs("..")
	// With -trimpath, go leaves -ldflags out of the build information; the
	// stamped version is checked through --version above.
	for _, want := range []string{"build\t-trimpath=true", "build\tCGO_ENABLED=0"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, info)
		}
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(info), wd) || strings.Contains(string(data), wd) {
		t.Errorf("the binary holds the build directory %s (-trimpath)", wd)
	}
	verifyUnit(t, bin)
}

// checkDockerfile checks that the image builds with packaging/build.sh,
// runs as a non-root user, keeps the state in a volume and checks its
// health with akship itself (the image has no curl).
func checkDockerfile(t *testing.T) {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	text := strings.Join(lines, "\n")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^RUN .*sh packaging/build\.sh /out/akship`),
		regexp.MustCompile(`(?m)^USER 65532:65532$`),
		regexp.MustCompile(`(?m)^VOLUME \["/var/lib/akship"\]$`),
		regexp.MustCompile(`(?m)^\s*CMD \["/usr/local/bin/akship", "healthcheck", "-c", "/etc/akship/akship.yml"\]$`),
	} {
		if !want.MatchString(text) {
			t.Errorf("the Dockerfile has no line matching %s", want)
		}
	}
	if strings.Contains(text, "go build") {
		t.Error("the Dockerfile runs go build itself; it must build with packaging/build.sh")
	}
}

// verifyUnit runs systemd-analyze verify on packaging/akship.service with
// the binary just built, when systemd-analyze is installed.
func verifyUnit(t *testing.T, bin string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: packaging/akship.service not verified")
		return
	}
	unit, err := os.ReadFile("akship.service")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/akship", bin)
	text = strings.ReplaceAll(text, "EnvironmentFile=/", "EnvironmentFile=-/") // absent here
	p := filepath.Join(t.TempDir(), "akship.service")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", p).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
