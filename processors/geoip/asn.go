package geoip

// asnRecord is a GeoLite2-ASN record.
type asnRecord struct {
	Number       uint32 `maxminddb:"autonomous_system_number"`
	Organization string `maxminddb:"autonomous_system_organization"`
}

// ASN returns the source.as fields for ip: number (int64) and
// organization.name, each left out when the record lacks it. Like City it
// returns a new, possibly empty, map and never fails.
func (db *DB) ASN(ip string) map[string]any {
	out := make(map[string]any, 2)
	if !db.HasASN() {
		return out
	}
	addr, ok := parse(ip)
	if !ok {
		return out
	}
	var rec asnRecord
	res := db.asn.Lookup(addr)
	if !res.Found() || res.Decode(&rec) != nil {
		return out
	}
	if rec.Number != 0 {
		out["number"] = int64(rec.Number)
	}
	if rec.Organization != "" {
		out["organization"] = map[string]any{"name": rec.Organization}
	}
	return out
}
