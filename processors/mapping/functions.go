package mapping

import (
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"akship/processors/mapping/geoip"
	"akship/processors/mapping/useragent"
)

// enrichers are the lookups behind the geoip, asn and user_agent functions.
type enrichers struct {
	geo *geoip.DB
	ua  *useragent.Parser
}

var (
	dynMap  = cel.MapType(cel.StringType, cel.DynType)
	dynList = cel.ListType(cel.DynType)
)

// library declares akship's CEL functions (documented in README.md).
func (e enrichers) library() []cel.EnvOption {
	return []cel.EnvOption{
		unary("geoip", dynMap, func(v any) any { return lookup(v, e.geo.City) }),
		unary("asn", dynMap, func(v any) any { return lookup(v, e.geo.ASN) }),
		unary("user_agent", cel.DynType, e.userAgent),
		unary("es_date", cel.DynType, esDate),
		unary("to_string", cel.DynType, toString),
		unary("to_bool", cel.DynType, toBool),
		unary("to_long", cel.DynType, toLong),
		unary("is_ip", cel.BoolType, func(v any) any { return isIP(v) }),
		unary("drop_empty", cel.DynType, func(v any) any { p, _ := pruned(v); return p }),
		cel.Function("fail",
			cel.Overload("fail_string", []*cel.Type{cel.StringType}, cel.DynType,
				cel.UnaryBinding(func(msg ref.Val) ref.Val { return fail("%s", msg.Value()) })),
			cel.Overload("fail_string_dyn", []*cel.Type{cel.StringType, cel.DynType}, cel.DynType,
				cel.BinaryBinding(func(msg, v ref.Val) ref.Val {
					return fail("%s: %s", msg.Value(), preview(toNative(v)))
				}))),
		cel.Function("field",
			cel.Overload("field_dyn_string", []*cel.Type{cel.DynType, cel.StringType}, cel.OptionalType(cel.DynType),
				cel.BinaryBinding(field))),
		cel.Function("append_unique",
			cel.Overload("append_unique_list_dyn", []*cel.Type{dynList, cel.DynType}, dynList,
				cel.BinaryBinding(appendUnique)),
			cel.MemberOverload("list_append_unique_dyn", []*cel.Type{dynList, cel.DynType}, dynList,
				cel.BinaryBinding(appendUnique))),
		cel.Function("with",
			cel.Overload("with_map_map", []*cel.Type{dynMap, dynMap}, dynMap, cel.BinaryBinding(with))),
		cel.Function("without",
			cel.Overload("without_map_list", []*cel.Type{dynMap, cel.ListType(cel.StringType)}, dynMap,
				cel.BinaryBinding(without))),
		cel.Function("merge",
			cel.Overload("merge_map_map", []*cel.Type{dynMap, dynMap}, dynMap,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val {
					return adapter.NativeToValue(deepMerge(asMap(a), asMap(b)))
				}))),
	}
}

// unary declares a one-argument function over dyn implemented on native
// values.
func unary(name string, result *cel.Type, fn func(any) any) cel.EnvOption {
	return cel.Function(name, cel.Overload(name+"_dyn", []*cel.Type{cel.DynType}, result,
		cel.UnaryBinding(func(v ref.Val) ref.Val { return adapter.NativeToValue(fn(toNative(v))) })))
}

// lookup runs a GeoIP lookup on the text of an address; anything else
// (absent, a failure, not a string) finds nothing.
func lookup(v any, find func(string) map[string]any) any {
	s, ok := v.(string)
	if !ok || s == "" {
		return map[string]any{}
	}
	return find(s)
}

// userAgent parses a user agent as the reference's user_agent processor
// with ignore_missing: absent stays absent, a non-string is a failure.
func (e enrichers) userAgent(v any) any {
	switch x := v.(type) {
	case nil, *Failure:
		return x
	case string:
		return e.ua.Parse(x).Fields()
	}
	return fail("user agent %s is not a string", preview(v))
}

// appendUnique appends value to list unless it is already there: the
// reference's append processor with allow_duplicates false. The value is
// rendered as text like the reference's templates; a list appends each of
// its elements; absent values, failures and objects append nothing.
func appendUnique(list, value ref.Val) ref.Val {
	prev := asList(list)
	out := append(make([]any, 0, len(prev)+1), prev...)
	return adapter.NativeToValue(appendUniqueNative(out, toNative(value)))
}

// appendUniqueNative is appendUnique on document values; it appends to l.
func appendUniqueNative(l []any, value any) []any {
	add := func(v any) {
		s, ok := renderString(v)
		if !ok {
			return
		}
		for _, e := range l {
			if es, isString := e.(string); isString && es == s {
				return
			}
		}
		if cap(l) == 0 {
			l = make([]any, 0, 4) // lists of a few, grown once at most
		}
		if _, isString := v.(string); isString {
			l = append(l, v) // already boxed: no copy of its own
		} else {
			l = append(l, s)
		}
	}
	if vs, ok := value.([]any); ok {
		for _, v := range vs {
			add(v)
		}
		return l
	}
	add(value)
	return l
}

// field looks a dotted path up through nested maps: optional.of(value),
// or optional.none() when a key is missing or a value on the way is not a
// map. CEL's own x.?a.?b is an error when x.a is a list, and records are
// not to be trusted to have the expected shape.
func field(v, path ref.Val) ref.Val {
	p, ok := path.(types.String)
	if !ok {
		return types.OptionalNone
	}
	found, ok := lookupPath(toNative(v), strings.Split(string(p), ".")...)
	if !ok {
		return types.OptionalNone
	}
	return types.OptionalOf(adapter.NativeToValue(found))
}

// with sets dotted paths in a copy of a map; an absent optional value
// (x.?y.optMap(...) of a missing field) leaves its path as it is.
func with(m, values ref.Val) ref.Val {
	vm, ok := values.(traits.Mapper)
	if !ok {
		return types.NewErr("with: the second argument is not a map")
	}
	set := map[string]any{}
	for it := vm.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		v := vm.Get(k)
		if opt, ok := v.(*types.Optional); ok && !opt.HasValue() {
			continue
		}
		set[keyString(k)] = toNative(v)
	}
	return adapter.NativeToValue(withPaths(asMap(m), set))
}

// without removes dotted paths from a copy of a map.
func without(m, paths ref.Val) ref.Val {
	var ps []string
	for _, p := range asList(paths) {
		if s, ok := p.(string); ok {
			ps = append(ps, s)
		}
	}
	return adapter.NativeToValue(withoutPaths(asMap(m), ps))
}

func asMap(v ref.Val) map[string]any {
	m, _ := toNative(v).(map[string]any)
	return m
}

func asList(v ref.Val) []any {
	l, _ := toNative(v).([]any)
	return l
}

// lookupPath follows keys through nested maps.
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
