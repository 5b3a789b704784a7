package geoip

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

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

// WriteDemoDatabases writes a small City and a small ASN database covering
// the simulator's address ranges into dir (created if needed) and returns
// their paths. The demo uses them so it needs no MaxMind download.
func WriteDemoDatabases(dir string) (city, asn string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("creating %s failed: %w", dir, err)
	}
	city = filepath.Join(dir, "akship-demo-City.mmdb")
	asn = filepath.Join(dir, "akship-demo-ASN.mmdb")
	if err := writeDemo(city, "GeoLite2-City", cityData); err != nil {
		return "", "", err
	}
	if err := writeDemo(asn, "GeoLite2-ASN", asnData); err != nil {
		return "", "", err
	}
	return city, asn, nil
}

func writeDemo(path, dbType string, data func(demoNetwork) mmdbtype.Map) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		Description:  map[string]string{"en": "akship demo database for the simulator's address ranges"},
		Languages:    []string{"en"},
		RecordSize:   24,
	})
	if err != nil {
		return fmt.Errorf("creating %s failed: %w", dbType, err)
	}
	for _, n := range demoNetworks {
		_, network, err := net.ParseCIDR(n.cidr)
		if err != nil {
			return fmt.Errorf("demo network %s: %w", n.cidr, err)
		}
		if err := tree.Insert(network, data(n)); err != nil {
			return fmt.Errorf("inserting %s into %s failed: %w", n.cidr, dbType, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s failed: %w", path, err)
	}
	_, err = tree.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(fmt.Errorf("writing %s failed: %w", path, err), os.Remove(path))
	}
	return nil
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
