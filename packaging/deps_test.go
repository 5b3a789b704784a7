package packaging_test

import (
	"os/exec"
	"strings"
	"testing"
)

// thirdPartyTesting lists the dependencies whose non-test files import
// package testing, and so link it into akship whatever akship does:
// github.com/ua-parser/uap-go's uaparser (the user-agent parser) imports
// github.com/hashicorp/golang-lru v1.0.2, whose testing.go (a helper of its
// own tests, not named _test.go) imports testing.
var thirdPartyTesting = map[string]bool{"github.com/hashicorp/golang-lru": true}

// TestBinaryLinksNoTestCode: the akship binary (the module root's main
// package) depends on no test-only code of akship's: not net/http/httptest,
// not the GeoIP database writer the demo databases are generated with, no
// test-support package, and no package of akship's own that imports testing.
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
		case strings.Contains(" "+imports+" ", " testing ") && !thirdPartyTesting[pkg]:
			t.Errorf("the binary links testing through %s", pkg)
		}
	}
}
