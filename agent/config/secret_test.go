package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const token = "tok-5ecret-value"

// withSecret is a configuration section holding secrets in the ways
// sections do: directly, by pointer, in a map and in a list.
type withSecret struct {
	URL    string            `json:"url" yaml:"url"`
	Token  Secret            `json:"token" yaml:"token"`
	Ptr    *Secret           `json:"ptr" yaml:"ptr"`
	Keys   map[string]Secret `json:"keys" yaml:"keys"`
	List   []Secret          `json:"list" yaml:"list"`
	Nested struct {
		Password Secret `json:"password" yaml:"password"`
	} `json:"nested" yaml:"nested"`
}

func secretHolder() *withSecret {
	s := Secret(token)
	w := &withSecret{URL: "https://authentik.example.com", Token: token, Ptr: &s,
		Keys: map[string]Secret{"a": token}, List: []Secret{token}}
	w.Nested.Password = token
	return w
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(token)
	w := secretHolder()
	var outputs = map[string]string{}
	for _, verb := range []string{"%v", "%s", "%q", "%+v", "%#v", "%x", "%X", "%d", "%10s", "%-20v", "%T"} {
		outputs["fmt "+verb+" secret"] = fmt.Sprintf(verb, s)
		outputs["fmt "+verb+" pointer"] = fmt.Sprintf(verb, &s)
		outputs["fmt "+verb+" struct"] = fmt.Sprintf(verb, *w)
		outputs["fmt "+verb+" struct pointer"] = fmt.Sprintf(verb, w)
		outputs["fmt "+verb+" any"] = fmt.Sprintf(verb, any(s))
	}
	outputs["Sprint"] = fmt.Sprint(s, w)
	outputs["Sprintln"] = fmt.Sprintln(s, *w)
	outputs["String"] = s.String()
	outputs["GoString"] = s.GoString()
	outputs["Errorf %v"] = fmt.Errorf("%v", s).Error()
	outputs["Errorf %s wrapped"] = fmt.Errorf("login with %s failed: %w", s, errors.New("403")).Error()
	outputs["Errorf struct"] = fmt.Errorf("config %+v", w).Error()

	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("starting", "token", s, "ptr", &s, "config", w, "section", *w)
		log.Info("attrs", slog.Any("token", s), slog.String("str", s.String()), slog.Group("g", "t", s))
		log.With("token", s).WithGroup("grp").Info("with")
		outputs["slog "+h.name] = buf.String()
	}
	js, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json.Marshal"] = string(js)
	js, _ = json.Marshal(map[string]any{"t": s, "p": &s})
	outputs["json.Marshal map"] = string(js)
	ys, err := yaml.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml.Marshal"] = string(ys)
	ys, _ = yaml.Marshal(map[string]any{"t": s})
	outputs["yaml.Marshal map"] = string(ys)

	for name, out := range outputs {
		if strings.Contains(out, token) || strings.Contains(out, fmt.Sprintf("%x", token)) ||
			strings.Contains(out, "5ecret") {
			t.Errorf("%s reveals the secret: %s", name, out)
		}
	}
	for _, name := range []string{"fmt %v secret", "fmt %s secret", "String", "json.Marshal", "yaml.Marshal", "slog text", "slog json"} {
		if !strings.Contains(outputs[name], Redacted) {
			t.Errorf("%s does not show %s: %s", name, Redacted, outputs[name])
		}
	}
}

func TestSecretValue(t *testing.T) {
	s := Secret(token)
	if s.Value() != token || !s.IsSet() {
		t.Errorf("Value() = %q, IsSet() = %v", s.Value(), s.IsSet())
	}
	var empty Secret
	if empty.IsSet() || empty.String() != "" || fmt.Sprint(empty) != "" {
		t.Errorf("an empty secret: IsSet %v, String %q", empty.IsSet(), empty.String())
	}
}

// TestSecretInConfigErrors decodes configurations holding a token and
// checks that no error message, whatever went wrong, shows it.
func TestSecretInConfigErrors(t *testing.T) {
	tests := []string{
		"authentik:\n  token: " + token + "${\n",
		"authentik:\n  token: \"" + token + "${NOPE}\"\n",
		"authentik:\n  token: [" + token + "]\n",
		"authentik:\n  token: {" + token + ": 1}\n",
		"authentik:\n  tokne: " + token + "\n",
		"authentik:\n  url: \"\"\n  token: " + token + "\n",
	}
	for _, text := range tests {
		_, err := decode(text)
		if err == nil {
			t.Errorf("%q decoded without error", text)
			continue
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("error reveals the secret: %v", err)
		}
	}
	// A secret decoded from the environment prints redacted.
	cfg, err := decode("output: {file: {}}\nauthentik:\n  token: ${ES_KEY}\n")
	if err != nil {
		t.Fatal(err)
	}
	if out := fmt.Sprintf("%+v", cfg); strings.Contains(out, testEnv["ES_KEY"]) {
		t.Errorf("decoded config prints the secret: %s", out)
	}
	if cfg.Authentik.Token.Value() != testEnv["ES_KEY"] {
		t.Errorf("token = %q", cfg.Authentik.Token.Value())
	}
}
