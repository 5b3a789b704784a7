package geoip

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// This file is the generator of the demo databases embedded by demo.go
// (demodb/*.mmdb). It is a test file so that mmdbwriter stays out of the
// akship binary. After changing demoNetworks, regenerate the files with
//
//	go generate ./processors/mapping/geoip/
//
// (go test -run TestDemoDatabasesAreGenerated -update .); the test fails
// while the embedded files differ from what the generator produces.

var update = flag.Bool("update", false, "rewrite demodb/*.mmdb from the generator")

// demoBuildEpoch is the build time recorded in the demo databases'
// metadata: fixed, so that generating them twice gives the same bytes.
const demoBuildEpoch = 1767225600 // 2026-01-01T00:00:00Z

// demoNetwork is one address range of the simulator with where it is and
// who announces it, close to the real-world data for those ranges.
type demoNetwork struct {
	cidr      string
	continent [2]string // code, English name
	country   [2]string // ISO code, English name
	region    [2]string // subdivision ISO code, English name; empty = none
	city      string
	lat, lon  float64
	asn       uint32
	org       string
}

var demoNetworks = []demoNetwork{
	{"81.2.69.0/24", [2]string{"EU", "Europe"}, [2]string{"GB", "United Kingdom"},
		[2]string{"ENG", "England"}, "London", 51.5142, -0.0931, 20712, "Andrews & Arnold Ltd"},
	{"89.160.20.112/28", [2]string{"EU", "Europe"}, [2]string{"SE", "Sweden"},
		[2]string{"E", "Östergötland County"}, "Linköping", 58.4167, 15.6167, 29518, "Bredband2 AB"},
	{"175.16.199.0/24", [2]string{"AS", "Asia"}, [2]string{"CN", "China"},
		[2]string{"22", "Jilin Sheng"}, "Changchun", 43.88, 125.3228, 4837, "CHINA UNICOM China169 Backbone"},
	{"216.160.83.56/29", [2]string{"NA", "North America"}, [2]string{"US", "United States"},
		[2]string{"WA", "Washington"}, "Milton", 47.2513, -122.3149, 209, "Qwest Communications Company, LLC"},
	{"67.43.156.0/24", [2]string{"AS", "Asia"}, [2]string{"BT", "Bhutan"},
		[2]string{}, "", 27.5, 90.5, 17660, "DrukNet ISP"},
	{"2a02:cf40::/29", [2]string{"EU", "Europe"}, [2]string{"NO", "Norway"},
		[2]string{}, "", 62.0, 10.0, 29695, "Altibox AS"},
}

// TestDemoDatabasesAreGenerated: the embedded demo databases are exactly
// what the generator below produces from demoNetworks; with -update it
// writes them.
func TestDemoDatabasesAreGenerated(t *testing.T) {
	for name, data := range map[string]func(demoNetwork) mmdbtype.Map{demoCityFile: cityData, demoASNFile: asnData} {
		dbType := "GeoLite2-City"
		if name == demoASNFile {
			dbType = "GeoLite2-ASN"
		}
		want, err := generateDemo(dbType, data)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("demodb", name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := demoDatabases.ReadFile("demodb/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) && !*update {
			t.Errorf("%s differs from what the generator produces (%d bytes, generated %d): run go generate ./processors/mapping/geoip/",
				path, len(got), len(want))
		}
	}
}

// generateDemo builds the database of type dbType over demoNetworks.
func generateDemo(dbType string, data func(demoNetwork) mmdbtype.Map) ([]byte, error) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		BuildEpoch:   demoBuildEpoch,
		DatabaseType: dbType,
		Description:  map[string]string{"en": "akship demo database for the simulator's address ranges"},
		Languages:    []string{"en"},
		RecordSize:   24,
	})
	if err != nil {
		return nil, fmt.Errorf("creating %s failed: %w", dbType, err)
	}
	for _, n := range demoNetworks {
		_, network, err := net.ParseCIDR(n.cidr)
		if err != nil {
			return nil, fmt.Errorf("demo network %s: %w", n.cidr, err)
		}
		if err := tree.Insert(network, data(n)); err != nil {
			return nil, fmt.Errorf("inserting %s into %s failed: %w", n.cidr, dbType, err)
		}
	}
	var b bytes.Buffer
	if _, err := tree.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en)}
}

func cityData(n demoNetwork) mmdbtype.Map {
	rec := mmdbtype.Map{
		"continent": mmdbtype.Map{"code": mmdbtype.String(n.continent[0]), "names": names(n.continent[1])},
		"country":   mmdbtype.Map{"iso_code": mmdbtype.String(n.country[0]), "names": names(n.country[1])},
		"location": mmdbtype.Map{
			"latitude":        mmdbtype.Float64(n.lat),
			"longitude":       mmdbtype.Float64(n.lon),
			"accuracy_radius": mmdbtype.Uint16(100),
		},
	}
	if n.region[0] != "" {
		rec["subdivisions"] = mmdbtype.Slice{
			mmdbtype.Map{"iso_code": mmdbtype.String(n.region[0]), "names": names(n.region[1])},
		}
	}
	if n.city != "" {
		rec["city"] = mmdbtype.Map{"names": names(n.city)}
	}
	return rec
}

func asnData(n demoNetwork) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n.asn),
		"autonomous_system_organization": mmdbtype.String(n.org),
	}
}
