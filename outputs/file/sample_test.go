package file

import (
	_ "embed"
	"testing"

	"akship/agent/config"
)

//go:embed sample.yaml
var sample []byte

func TestSampleConfig(t *testing.T) {
	var got struct {
		Output struct {
			File *Config `yaml:"file"`
		} `yaml:"output"`
	}
	node, err := config.Parse("sample.yaml", sample)
	if err != nil {
		t.Fatal(err)
	}
	d := config.Decoder{File: "sample.yaml"}
	if err := d.Decode(node, &got); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Path = "/var/lib/akship/documents"
	if got.Output.File == nil || *got.Output.File != want {
		t.Errorf("sample = %+v, want the defaults %+v", got.Output.File, want)
	}
}
