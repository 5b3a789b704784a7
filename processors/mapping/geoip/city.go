package geoip

import "akship/internal/jsonenc"

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

// cityFields is a City record reduced to what City returns, and the same
// as a JSON object (see AppendCity); it is what the cache keeps.
type cityFields struct {
	continent, countryISO, country, regionISO, region, city string
	lat, lon                                                float64
	hasLocation                                             bool
	json                                                    []byte
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
	f.json = f.appendJSON(make([]byte, 0, 256))
	return f
}

// appendJSON appends the fields as City's map encodes (keys sorted, empty
// ones left out), or nothing when there are none. It returns nil for a
// location that is not finite, which JSON cannot hold: the mapping then
// works from City's map, where such a value is reported.
func (f *cityFields) appendJSON(b []byte) []byte {
	o := jsonenc.StartObject(b)
	o.String("city_name", f.city)
	o.String("continent_name", f.continent)
	o.String("country_iso_code", f.countryISO)
	o.String("country_name", f.country)
	if f.hasLocation {
		var err1, err2 error
		o.Key("location")
		o.B = append(o.B, `{"lat":`...)
		o.B, err1 = jsonenc.AppendFloat(o.B, f.lat, 64)
		o.B = append(o.B, `,"lon":`...)
		o.B, err2 = jsonenc.AppendFloat(o.B, f.lon, 64)
		if err1 != nil || err2 != nil {
			return nil
		}
		o.B = append(o.B, '}')
	}
	o.String("region_iso_code", f.regionISO)
	o.String("region_name", f.region)
	return o.End()
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
	f, ok := db.cityFields(ip)
	if !ok {
		return out
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

// AppendCity appends City(ip) as a JSON object, keys sorted as akship's
// encoder sorts them, or nothing when City would return an empty map. The
// object is kept ready with the cached record, so a known network costs
// one lookup and a copy. ok is false, and nothing appended, for a record
// whose location JSON cannot hold (NaN, infinite): use City.
func (db *DB) AppendCity(b []byte, ip string) (_ []byte, ok bool) {
	f, found := db.cityFields(ip)
	switch {
	case !found:
		return b, true
	case f.json == nil:
		return b, false
	}
	return append(b, f.json...), true
}

// cityFields looks ip up; ok is false when nothing is found.
func (db *DB) cityFields(ip string) (cityFields, bool) {
	if !db.HasCity() {
		return cityFields{}, false
	}
	return lookup(db.city, db.cities, ip, (*cityRecord).fields)
}

func putString(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}
