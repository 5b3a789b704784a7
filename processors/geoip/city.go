package geoip

// cityRecord is the part of a GeoIP2/GeoLite2 City record the reference
// reads. Only English names are decoded.
type cityRecord struct {
	City struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
}

// City returns the source.geo fields for ip, exactly the default
// properties of Elasticsearch's geoip processor: continent_name,
// country_iso_code, country_name, region_iso_code, region_name, city_name
// and location{lat,lon}. Properties the record lacks are left out; the
// region comes from the most specific (last) subdivision and its ISO code
// is the country's ISO code, "-", the subdivision's. The result is a new
// map the caller owns; it is empty when the address is unknown, private,
// not an address, or no City database is open.
func (db *DB) City(ip string) map[string]any {
	out := map[string]any{}
	if !db.HasCity() {
		return out
	}
	addr, ok := parse(ip)
	if !ok {
		return out
	}
	var rec cityRecord
	res := db.city.Lookup(addr)
	if !res.Found() || res.Decode(&rec) != nil {
		return out
	}
	putString(out, "continent_name", rec.Continent.Names.EN)
	putString(out, "country_iso_code", rec.Country.ISOCode)
	putString(out, "country_name", rec.Country.Names.EN)
	if n := len(rec.Subdivisions); n > 0 {
		sub := rec.Subdivisions[n-1]
		if rec.Country.ISOCode != "" && sub.ISOCode != "" {
			out["region_iso_code"] = rec.Country.ISOCode + "-" + sub.ISOCode
		}
		putString(out, "region_name", sub.Names.EN)
	}
	putString(out, "city_name", rec.City.Names.EN)
	if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
		out["location"] = map[string]any{"lat": *rec.Location.Latitude, "lon": *rec.Location.Longitude}
	}
	return out
}

func putString(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}
