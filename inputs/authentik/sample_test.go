package authentik

import (
	_ "embed"
	"testing"
	"time"

	"akship/agent/config"
)

//go:embed sample.yaml
var sample []byte

// TestSampleConfig checks that sample.yaml parses, validates and shows the
// defaults.
func TestSampleConfig(t *testing.T) {
	var got struct {
		Authentik ClientConfig `yaml:"authentik"`
		Inputs    struct {
			Events EventsConfig   `yaml:"events"`
			Users  SnapshotConfig `yaml:"users"`
			Groups SnapshotConfig `yaml:"groups"`
		} `yaml:"inputs"`
	}
	got.Authentik = DefaultClientConfig()
	node, err := config.Parse("sample.yaml", sample)
	if err != nil {
		t.Fatal(err)
	}
	d := config.Decoder{File: "sample.yaml", Env: func(string) (string, bool) { return "t", true }}
	if err := d.Decode(node, &got); err != nil {
		t.Fatal(err)
	}
	want := DefaultClientConfig()
	want.URL, want.Token = "https://authentik.example.com", "t"
	if got.Authentik != want {
		t.Errorf("authentik = %+v\nwant %+v (the sample must show the defaults)", got.Authentik, want)
	}
	if got.Inputs.Events != DefaultEventsConfig() || got.Inputs.Users != DefaultSnapshotConfig() ||
		got.Inputs.Groups != DefaultSnapshotConfig() {
		t.Errorf("inputs = %+v, want the defaults", got.Inputs)
	}
	if got.Inputs.Events.Interval != 30*time.Second {
		t.Errorf("events interval = %v", got.Inputs.Events.Interval)
	}
}
