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

// cityFields is a City record reduced to what City returns; it is what
// the cache keeps.
type cityFields struct {
	continent, countryISO, country, regionISO, region, city string
	lat, lon                                                float64
	hasLocation                                             bool
}

func (rec *cityRecord) fields() cityFields {
	f := cityFields{
		continent:  rec.Continent.Names.EN,
		countryISO: rec.Country.ISOCode,
		country:    rec.Country.Names.EN,
		city:       rec.City.Names.EN,
	}
	if n := len(rec.Subdivisions); n > 0 {
		sub := rec.Subdivisions[n-1]
		if rec.Country.ISOCode != "" && sub.ISOCode != "" {
			f.regionISO = rec.Country.ISOCode + "-" + sub.ISOCode
		}
		f.region = sub.Names.EN
	}
	if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
		f.lat, f.lon, f.hasLocation = *rec.Location.Latitude, *rec.Location.Longitude, true
	}
	return f
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
	out := make(map[string]any, 7)
	if !db.HasCity() {
		return out
	}
	addr, ok := parse(ip)
	if !ok {
		return out
	}
	res := db.city.Lookup(addr)
	if !res.Found() {
		return out
	}
	f, ok := db.cities.Get(res.Offset())
	if !ok {
		var rec cityRecord
		if res.Decode(&rec) != nil {
			return out
		}
		f = rec.fields()
		db.cities.Add(res.Offset(), f)
	}
	putString(out, "continent_name", f.continent)
	putString(out, "country_iso_code", f.countryISO)
	putString(out, "country_name", f.country)
	putString(out, "region_iso_code", f.regionISO)
	putString(out, "region_name", f.region)
	putString(out, "city_name", f.city)
	if f.hasLocation {
		out["location"] = map[string]any{"lat": f.lat, "lon": f.lon}
	}
	return out
}

func putString(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}
