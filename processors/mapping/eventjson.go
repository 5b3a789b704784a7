package mapping

import (
	"slices"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"akship/internal/jsonenc"
)

// The event program's native twin writes the finished document's JSON
// directly (see docWriter), for the default event program without an
// extension: building a tree of maps, finishing it and encoding it for
// Elasticsearch cost three times the mapping itself. It reads the record
// from fastjson's values and gives exactly the bytes the Elasticsearch
// output's encoder gives for the document programs/event.cel and finish
// make (less data_stream, which the output adds); the conformance, golden
// and bad-record tests and FuzzMap compare them. mapEventFast
// (fastevent.go) remains for records fastjson cannot read as encoding/json
// does and for extended programs, which need the document as maps.

// eventRule is what event.cel's with() and without() do at one path of
// authentik.event, the record with its fields converted.
type eventRule struct {
	key      string
	children []*eventRule
	convert  conversion // with(): the value, when present, converted (0: none)
	computed int        // with(): replaced by a value computed before (ruleIP, ruleCreated)
	drop     bool       // without(): removed unless preserve_duplicate_custom_fields
}

// The values computed before authentik.event is written.
const (
	ruleIP = 1 + iota
	ruleCreated
)

// eventRules is the root of the rules, built from the tables of
// fastevent.go.
var eventRules = func() *eventRule {
	root := &eventRule{}
	at := func(path string) *eventRule {
		r := root
		for _, k := range strings.Split(path, ".") {
			i := slices.IndexFunc(r.children, func(c *eventRule) bool { return c.key == k })
			if i < 0 {
				r.children = append(r.children, &eventRule{key: k})
				i = len(r.children) - 1
			}
			r = r.children[i]
		}
		return r
	}
	at("client_ip").computed = ruleIP
	at("created").computed = ruleCreated
	for _, c := range eventConversions {
		at(c.path).convert = c.convert
	}
	for _, p := range eventDuplicates {
		at(p).drop = true
	}
	return root
}()

func (r *eventRule) child(k string) *eventRule {
	for _, c := range r.children {
		if c.key == k {
			return c
		}
	}
	return nil
}

// appendEvent writes the document of an event record. msgs are the
// messages of the failures the first pass over a record found (see
// mapJSON), for the second.
func (e enrichers) appendEvent(w *docWriter, r *eventRecord, original []byte, collected time.Time, dm *datasetMapper, msgs []string) {
	mark := w.open('{')
	w.key("@timestamp")
	w.timestamp(r, collected)
	w.field("authentik", func() bool {
		w.f.path = append(w.f.path[:0], "authentik")
		return w.object(func() bool {
			w.f.path = append(w.f.path, "event")
			return w.field("event", func() bool { return w.ruled(r.root, eventRules, r, dm.preserve) })
		})
	})
	w.b = append(w.b, `,"ecs":{"version":"8.11.0"}`...)
	if len(msgs) > 0 {
		w.b = append(w.b, `,"error":{"message":`...)
		if len(msgs) == 1 {
			w.str(msgs[0])
		} else {
			w.native(stringList(msgs))
		}
		w.b = append(w.b, '}')
	}
	w.key("event")
	w.eventObject(r, original, len(msgs) > 0)
	w.field("http", func() bool {
		return w.object(func() bool {
			return w.field("request", func() bool {
				return w.object(func() bool { return w.rawField("method", find(r.http, "method")) })
			})
		})
	})
	w.b = append(w.b, `,"observer":{"product":"authentik","vendor":"authentik"}`...)
	w.field("related", func() bool { return w.object(func() bool { return w.related(r) }) })
	w.field("source", func() bool { return w.object(func() bool { return e.source(w, r.ip) }) })
	if tags := dm.tagsJSON[min(len(msgs), 1)]; tags != "" {
		w.b = append(w.b, tags...)
	}
	w.field("url", func() bool {
		return w.object(func() bool { return w.rawField("path", find(r.http, "path")) })
	})
	w.field("user", func() bool { return w.object(func() bool { return w.user(r) }) })
	w.f.path = append(w.f.path[:0], "user_agent")
	w.field("user_agent", func() bool { return e.userAgentJSON(w, find(r.http, "user_agent")) })
	w.close(mark, '}')
}

// field writes key k and its value, and removes both when value reports
// that it appended nothing.
func (w *docWriter) field(k string, value func() bool) bool {
	mark := w.key(k)
	if !value() {
		w.b = w.b[:mark]
		return false
	}
	return true
}

// object writes an object whose keys fields writes; it reports false,
// writing nothing, when the object stays empty.
func (w *docWriter) object(fields func() bool) bool {
	mark := w.open('{')
	fields()
	return w.close(mark, '}')
}

// rawField writes key k with a record value (nil: missing).
func (w *docWriter) rawField(k string, v *fastjson.Value) bool {
	if v == nil {
		return false
	}
	return w.field(k, func() bool { return w.raw(v) })
}

// computedField writes key k with a computed value, collecting failures
// at the path path.k.
func (w *docWriter) computedField(path, k string, c computed) bool {
	w.f.path = append(w.f.path[:0], path, k)
	return w.field(k, func() bool { return w.computed(c) })
}

// ruled writes the object of entries es with the rules r of its path.
func (w *docWriter) ruled(es []entry, r *eventRule, rec *eventRecord, preserve bool) bool {
	mark := w.open('{')
	for _, e := range es {
		c := r.child(e.k)
		if c == nil {
			if k := w.key(e.k); !w.raw(e.v) {
				w.b = w.b[:k]
			}
			continue
		}
		if c.drop && !preserve {
			continue
		}
		w.f.path = append(w.f.path, e.k)
		k := w.key(e.k)
		var kept bool
		switch {
		case c.computed == ruleIP:
			kept = w.computed(rec.ip)
		case c.computed == ruleCreated:
			kept = w.computed(rec.created)
		case c.convert != 0:
			kept = w.computed(w.convert(c.convert, e.v))
		case c.children != nil && e.v.Type() == fastjson.TypeObject:
			o, _ := e.v.Object()
			sub := w.sorted(o)
			kept = w.ruled(sub, c, rec, preserve)
			w.pop(sub)
		default:
			kept = w.raw(e.v)
		}
		if !kept {
			w.b = w.b[:k]
		}
		w.f.path = w.f.path[:len(w.f.path)-1]
	}
	return w.close(mark, '}')
}

// eventObject writes the event object: action, the categorization,
// created, dataset, id, kind, original.
func (w *docWriter) eventObject(r *eventRecord, original []byte, failing bool) {
	mark := w.open('{')
	var cat *eventCategoryJSON
	switch v := find(r.root, "action"); {
	case v == nil || v.Type() == fastjson.TypeNull:
	case v.Type() == fastjson.TypeString:
		action := text(v)
		var buf [64]byte
		a := buf[:0]
		for i := 0; i < len(action); i++ {
			switch c := action[i]; {
			case c >= 'A' && c <= 'Z':
				a = append(a, c+'a'-'A')
			case c == '_':
				a = append(a, '-')
			default:
				a = append(a, c)
			}
		}
		w.field("action", func() bool { return w.str(unsafeString(a)) })
		if c, ok := eventCategoriesJSON[action]; ok {
			cat = &c
			w.b = append(w.b, c.category...)
		}
	default:
		w.computedField("event", "action", computed{fail: fail("event.action: the action is not a string: %s", preview(w.value(v)))})
	}
	w.computedField("event", "created", r.created)
	w.key("dataset")
	w.b = append(w.b, `"authentik.event"`...)
	w.rawField("id", find(r.root, "pk"))
	if failing {
		w.b = append(w.b, `,"kind":"pipeline_error"`...)
	} else {
		w.b = append(w.b, `,"kind":"event"`...)
	}
	w.b = append(w.b, `,"original":`...)
	w.b = jsonenc.AppendString(w.b, unsafeString(original))
	if cat != nil {
		w.b = append(w.b, cat.rest...)
	}
	w.close(mark, '}')
}

// eventCategoryJSON is a row of the categorization table as the JSON of
// event.category, and of event.outcome and event.type.
type eventCategoryJSON struct {
	category, rest string
}

var eventCategoriesJSON = func() map[string]eventCategoryJSON {
	out := map[string]eventCategoryJSON{}
	list := func(l []string) string {
		b, _ := (&jsonenc.Encoder{}).Append(nil, l)
		return string(b)
	}
	for action, c := range eventCategories {
		var j eventCategoryJSON
		j.category = `,"category":` + list(c.category)
		if c.outcome != "" {
			j.rest = `,"outcome":` + string(jsonenc.AppendString(nil, c.outcome))
		}
		j.rest += `,"type":` + list(c.typ)
		out[action] = j
	}
	return out
}()

// related writes related.ip and related.user, appended without
// duplicates as the program's append_unique does.
func (w *docWriter) related(r *eventRecord) bool {
	var buf [8]string
	ips := renderComputed(buf[:0], r.ip)
	w.stringsField("ip", ips)
	users := w.renderRaw(ips[len(ips):], find(r.user, "email"))
	users = w.renderRaw(users, find(r.obo, "email"))
	if pk := find(r.obo, "pk"); pk != nil {
		users = renderComputed(users, w.toString(pk))
	}
	users = w.renderRaw(users, find(r.obo, "username"))
	users = renderComputed(users, r.userPK)
	users = w.renderRaw(users, find(r.user, "username"))
	w.stringsField("user", users)
	return true
}

// stringsField writes key k with the non-empty strings of l.
func (w *docWriter) stringsField(k string, l []string) {
	mark := w.key(k)
	arr := w.open('[')
	for _, s := range l {
		if s != "" {
			w.element()
			w.str(s)
		}
	}
	if !w.close(arr, ']') {
		w.b = w.b[:mark]
	}
}

// source writes source.as, source.geo and source.ip.
func (e enrichers) source(w *docWriter, ip computed) bool {
	if s := ip.s; s != "" {
		w.field("as", func() bool {
			n := len(w.b)
			w.b = e.geo.AppendASN(w.b, s)
			return len(w.b) > n
		})
		w.field("geo", func() bool {
			n := len(w.b)
			b, ok := e.geo.AppendCity(w.b, s)
			if !ok {
				w.f.path = append(w.f.path[:0], "source", "geo")
				return w.native(e.geo.City(s))
			}
			w.b = b
			return len(w.b) > n
		})
	}
	w.computedField("source", "ip", ip)
	return true
}

// user writes user.domain, user.email, user.id and user.name.
func (w *docWriter) user(r *eventRecord) bool {
	email := find(r.user, "email")
	if email != nil && email.Type() == fastjson.TypeString {
		if _, domain, found := strings.Cut(text(email), "@"); found {
			w.field("domain", func() bool { return w.str(domain) })
		}
	}
	w.rawField("email", email)
	w.computedField("user", "id", r.userPK)
	w.rawField("name", find(r.user, "username"))
	return true
}

// userAgentJSON writes user_agent, parsed as the program's user_agent
// function does.
func (e enrichers) userAgentJSON(w *docWriter, v *fastjson.Value) bool {
	switch {
	case v == nil || v.Type() == fastjson.TypeNull:
		return false
	case v.Type() == fastjson.TypeString:
		n := len(w.b)
		w.b = e.ua.Parse(text(v)).AppendJSON(w.b)
		return len(w.b) > n
	}
	return w.native(fail("user agent %s is not a string", preview(w.value(v))))
}
