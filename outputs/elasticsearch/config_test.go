package elasticsearch

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"akship/agent/config"
)

// decode decodes a YAML document holding output.elasticsearch over the
// defaults, as the loader does.
func decode(t *testing.T, text string, env map[string]string) (Config, error) {
	t.Helper()
	node, err := config.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Output struct {
			Elasticsearch Config `yaml:"elasticsearch"`
		} `yaml:"output"`
	}
	doc.Output.Elasticsearch = DefaultConfig()
	d := config.Decoder{File: "test.yaml", Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	err = d.Decode(node, &doc)
	return doc.Output.Elasticsearch, err
}

func TestSampleConfigParsesAndValidates(t *testing.T) {
	got, err := decode(t, SampleConfig, map[string]string{"AKSHIP_ES_API_KEY": "a2V5"})
	if err != nil {
		t.Fatalf("sample.yaml: %v", err)
	}
	want := DefaultConfig()
	want.Hosts = []string{"https://es1.example.com:9200", "https://es2.example.com:9200"}
	want.APIKey = "a2V5"
	want.TLS.CAFile = "/etc/akship/elasticsearch-ca.pem"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sample.yaml decoded differently (-want +got):\n%s", diff)
	}
	if err := validateAll(&got); err != nil {
		t.Errorf("validateAll: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	got, err := decode(t, "output:\n  elasticsearch: {}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if addrs := got.Addresses(); len(addrs) != 1 || addrs[0] != DefaultHost {
		t.Errorf("Addresses = %v, want [%s]", addrs, DefaultHost)
	}
	p := (&Output{cfg: got}).BatchPolicy()
	if p.MaxEvents != 1600 || p.MaxBytes != 5<<20 || p.FlushInterval != time.Second || p.Concurrency != 2 {
		t.Errorf("BatchPolicy = %+v", p)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"bad host", "hosts: [localhost:9200]", []string{
			`test.yaml:3:13: output.elasticsearch.hosts.0: "localhost:9200" is not an http:// or https:// URL with a host`}},
		{"credentials in a host", "hosts: [\"https://u:pw@h:9200\"]", []string{
			"hosts.0: put credentials in username/password, not in the URL"}},
		{"cloud id and hosts", "cloud_id: x:eA==\n    hosts: [http://h:9200]", []string{
			"cloud_id: set either cloud_id or hosts, not both"}},
		{"bad cloud id", "cloud_id: nocolon", []string{"cloud_id: is not of the form <name>:<base64 data>"}},
		{"two auth methods", "api_key: k\n    bearer_token: t", []string{
			"output.elasticsearch: set only one of api_key, username/password and bearer_token"}},
		{"secret and file", "api_key: k\n    api_key_file: /k", []string{
			"api_key_file: set either api_key or api_key_file, not both"}},
		{"username without password", "username: u", []string{
			"password: is required with username (or use password_file)"}},
		{"namespace with a dash", "namespace: my-ns", []string{
			`namespace: "my-ns" must not contain any of`}},
		{"namespace upper case", "namespace: Prod", []string{`namespace: "Prod" must be lower case`}},
		{"zero docs", "bulk_max_docs: 0", []string{"bulk_max_docs: must be between 1 and 100000, got 0"}},
		{"tiny bytes", "bulk_max_bytes: 10", []string{"bulk_max_bytes: must be between 65536"}},
		{"concurrency", "concurrency: 0", []string{"concurrency: must be between 1 and 64, got 0"}},
		{"compression", "compression_level: 12", []string{"compression_level: must be between 0 (no compression) and 9"}},
		{"timeout", "timeout: 0s", []string{"timeout: must be positive"}},
		{"reserved header", "headers: {Authorization: x}", []string{
			"headers.Authorization: is set by akship and cannot be overridden"}},
		{"unknown key", "hots: [x]", []string{`hots: unknown key (did you mean "hosts"?)`}},
		{"fingerprint", "tls: {ca_fingerprint: abc}", []string{
			"tls.ca_fingerprint: must be the SHA-256 of the certificate in hex"}},
		{"cert without key", "tls: {cert_file: c.pem}", []string{
			"tls.key_file: cert_file and key_file must be set together"}},
		{"insecure and ca", "tls: {insecure: true, ca_file: ca.pem}", []string{"tls.insecure: contradicts ca_file"}},
		{"retention", "ilm: {retention: 1y}", []string{`ilm.retention: "1y" is not a time like 365d, 720h`}},
		{"several at once", "concurrency: 0\n    namespace: \"\"", []string{
			"concurrency: must be between", "namespace: must not be empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, "output:\n  elasticsearch:\n    "+tt.yaml+"\n", nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestNewValidatesAndNamesSecretFiles(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Namespace = "a-b"
	if _, err := New(cfg, nil, nil); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("New with a bad namespace = %v", err)
	}
	cfg = DefaultConfig()
	cfg.PasswordFile, cfg.Username = "/nonexistent/pw", "u"
	_, err := New(cfg, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "password_file: secret file /nonexistent/pw does not exist") {
		t.Errorf("New with a missing password file = %v", err)
	}
}

func TestCloudAddress(t *testing.T) {
	tests := []struct{ id, want string }{
		// base64("eu-west-1.aws.found.io$4fa8821e$kb") and with a port.
		{"name:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZSRrYg==", "https://4fa8821e.eu-west-1.aws.found.io"},
		{"name:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbzo5MjQzJDRmYTg4MjFlJGti", "https://4fa8821e.eu-west-1.aws.found.io:9243"},
	}
	for _, tt := range tests {
		got, err := cloudAddress(tt.id)
		if err != nil || got != tt.want {
			t.Errorf("cloudAddress(%q) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
}

func TestReadmeShowsTheSample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+SampleConfig+"```") {
		t.Error("README.md does not include sample.yaml verbatim; copy it into the Configuration section")
	}
}
