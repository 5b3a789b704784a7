package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

// mapSynopsis is the map command's usage line.
const mapSynopsis = "--dataset {event|user|group} [-c FILE] [--tag TAG]... [--geoip-city FILE] " +
	"[--geoip-asn FILE] < records.ndjson > documents.ndjson\n\n" +
	"The input is one raw record per line (NDJSON), pretty-printed records, or whole API pages\n" +
	"({\"pagination\":…,\"results\":[…]}, as curl saves them), whose results are mapped."

// mapFlags returns what registers the map command's flags. Its action maps
// the records from in (NDJSON, pretty-printed records or API pages) to
// documents on stdout, one per line: the mapping on its own, for testing a
// changed program or checking conformance.
func mapFlags(in io.Reader) func(fs *flagSet) action {
	return func(fs *flagSet) action {
		dataset := fs.String("dataset", "", "the dataset of the records: event, user or group")
		path := fs.configFlag()
		var tags stringList
		fs.Var(&tags, "tag", "a tag for the documents (repeatable); replaces the default tags")
		city := fs.String("geoip-city", "", "GeoIP2/GeoLite2 City database for source.geo")
		asn := fs.String("geoip-asn", "", "GeoLite2 ASN database for source.as")
		return func(context.Context) int {
			d := agent.Dataset(*dataset)
			if !datasets.Valid(d) {
				fmt.Fprintf(fs.stderr, "akship map: --dataset must be event, user or group (got %q)\n", *dataset)
				return exitUsage
			}
			cfg := mapping.DefaultConfig()
			if *path != "" {
				full, _, code := fs.loadConfig(1)
				if full == nil {
					return code
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
			return mapRecords(cfg, d, in, fs.stdout, fs.stderr)
		}
	}
}

// mapRecords maps the records of dataset d from in to documents on stdout
// with the processors' configuration cfg, and returns the exit code.
func mapRecords(cfg mapping.Config, d agent.Dataset, in io.Reader, stdout, stderr io.Writer) int {
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
