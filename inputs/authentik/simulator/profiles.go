package simulator

import (
	"fmt"
	"slices"
	"strings"
)

// Versions are the authentik releases the simulator emulates, oldest first;
// the last is the default. Each differs from the one before in what a
// poller can notice (shared/spec/authentik-api.md §10 and §14).
var Versions = []string{"2025.2", "2025.8", "2026.2", "2026.5", "2026.8"}

// Licences accepted by Options.License.
const (
	LicenseNone       = "none"
	LicenseEnterprise = "enterprise"
)

// profile is what one emulated release does differently.
type profile struct {
	// ql: search is parsed by the query language (DjangoQL on 2025.8–2026.4
	// with an enterprise licence, AKQL from 2026.5), falling back to plain
	// search when it does not parse.
	ql bool
	// autocomplete lists carry "autocomplete": {} — events and users from
	// 2025.8, every list (groups too) from 2026.2.
	autocompleteEvents, autocompleteGroups bool
	// eventsFilters2026: the exact, repeatable `actions` filter, and
	// `username` matching context.username too.
	eventsFilters2026 bool
	// defaultPage and maxPage are pagination_default_page_size and
	// pagination_max_page_size (maxPage 0: no maximum, as before 2026.2).
	defaultPage, maxPage int
	// actions added by this release and the ones before it.
	extraActions []*actionKind
}

// newProfile builds the profile of a YEAR.MONTH[.PATCH] version with the
// given licence and pagination overrides (0 keeps the release's own).
func newProfile(version, license string, defaultPage, maxPage int) (profile, error) {
	num, err := parseVersion(version)
	if err != nil {
		return profile{}, err
	}
	short := fmt.Sprintf("%d.%d", num/100, num%100)
	if !slices.Contains(Versions, short) {
		return profile{}, fmt.Errorf("want one of %s, got %q", strings.Join(Versions, ", "), version)
	}
	switch license {
	case LicenseNone, LicenseEnterprise:
	default:
		return profile{}, fmt.Errorf("license: want %q or %q, got %q", LicenseNone, LicenseEnterprise, license)
	}
	p := profile{defaultPage: 100}
	p.ql = num >= 202605 || (num >= 202508 && license == LicenseEnterprise)
	p.autocompleteEvents = num >= 202508
	if num >= 202602 {
		p.autocompleteGroups, p.eventsFilters2026 = true, true
		p.defaultPage, p.maxPage = 20, 100
		p.extraActions = append(p.extraActions, actions2026x2()...)
	}
	if num >= 202608 {
		p.extraActions = append(p.extraActions, actions2026x8()...)
	}
	if defaultPage > 0 {
		p.defaultPage = defaultPage
	}
	if maxPage > 0 {
		p.maxPage = maxPage
	}
	return p, nil
}

// pageSize is DRF's get_page_size under the profile: an absent, zero,
// negative or non-integer page_size selects the default page size; a larger
// one than the maximum is cut to it, silently (strict _positive_int with a
// cutoff).
func (p profile) pageSize(raw string, present bool) int {
	if !present {
		return p.defaultPage
	}
	n, ok := parsePyInt(raw)
	if !ok || n <= 0 {
		return p.defaultPage
	}
	if p.maxPage > 0 && n > p.maxPage {
		return p.maxPage
	}
	return n
}
