package tracer

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSecretName(t *testing.T) {
	tests := map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
		"X-Api-Key": true, "X-Auth-Token": true, "X-Amz-Security-Token": true, "X-CSRFToken": true,
		"Private-Token": true, "api_key": true, "access_token": true, "password": true, "client_secret": true,
		"sessionid": true, "X-Goog-Api-Key": true,
		"WWW-Authenticate": false, "Proxy-Authenticate": false, "X-Authentik-Id": false, "Accept": false,
		"Content-Type": false, "page": false, "ordering": false, "monkey": false, "author": false, "Keep-Alive": false,
	}
	for name, want := range tests {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRedactBody(t *testing.T) {
	tests := []struct {
		name, contentType, in, want string
	}{
		{name: "pretty JSON", in: "{\n  \"token\": \"s3cr3t\",\n  \"n\": 1e3\n}",
			want: "{\n  \"token\": \"[redacted]\",\n  \"n\": 1e3\n}"},
		{name: "escaped key", in: `{"pass\u0077ord":"s3cr3t"}`, want: `{"pass\u0077ord":"[redacted]"}`},
		{name: "braces in strings", in: `{"a":"}{[","secret":{"x":"]}\"{"},"b":[{"token":[1,{"c":2}]},3]}`,
			want: `{"a":"}{[","secret":"[redacted]","b":[{"token":"[redacted]"},3]}`},
		{name: "cut in a redacted object", in: `{"token":{"key":"s3cr3t","more":[1,`, want: `{"token":"[redacted]"`},
		{name: "URL in a value", in: `{"next":"https://u:pw@ak/api/?page=2&access_token=s3cr3t"}`,
			want: `{"next":"https://[redacted]@ak/api/?page=2&access_token=[redacted]"}`},
		{name: "JSON in text", in: `upstream said {"password": "s3cr3t", "token": null}`,
			want: `upstream said {"password": "[redacted]", "token": null}`},
		{name: "not JSON", in: "<html>Bad Gateway</html>", want: "<html>Bad Gateway</html>"},
		{name: "key order kept", in: `{"z":1,"a":{"Password":"s3cr3t"},"m":[1,"two",null,true]}`,
			want: `{"z":1,"a":{"Password":"[redacted]"},"m":[1,"two",null,true]}`},
		{name: "null and empty kept", in: `{"token":null,"secret":""}`, want: `{"token":null,"secret":""}`},
		{name: "html not escaped", in: `{"q":"<a&b>"}`, want: `{"q":"<a&b>"}`},
		{name: "cut in a value", in: `{"user":"x","password":"s3cr`, want: `{"user":"x","password":"[redacted]"`},
		{name: "cut after a value", in: `{"apiKey":"s3cr3t","a":"b`, want: `{"apiKey":"[redacted]","a":"b`},
		{name: "cut NDJSON", in: "{\"index\":{}}\n{\"credentials\":{\"u\":\"x\"}}\n{\"api_key\":\"s3",
			want: "{\"index\":{}}\n{\"credentials\":\"[redacted]\"}\n{\"api_key\":\"[redacted]\""},
		{name: "escaped quote in value", in: `{"secret":"a\"b","x":1`, want: `{"secret":"[redacted]","x":1`},
		{name: "number value cut", in: `{"token":12345,"x":`, want: `{"token":"[redacted]","x":`},
		{name: "text", in: "login failed for token=s3cr3t&user=x", want: "login failed for token=[redacted]&user=x"},
		{name: "form", contentType: "application/x-www-form-urlencoded", in: "a=1&password=s3cr3t&b",
			want: "a=1&password=[redacted]&b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactBody(tt.in, tt.contentType, &secrets{}); got != tt.want {
				t.Errorf("redactBody(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretsEscapedForms(t *testing.T) {
	var s secrets
	s.add(`p@ss/w"rd-of-a-long-secret`)
	s.add(`p@ss/w"rd-of-a-lo`) // a prefix of the first: the longer one must still go whole
	s.add("")
	for in, want := range map[string]string{
		`x p@ss/w"rd-of-a-long-secret y`:        "x [redacted] y",
		`x p%40ss%2Fw%22rd-of-a-long-secret y`:  "x [redacted] y",
		`{"v":"p@ss/w\"rd-of-a-long-secret"}`:   `{"v":"[redacted]"}`,
		`{"v":"p@ss/w\\\"rd-of-a-long-secret"}`: `{"v":"[redacted]"}`,
		`user p@ss/w"rd-of-a-lo and nothing`:    "user [redacted] and nothing",
	} {
		if got := s.scrub(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactURLAndHeader(t *testing.T) {
	u, _ := url.Parse("https://elastic:pw@es.example.com:9200/_bulk?refresh=false&Api-Key=abc#frag")
	if got, want := redactURL(u, &secrets{}), "https://[redacted]@es.example.com:9200/_bulk?refresh=false&Api-Key=[redacted]"; got != want {
		t.Errorf("redactURL = %s, want %s", got, want)
	}
	h := http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}, "X-Auth-Token": {"a", "b"}}
	got := redactHeader(h, &secrets{})
	if got["Www-Authenticate"][0] != `Bearer error="invalid_token"` || len(got["X-Auth-Token"]) != 1 ||
		got["X-Auth-Token"][0] != redacted {
		t.Errorf("redactHeader = %v", got)
	}
}

// TestShortSecretsDoNotRewriteText: a short registered secret is an
// ordinary word as often as not; it must not turn authentik.example.com
// into authentik.[redacted].com, while the places a credential goes stay
// redacted.
func TestShortSecretsDoNotRewriteText(t *testing.T) {
	var s secrets
	s.add("example")
	text := `Get "http://authentik.example.com/api/v3/core/users/?page=1": dial tcp: lookup authentik.example.com: no such host`
	if got := redactText(text, &s); got != text {
		t.Errorf("redactText rewrote unrelated text:\n got %s\nwant %s", got, text)
	}
	h := redactHeader(http.Header{"Authorization": {"Bearer example"}}, &s)
	if h["Authorization"][0] != redacted {
		t.Errorf("Authorization header = %v", h)
	}
	u, _ := url.Parse("http://authentik.example.com/x?token=example")
	if got, want := redactURL(u, &s), "http://authentik.example.com/x?token=[redacted]"; got != want {
		t.Errorf("redactURL = %s, want %s", got, want)
	}
	if got, want := redactBody(`{"token":"example","host":"authentik.example.com"}`, "application/json", &s),
		`{"token":"[redacted]","host":"authentik.example.com"}`; got != want {
		t.Errorf("redactBody = %s, want %s", got, want)
	}
}
