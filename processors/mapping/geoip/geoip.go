// Package geoip looks IP addresses up in MaxMind databases and returns the
// ECS fields Elasticsearch's geoip processor produces: source.geo.* from a
// City database and source.as.* from an ASN database.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

// DB holds the opened databases. A nil database (not configured) yields no
// fields. DB is safe for concurrent use; lookups never fail: an unknown,
// private or malformed address simply has no fields.
type DB struct {
	city *maxminddb.Reader
	asn  *maxminddb.Reader
	// cities keeps decoded City records by their offset in the database,
	// which every address of the same network shares: decoding a record
	// costs most of a lookup, and the same networks come back all the time.
	cities *lru.Cache[uintptr, cityFields]
	// networks does the same for ASN records.
	networks *lru.Cache[uintptr, asnFields]
}

// recordCacheSize bounds the decoded records of each database kept in
// memory.
const recordCacheSize = 4096

// Open opens and verifies the databases named in cfg. A missing, corrupt or
// wrong-kind file is an error naming the file and its configuration key.
// With both paths empty it returns a DB that finds nothing.
func Open(cfg Config) (*DB, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cities, err := lru.New[uintptr, cityFields](recordCacheSize)
	if err != nil {
		return nil, err
	}
	networks, err := lru.New[uintptr, asnFields](recordCacheSize)
	if err != nil {
		return nil, err
	}
	db := &DB{cities: cities, networks: networks}
	if cfg.CityDatabase != "" {
		db.city, err = openVerified(cfg.CityDatabase, "city_database", "City", "Enterprise")
		if err != nil {
			return nil, err
		}
	}
	if cfg.ASNDatabase != "" {
		db.asn, err = openVerified(cfg.ASNDatabase, "asn_database", "ASN", "ISP")
		if err != nil {
			// Not errors.Join(err, db.Close()): callers prefix the key
			// ("processors." + err), and config.Errors flattens a wrapped
			// join into its parts, which dropped the prefix.
			_ = db.Close()
			return nil, err
		}
	}
	return db, nil
}

// openVerified opens path and runs the library's full verifier: opening
// alone only reads the metadata, so a corrupt data section would otherwise
// surface later as lookup errors on live traffic.
func openVerified(path, key string, kinds ...string) (*maxminddb.Reader, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip.%s: opening %s failed: %w", key, path, err)
	}
	if err := r.Verify(); err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("geoip.%s: %s is corrupt: %w", key, path, err)
	}
	dbType := r.Metadata.DatabaseType
	for _, k := range kinds {
		if strings.Contains(dbType, k) {
			return r, nil
		}
	}
	_ = r.Close()
	return nil, fmt.Errorf("geoip.%s: %s is a %q database, want a %s database", key, path, dbType, kinds[0])
}

// Close releases the databases. Lookups after Close find nothing.
func (db *DB) Close() error {
	var errs []error
	if db.city != nil {
		errs = append(errs, db.city.Close())
	}
	if db.asn != nil {
		errs = append(errs, db.asn.Close())
	}
	return errors.Join(errs...)
}

// HasCity reports whether a City database is open.
func (db *DB) HasCity() bool { return db != nil && db.city != nil }

// HasASN reports whether an ASN database is open.
func (db *DB) HasASN() bool { return db != nil && db.asn != nil }

// parse turns the text of an address into the address to look up: an
// IPv4-mapped IPv6 address is looked up as its IPv4 address, as
// Elasticsearch does. ok is false for text that is not an address.
func parse(ip string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// lookup looks ip up in r and returns its record's fields, as fields
// makes them from the decoded record R, from cache when the record (by its
// offset, which every address of a network shares) was seen before. ok is
// false when ip is not an address, is not in r, or its record does not
// decode.
func lookup[R, F any](r *maxminddb.Reader, cache *lru.Cache[uintptr, F], ip string, fields func(*R) F) (_ F, ok bool) {
	var none F
	addr, ok := parse(ip)
	if !ok {
		return none, false
	}
	res := r.Lookup(addr)
	if !res.Found() {
		return none, false
	}
	f, ok := cache.Get(res.Offset())
	if !ok {
		var rec R
		if res.Decode(&rec) != nil {
			return none, false
		}
		f = fields(&rec)
		cache.Add(res.Offset(), f)
	}
	return f, true
}
