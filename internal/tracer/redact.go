package tracer

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// redacted replaces every credential in a trace.
const redacted = "[redacted]"

var (
	// secretJSONKey matches JSON keys whose values are credentials.
	secretJSONKey = regexp.MustCompile(`(?i)token|passw(?:or)?d|secret|api[-_]?key|authorization|credential|private[-_]?key`)

	// textJSONPair finds "secret key": value in free text (error messages,
	// bodies that are not JSON); the value may be unterminated.
	textJSONPair = regexp.MustCompile(`(?i)("[^"\\]*(?:token|passw(?:or)?d|secret|api[-_]?key|authorization|credential|private[-_]?key)[^"\\]*"\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|[^\s,}\]{\[][^\s,}\]]*)`)
	// textParam finds secret=value in free text (error messages, URLs).
	textParam = regexp.MustCompile(`(?i)([\w.\-]*(?:token|passw|secret|key|auth|credential|signature|session)[\w.\-]*=)[^&\s"',;]+`)
	// textUserinfo finds user:password@ in URLs within free text.
	textUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@\s"]+@`)
)

// secretName reports whether a header or parameter name announces a
// credential: Authorization, Cookie, X-Api-Key, X-Auth-Token, api_key,
// access_token, password and the like. Names are split into words at "-",
// "_" and "." so that X-Authentik-Id or monkey are not taken for one.
func secretName(name string) bool {
	lower := strings.ToLower(name)
	// Challenges name the scheme and realm, not a credential, and say why
	// authentication failed.
	if lower == "www-authenticate" || lower == "proxy-authenticate" {
		return false
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for _, w := range words {
		switch w {
		case "auth", "authorization", "key", "apikey", "cookie", "session", "sessionid", "sig", "signature", "jwt":
			return true
		}
		for _, part := range []string{"token", "secret", "passw", "credential"} {
			if strings.Contains(w, part) {
				return true
			}
		}
	}
	return false
}

// MinSecretLength is the shortest registered secret searched for in free
// text. A shorter one (a test password, "changeme", "example") is too likely
// to be an ordinary word or part of a host name: scrubbing it would rewrite
// unrelated text (a token "example" turned authentik.example.com into
// authentik.[redacted].com). Short secrets are still redacted where a
// credential can appear: credential headers (Authorization, Cookie, …),
// query and form parameters and JSON fields named like credentials, and
// user:password@ in URLs. akship refuses authentik tokens shorter than
// authentik's own (60 characters), so only Elasticsearch passwords can be
// this short.
const MinSecretLength = 16

// secrets is the list of strings registered with AddSecret, with the forms
// they take once escaped for a URL or a JSON string.
type secrets struct {
	mu   sync.Mutex
	list []string
	r    atomic.Pointer[strings.Replacer]
}

// add registers a secret and its escaped forms; it ignores a secret
// shorter than MinSecretLength.
func (s *secrets) add(v string) {
	if len(v) < MinSecretLength {
		return
	}
	j := jsonEscape(v)
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v), j, jsonEscape(j)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range forms {
		if !slices.Contains(s.list, f) {
			s.list = append(s.list, f)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	slices.SortFunc(s.list, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(s.list))
	for _, f := range s.list {
		pairs = append(pairs, f, redacted)
	}
	s.r.Store(strings.NewReplacer(pairs...))
}

// scrub replaces every registered secret in text.
func (s *secrets) scrub(text string) string {
	if r := s.r.Load(); r != nil {
		return r.Replace(text)
	}
	return text
}

// jsonEscape is v as it appears inside a JSON string, without the quotes.
func jsonEscape(v string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(b.String(), `"`), "\n"), `"`)
}

// redactHeader copies h with credential headers replaced and registered
// secrets scrubbed from the others.
func redactHeader(h http.Header, sec *secrets) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for name, values := range h {
		if secretName(name) {
			out[name] = []string{redacted}
			continue
		}
		vs := make([]string, len(values))
		for i, v := range values {
			vs[i] = sec.scrub(v)
		}
		out[name] = vs
	}
	return out
}

// redactURL renders u without userinfo, fragment or credential query
// parameters.
func redactURL(u *url.URL, sec *secrets) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery = redactQuery(c.RawQuery)
	c.Fragment, c.RawFragment = "", ""
	hadUser := c.User != nil
	c.User = nil
	s := c.String()
	if scheme, rest, ok := strings.Cut(s, "://"); ok && hadUser {
		s = scheme + "://" + redacted + "@" + rest
	}
	return sec.scrub(s)
}

// redactQuery redacts the values of credential parameters in a query or
// form body, keeping the order and encoding of the others.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && secretName(name) {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// redactText redacts credentials in free text: user:password@ in URLs,
// secret=value pairs and "secret": value pairs, then registered secrets.
func redactText(text string, sec *secrets) string {
	text = textJSONPair.ReplaceAllStringFunc(text, func(m string) string {
		sub := textJSONPair.FindStringSubmatch(m)
		return sub[1] + jsonValue(sub[2], true)
	})
	return redactURLs(text, sec)
}

// redactURLs redacts user:password@ and secret=value pairs in text, then
// registered secrets.
func redactURLs(text string, sec *secrets) string {
	text = textUserinfo.ReplaceAllString(text, "${1}"+redacted+"@")
	text = textParam.ReplaceAllString(text, "${1}"+redacted)
	return sec.scrub(text)
}

// redactBody redacts a body's text: parameters of form bodies, values of
// credential keys in JSON (a document or NDJSON, whole or cut at the cap),
// then credentials in free text and registered secrets everywhere.
func redactBody(content, contentType string, sec *secrets) string {
	switch {
	case strings.Contains(strings.ToLower(contentType), "x-www-form-urlencoded"):
		return redactURLs(redactQuery(content), sec)
	case looksLikeJSON(content):
		return redactURLs(redactJSON(content), sec)
	}
	return redactText(content, sec)
}
