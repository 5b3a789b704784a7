package config

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testEnv = map[string]string{"ES_KEY": "k3y-from-env", "HOST": "es.internal", "EMPTY": ""}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// decode parses text as test.yaml and decodes it over the defaults.
func decode(text string) (rootConfig, error) {
	cfg := defaultRoot()
	n, err := Parse("test.yaml", []byte(text))
	if err != nil {
		return cfg, err
	}
	d := Decoder{File: "test.yaml", Env: mapEnv(testEnv)}
	return cfg, d.Decode(n, &cfg)
}

func messages(err error) []string {
	var out []string
	for _, e := range Errors(err) {
		out = append(out, e.Error())
	}
	return out
}

const fullConfig = `
authentik:
  url: https://authentik.example.com
  token: ${ES_KEY}
inputs:
  events:
    interval: 1m30s
    page_size: 0x20
  users:
    enabled: off
output:
  elasticsearch:
    hosts: ["https://${HOST}:9200", "http://b:9200"]
    api_key: "$${ES_KEY:-x}"
    headers: {X-Tenant: a, x-empty: "${EMPTY:-}"}
    workers: 8
    ratio: 0.25
    timeout: 5s
    tls:
      ca_file: /etc/ca.pem
    compat: -7
routes:
  - match: login
    index: logins
tags: [a, b]
level: debug
extra:
  nested: {list: [1, two, 3.5, true, null]}
  n: 12
  ref: ${HOST}
`

func TestDecodeFullConfig(t *testing.T) {
	got, err := decode(fullConfig)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := rootConfig{
		Authentik: authConfig{URL: "https://authentik.example.com", Token: "k3y-from-env"},
		Inputs: map[string]*inputConfig{
			"events": {Enabled: true, Interval: 90 * time.Second, PageSize: 32},
			"users":  {Enabled: false, Interval: 30 * time.Second, PageSize: 100},
		},
		Output: outputConfig{Elasticsearch: &esConfig{
			Hosts: []string{"https://es.internal:9200", "http://b:9200"}, APIKey: "${ES_KEY:-x}",
			Headers: map[string]string{"X-Tenant": "a", "x-empty": ""}, Workers: 8, Ratio: 0.25,
			HTTP:   httpConfig{Timeout: 5 * time.Second, MaxRetries: 3, TLS: &tlsConfig{CAFile: "/etc/ca.pem"}},
			Compat: -7,
		}},
		Routes: []routeConfig{{Match: "login", Index: "logins"}},
		Tags:   []string{"a", "b"},
		Level:  slog.LevelDebug,
		Extra: map[string]any{"nested": map[string]any{"list": []any{1, "two", 3.5, true, nil}}, "n": 12,
			"ref": "es.internal"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded:\n got %+v\nwant %+v", got, want)
		if !reflect.DeepEqual(got.Output.Elasticsearch, want.Output.Elasticsearch) {
			t.Errorf("elasticsearch:\n got %+v\nwant %+v", *got.Output.Elasticsearch, *want.Output.Elasticsearch)
		}
	}
}

func TestDecodeKeepsDefaults(t *testing.T) {
	got, err := decode("output:\n  file:\n    path: /data\ninputs:\n  events:\n    interval:\n")
	if err != nil {
		t.Fatal(err)
	}
	want := defaultRoot()
	want.Output.File = &fileConfig{Path: "/data", MaxBytes: 1 << 20}
	want.Inputs = map[string]*inputConfig{"events": {Enabled: true, Interval: 30 * time.Second, PageSize: 100}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded:\n got %+v\nwant %+v", got, want)
	}
}

// TestDecodeErrors checks that each problem is reported, all of them, each
// with the file, line, column and full key.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{name: "unknown key with suggestion", yaml: "output:\n  elasticsearch:\n    hostz: [http://a]\n", want: []string{
			`test.yaml:3:5: output.elasticsearch.hostz: unknown key (did you mean "hosts"?)`,
			// Validation runs only on a file that decoded cleanly.
		}},
		{name: "unknown top-level key", yaml: "outptu:\n  file: {}\n", want: []string{
			`test.yaml:1:1: outptu: unknown key (did you mean "output"?)`,
		}},
		{name: "unknown key, nothing close", yaml: "output: {file: {}}\nauthentik:\n  colour: red\n", want: []string{
			`test.yaml:3:3: authentik.colour: unknown key`,
		}},
		{name: "untagged field is not a key", yaml: "output: {file: {}}\nignored: x\n", want: []string{
			`test.yaml:2:1: ignored: unknown key`,
		}},
		{name: "wrong scalar types", yaml: `output:
  elasticsearch:
    hosts: [http://a]
    workers: -1
    ratio: lots
    timeout: 30
    compat: 300
    tls: {insecure: maybe}
inputs:
  events: {page_size: many, enabled: yes}
level: loud
`, want: []string{
			`test.yaml:4:14: output.elasticsearch.workers: "-1" is not a non-negative whole number`,
			`test.yaml:5:12: output.elasticsearch.ratio: "lots" is not a number`,
			`test.yaml:6:14: output.elasticsearch.timeout: "30" is not a duration (use a number with a unit, e.g. 30s, 5m, 24h)`,
			`test.yaml:7:13: output.elasticsearch.compat: "300" is not a whole number`,
			`test.yaml:8:21: output.elasticsearch.tls.insecure: "maybe" is not a boolean (use true or false)`,
			`test.yaml:10:23: inputs.events.page_size: "many" is not a whole number`,
			`test.yaml:11:8: level: slog: level string "loud": unknown name`,
		}},
		{name: "wrong shapes", yaml: "output: [file]\ntags: solo\nauthentik: https://x\ninputs:\n  events: [1]\nroutes: {a: b}\n",
			want: []string{
				`test.yaml:1:9: output: expected a mapping of keys, got a list`,
				`test.yaml:2:7: tags: expected a list, got the value "solo"`,
				`test.yaml:3:12: authentik: expected a mapping of keys, got the value "https://x"`,
				`test.yaml:5:11: inputs.events: expected a mapping of keys, got a list`,
				`test.yaml:6:9: routes: expected a list, got a mapping`,
			}},
		{name: "list item shapes", yaml: "output: {file: {}}\ntags: [a, [b], {c: d}]\n", want: []string{
			`test.yaml:2:11: tags.1: expected a single value, got a list`,
			`test.yaml:2:16: tags.2: expected a single value, got a mapping`,
		}},
		{name: "duplicate keys", yaml: "output:\n  file: {}\n  file: {}\ninputs:\n  events: {}\n  events: {}\n",
			want: []string{
				`test.yaml:3:3: output.file: key given twice`,
				`test.yaml:6:3: inputs.events: key given twice`,
			}},
		{name: "validation located at the key", yaml: `output:
  elasticsearch:
    hosts:
      - http://a
      - ftp://b
    tls:
      ca_file: /ca.pem
      insecure: true
routes:
  - {match: x, index: y}
  - match: z
tags: [a, b, a]
`, want: []string{
			`test.yaml:5:9: output.elasticsearch.hosts.1: "ftp://b" is not a URL`,
			`test.yaml:8:17: output.elasticsearch.tls.insecure: conflicts with tls.ca_file`,
			`test.yaml:11:5: routes.1.index: is required`,
			`test.yaml:12:14: tags.2: duplicate tag "a"`,
		}},
		{name: "section-level validation", yaml: "output:\n  file: {}\n  elasticsearch: {hosts: [http://a]}\n",
			want: []string{`test.yaml:2:3: output: configure exactly one output, found 2`}},
		{name: "map value validation", yaml: "output: {file: {}}\ninputs:\n  users:\n    page_size: 0\n",
			want: []string{`test.yaml:4:16: inputs.users.page_size: must be at least 1`}},
		{name: "missing section is validated", yaml: "authentik:\n  url: http://a\n",
			want: []string{`test.yaml:1:1: output: configure exactly one output, found 0`}},
		{name: "empty section is validated", yaml: "output: {file: {}}\nauthentik:\n  url: \"\"\n",
			want: []string{`test.yaml:3:8: authentik.url: is required`}},
		{name: "null section is validated", yaml: "output: {file: {}}\nauthentik:\nroutes:\n",
			want: nil},
		{name: "unset variable", yaml: "output: {file: {path: \"${NOPE}/x\"}}\n", want: []string{
			`test.yaml:1:23: output.file.path: environment variable NOPE is not set (use ${NOPE:-default} for a fallback)`,
		}},
		{name: "unset variable in a map key's value", yaml: "output: {file: {}}\nextra: {a: \"${NOPE}\"}\n",
			want: []string{`test.yaml:2:12: extra.a: environment variable NOPE is not set (use ${NOPE:-default} for a fallback)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.yaml)
			got := messages(err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			for _, e := range Errors(err) {
				var le *LocatedError
				if !errors.As(e, &le) || le.File != "test.yaml" || le.Line == 0 {
					t.Errorf("%v: not located in the file", e)
				}
			}
		})
	}
}

func TestDecodeDefaulterSections(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want outputConfig
	}{
		{name: "named with keys", yaml: "output:\n  elasticsearch:\n    hosts: [http://a]\n    workers: 4\n",
			want: outputConfig{Elasticsearch: &esConfig{Hosts: []string{"http://a"}, Workers: 4,
				HTTP: httpConfig{Timeout: 30 * time.Second, MaxRetries: 3}}}},
		{name: "named empty", yaml: "output:\n  file: {}\n",
			want: outputConfig{File: &fileConfig{Path: "out", MaxBytes: 1 << 20}}},
		{name: "named with nothing", yaml: "output:\n  file:\n",
			want: outputConfig{File: &fileConfig{Path: "out", MaxBytes: 1 << 20}}},
		{name: "named with null", yaml: "output:\n  file: null\n",
			want: outputConfig{File: &fileConfig{Path: "out", MaxBytes: 1 << 20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(tt.yaml)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Output, tt.want) {
				t.Errorf("output = %+v / %+v, want %+v / %+v", got.Output.Elasticsearch, got.Output.File,
					tt.want.Elasticsearch, tt.want.File)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{name: "empty", yaml: "", want: "test.yaml: the configuration is empty"},
		{name: "blank", yaml: " \n\t\n", want: "test.yaml: the configuration is empty"},
		{name: "comments only", yaml: "# nothing\n", want: "test.yaml: the configuration must be a mapping"},
		{name: "a scalar", yaml: "hello\n", want: "test.yaml: the configuration must be a mapping"},
		{name: "a list", yaml: "- a\n", want: "test.yaml: the configuration must be a mapping"},
		{name: "unclosed list", yaml: "tags: [a, b\n", want: "test.yaml: invalid YAML: line 1: did not find expected ',' or ']'"},
		{name: "tab indentation", yaml: "output:\n\tfile: {}\n", want: "test.yaml:2: invalid YAML: the line is indented with a tab; YAML does not allow tabs for indentation, use spaces"},
		{name: "bad indentation", yaml: "a:\n  b: 1\n c: 2\n", want: "test.yaml: invalid YAML: line 2: did not find expected key"},
		{name: "unknown anchor", yaml: "a: *nope\n", want: `test.yaml: invalid YAML: unknown anchor 'nope' referenced`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDecodeNeedsAPointer(t *testing.T) {
	n, _ := Parse("x.yaml", []byte("a: 1\n"))
	var cfg rootConfig
	for _, out := range []any{cfg, (*rootConfig)(nil), nil} {
		if err := (&Decoder{}).Decode(n, out); err == nil || !strings.Contains(err.Error(), "non-nil pointer") {
			t.Errorf("Decode(%T) = %v", out, err)
		}
	}
}

func TestDecodeAliases(t *testing.T) {
	got, err := decode("hosts: &h [http://a, http://b]\n")
	if err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("Decode = %v", err)
	}
	got, err = decode("x: &f {path: /data}\noutput:\n  file: *f\ntags: &t [a]\nroutes: [{index: i, match: *t}]\n")
	want := []string{
		`test.yaml:1:1: x: unknown key`,
		`test.yaml:4:7: routes.0.match: expected a single value, got a list`,
	}
	if msgs := messages(err); !reflect.DeepEqual(msgs, want) {
		t.Fatalf("errors = %q, want %q", msgs, want)
	}
	if got.Output.File == nil || got.Output.File.Path != "/data" {
		t.Errorf("aliased section = %+v", got.Output.File)
	}
}
