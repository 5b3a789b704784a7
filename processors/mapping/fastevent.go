package mapping

import (
	"strings"
	"time"
)

// The default event program, programs/event.cel, is the source of truth
// for how an event is mapped. Events are the dataset that arrives by the
// million, and interpreting the program costs several times the budget of
// a few microseconds per event, so mapEventFast does the same in Go. It is
// used only while the event program is the default one (an extension still
// runs in CEL), and tests hold it to the program: the conformance, golden
// and bad-record tests and FuzzMap map every record both ways and require
// identical documents. Change both together.

// eventCategory is a row of the categorization table in event.cel.
type eventCategory struct {
	category, typ []string
	outcome       string
}

var eventCategories = map[string]eventCategory{
	"login":                 {[]string{"authentication"}, []string{"start"}, "success"},
	"login_failed":          {[]string{"authentication"}, []string{"start"}, "failure"},
	"logout":                {[]string{"authentication"}, []string{"end"}, "success"},
	"user_write":            {[]string{"iam"}, []string{"change"}, ""},
	"suspicious_request":    {[]string{"intrusion_detection"}, []string{"info"}, ""},
	"password_set":          {[]string{"iam"}, []string{"change", "user"}, ""},
	"secret_view":           {[]string{"iam"}, []string{"info"}, ""},
	"secret_rotate":         {[]string{"iam"}, []string{"change"}, ""},
	"invitation_used":       {[]string{"iam"}, []string{"info"}, ""},
	"authorize_application": {[]string{"authentication"}, []string{"info"}, ""},
	"configuration_error":   {[]string{"configuration"}, []string{"info"}, ""},
	"model_created":         {[]string{"configuration"}, []string{"info", "creation"}, ""},
	"model_updated":         {[]string{"configuration"}, []string{"info", "change"}, ""},
	"model_deleted":         {[]string{"configuration"}, []string{"info", "deletion"}, ""},
	"email_sent":            {[]string{"email"}, []string{"info"}, ""},
}

// eventConversions are the authentik.event paths event.cel converts in
// place with with(): where the value is read and how it is converted.
var eventConversions = []struct {
	path    string
	convert conversion
	keys    []string // path split at the dots, filled in by init
}{
	{"context.model.pk", convString, nil},
	{"context.request.user.pk", convString, nil},
	{"context.authorized_application.pk", convString, nil},
	{"context.binding.pk", convString, nil},
	{"context.request.context.event.pk", convString, nil},
	{"context.request.obj.pk", convString, nil},
	{"context.secret.pk", convString, nil},
	{"context.stage.pk", convString, nil},
	{"context.token.pk", convString, nil},
	{"context.flow", convPK, nil},
	{"context.result.passing", convBool, nil},
	{"context.created", convBool, nil},
	{"expires", convDate, nil},
	{"user.is_anonymous", convBool, nil},
	{"user.on_behalf_of.pk", convString, nil},
	{"user.pk", convString, nil},
}

// conversion names one of the program's conversion functions.
type conversion int

// The conversions: to_string, to_bool, es_date, and a model reference
// to its pk (an object's pk as a string, anything else unchanged).
const (
	convString conversion = 1 + iota
	convBool
	convDate
	convPK
)

// apply converts v as the function does.
func (c conversion) apply(v any) any {
	switch c {
	case convString:
		return toString(v)
	case convBool:
		return toBool(v)
	case convPK:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		if pk, ok := m["pk"]; ok {
			return toString(pk)
		}
		return nil
	}
	return esDate(v)
}

// eventDuplicateKeys is eventDuplicates split at the dots.
var eventDuplicateKeys [][]string

func init() {
	for i := range eventConversions {
		eventConversions[i].keys = strings.Split(eventConversions[i].path, ".")
	}
	for _, p := range eventDuplicates {
		eventDuplicateKeys = append(eventDuplicateKeys, strings.Split(p, "."))
	}
}

// eventDuplicates are the authentik.event fields removed unless the tag
// preserve_duplicate_custom_fields is set.
var eventDuplicates = []string{
	"client_ip", "created", "pk", "user.email", "user.pk", "user.username",
	"context.http_request.method", "context.http_request.path",
	"context.http_request.user_agent",
}

// mapEventFast maps an event record as programs/event.cel does; preserve
// tells whether the tags hold preserve_duplicate_custom_fields.
func (e enrichers) mapEventFast(record map[string]any, preserve bool, collected time.Time) map[string]any {
	ip := record["client_ip"]
	if !(ip == nil || ip == "" || isIP(ip)) {
		ip = fail("authentik.event.client_ip: not an IP address: %s", preview(ip))
	}
	created := esDate(record["created"])
	timestamp := created
	if s, ok := created.(string); !ok || s == "" {
		timestamp = formatDate(collected)
	}
	var userPK any
	if pk, ok := lookupPath(record, "user", "pk"); ok {
		userPK = toString(pk)
	}
	email, _ := lookupPath(record, "user", "email")
	return map[string]any{
		"ecs":        map[string]any{"version": "8.11.0"},
		"@timestamp": timestamp,
		"event":      eventFields(record, created),
		"observer":   map[string]any{"vendor": "authentik", "product": "authentik"},
		"source":     map[string]any{"ip": ip, "geo": lookup(ip, e.geo.City), "as": lookup(ip, e.geo.ASN)},
		"related": map[string]any{
			"ip":   appendUniqueNative(make([]any, 0, 1), ip),
			"user": relatedEventUsers(record, email, userPK),
		},
		"http":       map[string]any{"request": map[string]any{"method": valueAt(record, "context", "http_request", "method")}},
		"url":        map[string]any{"path": valueAt(record, "context", "http_request", "path")},
		"user_agent": e.userAgent(valueAt(record, "context", "http_request", "user_agent")),
		"user": map[string]any{
			"email":  email,
			"domain": emailDomain(email),
			"id":     userPK,
			"name":   valueAt(record, "user", "username"),
		},
		"authentik": map[string]any{"event": authentikEvent(record, ip, created, preserve)},
	}
}

func eventFields(record map[string]any, created any) map[string]any {
	action := record["action"]
	ev := map[string]any{"kind": "event", "id": record["pk"], "created": created}
	switch a := action.(type) {
	case nil:
	case string:
		ev["action"] = strings.ReplaceAll(asciiLower(a), "_", "-")
		if c, ok := eventCategories[a]; ok {
			ev["category"] = stringList(c.category)
			ev["type"] = stringList(c.typ)
			if c.outcome != "" {
				ev["outcome"] = c.outcome
			}
		}
	default:
		ev["action"] = fail("event.action: the action is not a string: %s", preview(action))
	}
	return ev
}

func relatedEventUsers(record map[string]any, email, userPK any) []any {
	l := appendUniqueNative(make([]any, 0, 6), email)
	l = appendUniqueNative(l, valueAt(record, "user", "on_behalf_of", "email"))
	if pk, ok := lookupPath(record, "user", "on_behalf_of", "pk"); ok {
		l = appendUniqueNative(l, toString(pk))
	}
	l = appendUniqueNative(l, valueAt(record, "user", "on_behalf_of", "username"))
	l = appendUniqueNative(l, userPK)
	return appendUniqueNative(l, valueAt(record, "user", "username"))
}

// authentikEvent converts the record's fields as event.cel's with() and
// without() do. Those copy; here the record is changed in place, which
// gives the same document because the record belongs to this mapping and
// nothing else in the document refers to the maps that change.
func authentikEvent(record map[string]any, ip, created any, preserve bool) map[string]any {
	converted := make([]any, len(eventConversions))
	found := make([]bool, len(eventConversions))
	for i, c := range eventConversions {
		var v any
		if v, found[i] = lookupPath(record, c.keys...); found[i] {
			converted[i] = c.convert.apply(v)
		}
	}
	record["client_ip"], record["created"] = ip, created
	for i, c := range eventConversions {
		if found[i] {
			parent, _ := lookupPath(record, c.keys[:len(c.keys)-1]...)
			parent.(map[string]any)[c.keys[len(c.keys)-1]] = converted[i]
		}
	}
	if !preserve {
		for _, keys := range eventDuplicateKeys {
			if parent, ok := lookupPath(record, keys[:len(keys)-1]...); ok {
				if m, ok := parent.(map[string]any); ok {
					delete(m, keys[len(keys)-1])
				}
			}
		}
	}
	return record
}

// lookupPath follows keys through nested maps like CEL's x.?a.?b: ok is
// false when a key is missing or a value on the way is not a map.
func lookupPath(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// valueAt is lookupPath(...).orValue(null).
func valueAt(v any, keys ...string) any {
	v, _ = lookupPath(v, keys...)
	return v
}

func emailDomain(email any) any {
	if s, ok := email.(string); ok {
		if _, domain, found := strings.Cut(s, "@"); found {
			return domain
		}
	}
	return ""
}

// asciiLower lowers A-Z only, as CEL's lowerAscii.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func stringList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
