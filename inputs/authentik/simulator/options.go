package simulator

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Defaults used by RegisterFlags and, for zero values, by New.
const (
	DefaultToken     = "akship-demo-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	DefaultEvents    = 10000
	DefaultUsers     = 200
	DefaultGroups    = 20
	DefaultSeed      = 1
	DefaultSlowDelay = 3 * time.Second
	DefaultVersion   = "2026.8"
)

// Options configures a Simulator. The zero value of a field selects its
// default where noted; New rejects invalid values.
type Options struct {
	// Token is the API token accepted as "Authorization: Bearer <token>".
	// Required.
	Token string
	// Events is the number of events generated at start (≥ 0).
	Events int
	// Users is the number of listed users (≥ 1; pk 1 is akadmin). Zero
	// selects DefaultUsers.
	Users int
	// Groups is the number of groups (≥ 1; the first is "authentik
	// Admins"). Zero selects DefaultGroups.
	Groups int
	// Seed makes all generated data and fault choices reproducible: the same
	// seed, counts and clock give byte-identical responses.
	Seed int64
	// InsertRate is the number of events per second Run inserts with
	// created = now. Zero disables live inserts.
	InsertRate float64
	// ExpireRate is the number of oldest events per second Run deletes.
	// Zero disables expiry.
	ExpireRate float64
	// InsertSkew, when positive, stamps live inserts with now − random[0,
	// skew) to emulate app servers with skewed clocks writing late rows.
	InsertSkew time.Duration
	// Faults is the fraction in [0, 1] of API requests that fail (500, 429,
	// slow, truncated body, in equal shares).
	Faults float64
	// SlowDelay is how long a slow fault stalls. Zero selects
	// DefaultSlowDelay.
	SlowDelay time.Duration
	// Version selects the emulated authentik release, one of Versions as
	// "YEAR.MONTH[.PATCH]" (README: what each changes). Empty selects
	// DefaultVersion, the newest.
	Version string
	// License is "enterprise" or "none" (empty): on 2025.8–2026.4 the query
	// language works only with an enterprise licence.
	License string
	// DefaultPageSize and MaxPageSize override the release's
	// pagination_default_page_size / pagination_max_page_size tenant
	// settings (2026.2+: 20 and 100; before: 100 and no maximum). Zero keeps
	// the release's own.
	DefaultPageSize, MaxPageSize int
	// MaskPattern is the regular expression (matched case-insensitively as a
	// substring of keys) for context values masked at write time. Empty
	// selects DefaultMaskPattern (Django 4.x).
	MaskPattern string
	// Now is the clock. Nil selects time.Now.
	Now func() time.Time
}

// RegisterFlags registers the simulator's command-line flags on fs, with
// the defaults the demo uses. The caller owns --listen.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Token, "token", DefaultToken, "API token clients must send as Bearer")
	fs.IntVar(&o.Events, "events", DefaultEvents, "number of events generated at start")
	fs.IntVar(&o.Users, "users", DefaultUsers, "number of users (pk 1 is akadmin)")
	fs.IntVar(&o.Groups, "groups", DefaultGroups, "number of groups")
	fs.Int64Var(&o.Seed, "seed", DefaultSeed, "seed for generated data and faults")
	fs.Float64Var(&o.InsertRate, "insert-rate", 0, "live inserts per second (0 = none)")
	fs.Float64Var(&o.ExpireRate, "expire-rate", 0, "oldest events deleted per second (0 = none)")
	fs.DurationVar(&o.InsertSkew, "insert-skew", 0, "stamp live inserts up to this much in the past (late rows)")
	fs.Float64Var(&o.Faults, "faults", 0, "fraction of API requests that fail, 0..1")
	fs.DurationVar(&o.SlowDelay, "slow-delay", DefaultSlowDelay, "stall of a slow-response fault")
	fs.StringVar(&o.Version, "authentik-version", DefaultVersion,
		"emulated authentik release: "+strings.Join(Versions, ", "))
	fs.StringVar(&o.License, "license", LicenseNone, "authentik licence: none or enterprise (query language on 2025.8–2026.4)")
	fs.IntVar(&o.DefaultPageSize, "pagination-default-page-size", 0,
		"page size without page_size (0 = the release's: 20 from 2026.2, else 100)")
	fs.IntVar(&o.MaxPageSize, "pagination-max-page-size", 0,
		"largest page size served, larger ones silently cut (0 = the release's: 100 from 2026.2, else none)")
	fs.StringVar(&o.MaskPattern, "mask-pattern", DefaultMaskPattern, "regexp of context keys masked at write time")
}

// withDefaults returns o with zero values replaced by defaults.
func (o Options) withDefaults() Options {
	if o.Users == 0 {
		o.Users = DefaultUsers
	}
	if o.Groups == 0 {
		o.Groups = DefaultGroups
	}
	if o.SlowDelay == 0 {
		o.SlowDelay = DefaultSlowDelay
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.License == "" {
		o.License = LicenseNone
	}
	if o.MaskPattern == "" {
		o.MaskPattern = DefaultMaskPattern
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// validate reports every invalid option, naming the flag.
func (o Options) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(o.Token) == "" || strings.ContainsAny(o.Token, " \t\r\n") {
		bad("token: must be non-empty and contain no whitespace")
	}
	if o.Events < 0 {
		bad("events: must be ≥ 0, got %d", o.Events)
	}
	if o.Users < 1 {
		bad("users: must be ≥ 1 (akadmin), got %d", o.Users)
	}
	if o.Groups < 1 {
		bad("groups: must be ≥ 1 (authentik Admins), got %d", o.Groups)
	}
	if !finiteNonNegative(o.InsertRate) {
		bad("insert-rate: must be a finite number ≥ 0, got %v", o.InsertRate)
	}
	if !finiteNonNegative(o.ExpireRate) {
		bad("expire-rate: must be a finite number ≥ 0, got %v", o.ExpireRate)
	}
	if o.InsertSkew < 0 {
		bad("insert-skew: must be ≥ 0, got %v", o.InsertSkew)
	}
	if !(o.Faults >= 0 && o.Faults <= 1) {
		bad("faults: must be within [0, 1], got %v", o.Faults)
	}
	if o.SlowDelay < 0 {
		bad("slow-delay: must be ≥ 0, got %v", o.SlowDelay)
	}
	if o.DefaultPageSize < 0 || o.MaxPageSize < 0 {
		bad("pagination-default-page-size, pagination-max-page-size: must be ≥ 0, got %d and %d",
			o.DefaultPageSize, o.MaxPageSize)
	}
	if _, err := newProfile(o.Version, o.License, o.DefaultPageSize, o.MaxPageSize); err != nil {
		bad("authentik-version: %w", err)
	}
	if _, err := newMasker(o.MaskPattern); err != nil {
		bad("mask-pattern: %w", err)
	}
	return errors.Join(errs...)
}

func finiteNonNegative(f float64) bool { return f >= 0 && !math.IsInf(f, 0) }

// parseVersion turns "2025.8" or "2025.8.1" into 202508.
func parseVersion(v string) (int, error) {
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("want YEAR.MONTH[.PATCH] like %q, got %q", DefaultVersion, v)
	}
	year, err1 := strconv.Atoi(parts[0])
	month, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || year < 2000 || month < 1 || month > 12 {
		return 0, fmt.Errorf("want YEAR.MONTH[.PATCH] like %q, got %q", DefaultVersion, v)
	}
	return year*100 + month, nil
}
