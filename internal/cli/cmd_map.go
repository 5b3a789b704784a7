package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"akship/agent"
	"akship/agent/config"
	"akship/internal/datasets"
	"akship/processors/mapping"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdMap(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return runMap(args, os.Stdin, stdout, stderr)
}

// runMap maps the records from in (NDJSON, pretty-printed records or API
// pages) to documents on out, one per line: the mapping on its own, for
// testing a changed program or checking conformance.
func runMap(args []string, in io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("map", "--dataset {event|user|group} [-c FILE] [--tag TAG]... [--geoip-city FILE] "+
		"[--geoip-asn FILE] < records.ndjson > documents.ndjson\n\n"+
		"The input is one raw record per line (NDJSON), pretty-printed records, or whole API pages\n"+
		"({\"pagination\":…,\"results\":[…]}, as curl saves them), whose results are mapped.", stdout, stderr)
	dataset := fs.String("dataset", "", "the dataset of the records: event, user or group")
	path := configFlag(fs)
	var tags stringList
	fs.Var(&tags, "tag", "a tag for the documents (repeatable); replaces the default tags")
	city := fs.String("geoip-city", "", "GeoIP2/GeoLite2 City database for source.geo")
	asn := fs.String("geoip-asn", "", "GeoLite2 ASN database for source.as")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	d := agent.Dataset(*dataset)
	if !datasets.Valid(d) {
		fmt.Fprintf(stderr, "akship map: --dataset must be event, user or group (got %q)\n", *dataset)
		return exitUsage
	}
	cfg := mapping.DefaultConfig()
	if *path != "" {
		full, _, err := LoadConfig(*path)
		if err != nil {
			fmt.Fprintf(stderr, "akship map: invalid configuration:\n%s", describeErrors(err))
			return 1
		}
		cfg = full.Processors
	}
	if len(tags) > 0 {
		cfg.For(d).Tags = tags
	}
	if *city != "" {
		cfg.GeoIP.CityDatabase = *city
	}
	if *asn != "" {
		cfg.GeoIP.ASNDatabase = *asn
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "akship map: %v\n", err)
		return 1
	}
	m, err := mapping.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintf(stderr, "akship map: %v\n", err)
		return 1
	}
	defer m.Close()
	n, err := mapping.MapNDJSON(m, d, in, stdout)
	if err != nil {
		for _, e := range config.Errors(err) {
			fmt.Fprintf(stderr, "akship map: %v\n", e)
		}
		fmt.Fprintf(stderr, "akship map: %d documents written, with errors\n", n)
		return 1
	}
	return 0
}
