package tracer

import (
	"strings"
	"testing"

	"akship/agent/config"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "defaults", mutate: func(*Config) {}},
		{name: "no bodies", mutate: func(c *Config) { c.MaxBodyBytes = 0 }},
		{name: "no backups", mutate: func(c *Config) { c.MaxBackups = 0 }},
		{name: "negative body cap", mutate: func(c *Config) { c.MaxBodyBytes = -1 },
			wantErr: "max_body_bytes: must not be negative"},
		{name: "tiny files", mutate: func(c *Config) { c.MaxFileBytes = 10 },
			wantErr: "max_file_bytes: must be at least 1024 bytes"},
		{name: "negative backups", mutate: func(c *Config) { c.MaxBackups = -1 },
			wantErr: "max_backups: must be between 0 and 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	c := DefaultConfig()
	c.Enabled = true
	if _, err := New(c, "x"); err == nil || !strings.Contains(err.Error(), "path is empty") {
		t.Errorf("New without path = %v", err)
	}
	c.Path, c.MaxFileBytes = t.TempDir()+"/t.ndjson", 1
	if _, err := New(c, "x"); err == nil || !strings.Contains(err.Error(), "max_file_bytes") {
		t.Errorf("New with an invalid config = %v", err)
	}
}

func TestSampleParsesToDefaults(t *testing.T) {
	node, err := config.Parse("sample.yaml", []byte(Sample))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Tracer Config `yaml:"tracer"`
	}
	dec := config.Decoder{File: "sample.yaml"}
	if err := dec.Decode(node, &s); err != nil {
		t.Fatalf("sample.yaml does not decode: %v", err)
	}
	if s.Tracer != DefaultConfig() {
		t.Errorf("sample.yaml = %+v, want %+v", s.Tracer, DefaultConfig())
	}
}
