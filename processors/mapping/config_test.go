package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"akship/agent/config"
	"akship/internal/datasets"
)

// section is how the processors section sits in akship's configuration.
type section struct {
	Processors Config `yaml:"processors"`
}

func decode(t *testing.T, text string) (Config, error) {
	t.Helper()
	node, err := config.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s := section{Processors: DefaultConfig()}
	dec := config.Decoder{File: "test.yaml"}
	err = dec.Decode(node, &s)
	return s.Processors, err
}

func TestSampleParsesToDefaults(t *testing.T) {
	got, err := decode(t, Sample)
	if err != nil {
		t.Fatalf("sample.yaml does not decode: %v", err)
	}
	if diff := cmp.Diff(DefaultConfig(), got); diff != "" {
		t.Errorf("sample.yaml differs from DefaultConfig (-default +sample):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("sample.yaml does not validate: %v", err)
	}
}

func TestConfigDecode(t *testing.T) {
	got, err := decode(t, `
processors:
  geoip:
    city_database: /var/lib/GeoIP/GeoLite2-City.mmdb
  user_agent:
    cache_size: 500
  user:
    tags: [preserve_duplicate_custom_fields]
    extend: '{"labels": {"source": "hr"}}'
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.GeoIP.CityDatabase = "/var/lib/GeoIP/GeoLite2-City.mmdb"
	want.UserAgent.CacheSize = 500
	want.User.Tags = []string{"preserve_duplicate_custom_fields"}
	want.User.Extend = `{"labels": {"source": "hr"}}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"program twice", "processors:\n  event:\n    program: '{}'\n    program_file: x.cel\n",
			[]string{"test.yaml:4:", "processors.event.program_file: set either program or program_file, not both"}},
		{"extend twice", "processors:\n  group:\n    extend: '{}'\n    extend_file: x.cel\n",
			[]string{"processors.group.extend_file: set either extend or extend_file, not both"}},
		{"negative cache", "processors:\n  user_agent:\n    cache_size: -1\n",
			[]string{"test.yaml:3:", "processors.user_agent.cache_size: must be 0 (no cache) or more, got -1"}},
		{"empty tag", "processors:\n  user:\n    tags: [a, '']\n",
			[]string{"processors.user.tags.1: a tag cannot be empty"}},
		{"unknown key", "processors:\n  event:\n    programme: '{}'\n",
			[]string{`processors.event.programme: unknown key (did you mean "program"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, tt.yaml)
			if err == nil {
				t.Fatal("no error")
			}
			if n := len(config.Errors(err)); n != 1 {
				t.Errorf("%d errors, want exactly one: %v", n, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigFor(t *testing.T) {
	cfg := DefaultConfig()
	cfg.For(datasets.Group).Tags = []string{"x"}
	if got := cfg.Group.Tags; len(got) != 1 || got[0] != "x" {
		t.Errorf("For(group) did not return the group's settings: %v", got)
	}
	if cfg.For("nope") != nil {
		t.Error("For(unknown) is not nil")
	}
	if got := cfg.Event.Tags; !cmp.Equal(got, []string{"forwarded", "authentik-event"}) {
		t.Errorf("default event tags = %v", got)
	}
}
