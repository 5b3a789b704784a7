package mapping

// enriched is what the geoip, asn and user_agent functions return in
// compiled leaves: the lookup to make, not its result as a map. The
// writer appends the JSON the GeoIP and user-agent caches keep ready for
// it (keys sorted, empty values left out, as the writer would write the
// map); anything else that reads it gets the map.
type enriched struct {
	e    *enrichers
	kind enrichment
	s    string // the address or the user agent
}

// enrichment says which lookup an enriched value stands for.
type enrichment uint8

const (
	enrichCity enrichment = iota
	enrichASN
	enrichUserAgent
)

// materialise returns the lookup's map, as the CEL function gives it.
func (x *enriched) materialise() map[string]any {
	switch x.kind {
	case enrichCity:
		return x.e.geo.City(x.s)
	case enrichASN:
		return x.e.geo.ASN(x.s)
	}
	return x.e.ua.Parse(x.s).Fields()
}

// enrichedValue writes an enriched value; false when it is empty.
func (w *engWriter) enrichedValue(x *enriched) bool {
	mark := len(w.b)
	switch x.kind {
	case enrichCity:
		b, ok := x.e.geo.AppendCity(w.b, x.s)
		if !ok {
			return w.value(x.e.geo.City(x.s))
		}
		w.b = b
	case enrichASN:
		w.b = x.e.geo.AppendASN(w.b, x.s)
	default:
		w.b = x.e.ua.Parse(x.s).AppendJSON(w.b)
	}
	return len(w.b) > mark
}
