package packaging_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestCode: the akship binary (the module root's main
// package) depends on no test-only code of akship's: not net/http/httptest,
// not package testing itself, not the GeoIP database writer the demo
// databases are generated with, no test-support package. (go.mod pins
// github.com/hashicorp/golang-lru, which uap-go's parser uses, to v0.5.4:
// from v0.6.0 on it has a non-test testing.go importing testing.)
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "..").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		switch {
		case pkg == "net/http/httptest", strings.Contains(pkg, "mmdbwriter"),
			strings.HasSuffix(pkg, "test") && strings.HasPrefix(pkg, "akship/"):
			t.Errorf("the binary links %s", pkg)
		case pkg == "testing":
			t.Errorf("the binary links package testing")
		case strings.Contains(" "+imports+" ", " testing "):
			t.Errorf("the binary links testing through %s", pkg)
		}
	}
}
