package monitor

import (
	"strings"
	"testing"
	"time"

	"akship/agent/config"
)

func TestValidateListen(t *testing.T) {
	tests := []struct {
		listen      string
		allowRemote bool
		wantErr     string
	}{
		{listen: ""},
		{listen: "127.0.0.1:9108"},
		{listen: "127.0.0.1:0"},
		{listen: "127.1.2.3:9108"},
		{listen: "localhost:9108"},
		{listen: "LocalHost:9108"},
		{listen: "[::1]:9108"},
		{listen: "[::ffff:127.0.0.1]:9108"},
		{listen: "0.0.0.0:9108", wantErr: `listen: "0.0.0.0:9108" would listen on every interface: the endpoint has no authentication`},
		{listen: ":9108", wantErr: `listen: ":9108" would listen on every interface`},
		{listen: "[::]:9108", wantErr: "would listen on every interface"},
		{listen: "192.168.1.20:9108", wantErr: "set allow_remote: true"},
		{listen: "akship.example.com:9108", wantErr: "not a loopback address"},
		{listen: "0.0.0.0:9108", allowRemote: true},
		{listen: ":9108", allowRemote: true},
		{listen: "akship.example.com:9108", allowRemote: true},
		{listen: "127.0.0.1", wantErr: `listen: "127.0.0.1" is not host:port`},
		{listen: "127.0.0.1:http", wantErr: `invalid port "http"`},
		{listen: "127.0.0.1:70000", wantErr: `invalid port "70000"`},
		{listen: "[::]:x", allowRemote: true, wantErr: "invalid port"},
	}
	for _, tt := range tests {
		name := tt.listen
		if tt.allowRemote {
			name += " allow_remote"
		}
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.Listen, c.AllowRemote = tt.listen, tt.allowRemote
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateUnreachableAfter(t *testing.T) {
	c := Config{Listen: "127.0.0.1:9108"}
	err := c.Validate()
	if err == nil || err.Error() != "unreachable_after: must be positive (e.g. 2m)" {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestSampleParsesToDefaults(t *testing.T) {
	node, err := config.Parse("sample.yaml", []byte(Sample))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		HTTP Config `yaml:"http"`
	}
	s.HTTP = Config{UnreachableAfter: time.Second} // the sample must set it back
	dec := config.Decoder{File: "sample.yaml"}
	if err := dec.Decode(node, &s); err != nil {
		t.Fatalf("sample.yaml does not decode: %v", err)
	}
	if s.HTTP != DefaultConfig() {
		t.Errorf("sample.yaml = %+v, want the defaults %+v", s.HTTP, DefaultConfig())
	}
}
