package config

import (
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary YAML through Parse and Decode into the
// representative configuration: whatever the input, no panic, and every
// problem is an error that names the file.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		fullConfig,
		"output:\n  file:\n",
		"output: {elasticsearch: {hosts: [http://a, ftp://b], tls: {insecure: true, ca_file: x}}}\n",
		"inputs:\n  events: {page_size: 0}\n  users:\n",
		"routes: [{match: a}, {index: b}, null, [x]]\n",
		"a: &x [*x]\n",
		"x: &f {path: /data}\noutput:\n  file: *f\n",
		"extra: {a: !!binary aGVsbG8=, b: !custom x, c: ~, d: 2001-12-14t21:59:43.10-05:00}\n",
		"authentik:\n  token: \"${NOPE}${\"\n  url: ${HOST:-x}\n",
		"tags: [a, b, a]\nlevel: INFO+2\n",
		"? [complex, key]\n: value\n",
		"<<: {tags: [a]}\n",
		"output:\n  elasticsearch:\n    workers: 99999999999999999999999\n    ratio: .nan\n    compat: 0x7f\n",
		"---\noutput: {file: {}}\n---\nbad: 1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
				t.Fatalf("Parse error does not name the file: %v", err)
			}
			return
		}
		cfg := defaultRoot()
		d := Decoder{File: "fuzz.yaml", Env: mapEnv(testEnv)}
		for _, e := range Errors(d.Decode(n, &cfg)) {
			if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
				t.Fatalf("Decode error does not name the file: %v", e)
			}
		}
	})
}
