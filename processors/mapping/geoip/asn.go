package geoip

import "akship/internal/jsonenc"

// asnRecord is a GeoLite2-ASN record.
type asnRecord struct {
	Number       uint32 `maxminddb:"autonomous_system_number"`
	Organization string `maxminddb:"autonomous_system_organization"`
}

// asnFields is an ASN record as ASN returns it and as a JSON object (see
// AppendASN); it is what the cache keeps.
type asnFields struct {
	number int64
	org    string
	json   []byte
}

func (rec *asnRecord) fields() asnFields {
	f := asnFields{number: int64(rec.Number), org: rec.Organization}
	o := jsonenc.StartObject(make([]byte, 0, 64))
	if f.number != 0 {
		o.Key("number")
		o.B = jsonenc.AppendInt(o.B, f.number)
	}
	if f.org != "" {
		o.Key("organization")
		o.B = append(o.B, `{"name":`...)
		o.B = jsonenc.AppendString(o.B, f.org)
		o.B = append(o.B, '}')
	}
	f.json = o.End()
	return f
}

// ASN returns the source.as fields for ip: number (int64) and
// organization.name, each left out when the record lacks it. Like City it
// returns a new, possibly empty, map and never fails.
func (db *DB) ASN(ip string) map[string]any {
	out := make(map[string]any, 2)
	f, ok := db.asnFields(ip)
	if !ok {
		return out
	}
	if f.number != 0 {
		out["number"] = f.number
	}
	if f.org != "" {
		out["organization"] = map[string]any{"name": f.org}
	}
	return out
}

// AppendASN appends ASN(ip) as a JSON object, keys sorted as akship's
// encoder sorts them, or nothing when ASN would return an empty map; like
// AppendCity, from a cache of ready objects.
func (db *DB) AppendASN(b []byte, ip string) []byte {
	if f, ok := db.asnFields(ip); ok {
		return append(b, f.json...)
	}
	return b
}

// asnFields looks ip up; ok is false when nothing is found.
func (db *DB) asnFields(ip string) (asnFields, bool) {
	if !db.HasASN() {
		return asnFields{}, false
	}
	return lookup(db.asn, db.networks, ip, (*asnRecord).fields)
}
