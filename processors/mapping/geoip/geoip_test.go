package geoip

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sharedGeoIP returns <repo root>/../shared/geoip, skipping the test
// loudly when the shared reference folder is not beside the checkout.
func sharedGeoIP(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "geoip")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SKIPPED: shared reference data not found at %s (it sits beside the checkout): %v", dir, err)
	}
	return dir
}

func openTestDB(t *testing.T) *DB {
	t.Helper()
	dir := sharedGeoIP(t)
	db, err := Open(Config{
		CityDatabase: filepath.Join(dir, "GeoLite2-City-Test.mmdb"),
		ASNDatabase:  filepath.Join(dir, "GeoLite2-ASN-Test.mmdb"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestCity(t *testing.T) {
	db := openTestDB(t)
	london := map[string]any{
		"continent_name": "Europe", "country_iso_code": "GB", "country_name": "United Kingdom",
		"region_iso_code": "GB-ENG", "region_name": "England", "city_name": "London",
		"location": map[string]any{"lat": 51.5142, "lon": -0.0931},
	}
	tests := []struct {
		name string
		ip   string
		want map[string]any
	}{
		{"city with subdivision", "81.2.69.144", london},
		{"ipv4-mapped ipv6 looked up as ipv4", "::ffff:81.2.69.144", london},
		{"country only", "67.43.156.0", map[string]any{
			"continent_name": "Asia", "country_iso_code": "BT", "country_name": "Bhutan",
			"location": map[string]any{"lat": 27.5, "lon": 90.5},
		}},
		{"private address", "10.212.128.24", map[string]any{}},
		{"broadcast address", "255.255.255.255", map[string]any{}},
		{"not in database", "1.128.0.0", map[string]any{}},
		{"not an address", "not-an-ip", map[string]any{}},
		{"empty", "", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, db.City(tt.ip)); diff != "" {
				t.Errorf("City(%q) mismatch (-want +got):\n%s", tt.ip, diff)
			}
		})
	}
}

func TestASN(t *testing.T) {
	db := openTestDB(t)
	got := db.ASN("89.160.20.115")
	want := map[string]any{"number": int64(29518), "organization": map[string]any{"name": "Bredband2 AB"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ASN mismatch (-want +got):\n%s", diff)
	}
	if got := db.ASN("10.0.0.1"); len(got) != 0 {
		t.Errorf("ASN(private) = %v, want empty", got)
	}
}

func TestUnconfiguredFindsNothing(t *testing.T) {
	db, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := db.City("81.2.69.144"); len(got) != 0 {
		t.Errorf("City without database = %v", got)
	}
	if got := db.ASN("81.2.69.144"); len(got) != 0 {
		t.Errorf("ASN without database = %v", got)
	}
	var nilDB *DB
	if nilDB.HasCity() || nilDB.HasASN() {
		t.Error("nil DB claims databases")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := sharedGeoIP(t)
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{"missing file", Config{CityDatabase: filepath.Join(dir, "nope.mmdb")},
			[]string{"geoip.city_database", "nope.mmdb"}},
		{"corrupt file", Config{CityDatabase: filepath.Join(dir, "GeoIP2-City-Test-Broken-Double-Format.mmdb")},
			[]string{"geoip.city_database", "GeoIP2-City-Test-Broken-Double-Format.mmdb", "corrupt"}},
		{"asn database as city", Config{CityDatabase: filepath.Join(dir, "GeoLite2-ASN-Test.mmdb")},
			[]string{"geoip.city_database", "GeoLite2-ASN", "want a City database"}},
		{"city database as asn", Config{ASNDatabase: filepath.Join(dir, "GeoLite2-City-Test.mmdb")},
			[]string{"geoip.asn_database", "want a ASN database"}},
		{"not a database", Config{ASNDatabase: filepath.Join(dir, "README.md")},
			[]string{"geoip.asn_database", "README.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.cfg)
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestWriteDemoDatabases(t *testing.T) {
	city, asn, err := WriteDemoDatabases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(Config{CityDatabase: city, ASNDatabase: asn})
	if err != nil {
		t.Fatalf("reading the demo databases back failed: %v", err)
	}
	defer db.Close()
	tests := []struct {
		ip, country, city, region string
		asn                       int64
	}{
		{"81.2.69.160", "GB", "London", "GB-ENG", 20712},
		{"89.160.20.120", "SE", "Linköping", "SE-E", 29518},
		{"175.16.199.7", "CN", "Changchun", "CN-22", 4837},
		{"216.160.83.60", "US", "Milton", "US-WA", 209},
		{"67.43.156.9", "BT", "", "", 17660},
		{"2a02:cf40::1", "NO", "", "", 29695},
	}
	for _, tt := range tests {
		geo := db.City(tt.ip)
		if geo["country_iso_code"] != tt.country || str(geo["city_name"]) != tt.city ||
			str(geo["region_iso_code"]) != tt.region {
			t.Errorf("City(%s) = %v", tt.ip, geo)
		}
		if _, ok := geo["location"]; !ok {
			t.Errorf("City(%s) has no location", tt.ip)
		}
		if as := db.ASN(tt.ip); as["number"] != tt.asn {
			t.Errorf("ASN(%s) = %v, want number %d", tt.ip, as, tt.asn)
		}
	}
	if geo := db.City("8.8.8.8"); len(geo) != 0 {
		t.Errorf("City(8.8.8.8) = %v, want nothing outside the demo ranges", geo)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func BenchmarkCity(b *testing.B) {
	dir := sharedGeoIP(b)
	db, err := Open(Config{CityDatabase: filepath.Join(dir, "GeoLite2-City-Test.mmdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	for b.Loop() {
		db.City("81.2.69.144")
	}
}
