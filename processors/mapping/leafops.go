package mapping

import (
	"math"
	"strings"
	"unicode/utf8"
)

// builtin returns the implementation of a function of n arguments (a
// member function's target first); nil when there is none.
func (lc *leafCompiler) builtin(fn string, n int) func(a, b, c any) (any, bool) {
	e := lc.e
	ep := &lc.e
	unaries := map[string]func(any) any{
		"to_string": toString, "to_bool": toBool, "to_long": toLong, "es_date": esDate,
		"is_ip": func(v any) any { return isIP(v) },
		"geoip": func(v any) any {
			if s, ok := v.(string); ok && s != "" {
				return &enriched{e: ep, kind: enrichCity, s: s}
			}
			return map[string]any{}
		},
		"asn": func(v any) any {
			if s, ok := v.(string); ok && s != "" {
				return &enriched{e: ep, kind: enrichASN, s: s}
			}
			return map[string]any{}
		},
		"user_agent": func(v any) any {
			if s, ok := v.(string); ok {
				return &enriched{e: ep, kind: enrichUserAgent, s: s}
			}
			return e.userAgent(v)
		},
		"drop_empty": func(v any) any { p, _ := pruned(v); return p },
		"dyn":        func(v any) any { return v },
	}
	if f, ok := unaries[fn]; ok && n == 1 {
		return func(a, _, _ any) (any, bool) { return f(native(a)), true }
	}
	switch {
	case fn == "fail" && n == 1:
		return func(a, _, _ any) (any, bool) {
			msg, ok := a.(string)
			return fail("%s", msg), ok
		}
	case fn == "fail" && n == 2:
		return func(a, b, _ any) (any, bool) {
			msg, ok := a.(string)
			return fail("%s: %s", msg, preview(native(b))), ok
		}
	case fn == "append_unique" && n == 2:
		return func(a, b, _ any) (any, bool) {
			l, ok := a.([]any)
			if !ok {
				return nil, false
			}
			return appendUniqueNative(append(make([]any, 0, len(l)+1), l...), b), true
		}
	case fn == "without" && n == 2:
		return func(a, b, _ any) (any, bool) {
			m, ok1 := asMapValue(a)
			l, ok2 := b.([]any)
			if !ok1 || !ok2 {
				return nil, false
			}
			var ps []string
			for _, p := range l {
				if s, ok := p.(string); ok {
					ps = append(ps, s)
				}
			}
			return withoutPaths(m, ps), true
		}
	case fn == "merge" && n == 2:
		return func(a, b, _ any) (any, bool) {
			am, ok1 := asMapValue(a)
			bm, ok2 := asMapValue(b)
			return deepMerge(am, bm), ok1 && ok2
		}
	case fn == "type" && n == 1:
		return func(a, _, _ any) (any, bool) { return typeOf(a) }
	case (fn == "_==_" || fn == "_!=_") && n == 2:
		neq := fn == "_!=_"
		return func(a, b, _ any) (any, bool) {
			eq, ok := equal(a, b)
			return eq != neq, ok
		}
	case fn == "!_" && n == 1:
		return func(a, _, _ any) (any, bool) {
			b, ok := a.(bool)
			return !b, ok
		}
	case fn == "@in" && n == 2:
		return in
	case fn == "_+_" && n == 2:
		return add
	case fn == "size" && n == 1:
		return func(a, _, _ any) (any, bool) {
			switch x := a.(type) {
			case string:
				return int64(utf8.RuneCountInString(x)), utf8.ValidString(x)
			case []any:
				return int64(len(x)), true
			case map[string]any, *overlay, *enriched, *jsonObject:
				m, _ := asMapValue(x)
				return int64(len(m)), true
			}
			return nil, false
		}
	}
	return lc.stringFunction(fn, n)
}

// stringFunction implements the string functions programs use, on valid
// UTF-8 text only (cel-go counts in code points).
func (lc *leafCompiler) stringFunction(fn string, n int) func(a, b, c any) (any, bool) {
	str := func(v any) (string, bool) {
		s, ok := v.(string)
		return s, ok && utf8.ValidString(s)
	}
	switch {
	case fn == "lowerAscii" && n == 1:
		return func(a, _, _ any) (any, bool) {
			s, ok := str(a)
			if !ok {
				return nil, false
			}
			return lowerASCII(s), true
		}
	case fn == "replace" && n == 3:
		return func(a, b, c any) (any, bool) {
			s, ok1 := str(a)
			old, ok2 := str(b)
			repl, ok3 := str(c)
			return strings.ReplaceAll(s, old, repl), ok1 && ok2 && ok3
		}
	case (fn == "contains" || fn == "startsWith" || fn == "endsWith") && n == 2:
		test := map[string]func(string, string) bool{
			"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
		}[fn]
		return func(a, b, _ any) (any, bool) {
			s, ok1 := a.(string)
			sub, ok2 := b.(string)
			return test(s, sub), ok1 && ok2
		}
	case fn == "indexOf" && n == 2:
		return func(a, b, _ any) (any, bool) {
			s, ok1 := str(a)
			sub, ok2 := str(b)
			if !ok1 || !ok2 {
				return nil, false
			}
			i := strings.Index(s, sub)
			if i < 0 {
				return int64(-1), true
			}
			return int64(utf8.RuneCountInString(s[:i])), true
		}
	case fn == "substring" && n == 2:
		return func(a, b, _ any) (any, bool) {
			s, ok1 := str(a)
			start, ok2 := b.(int64)
			if !ok1 || !ok2 || start < 0 {
				return nil, false
			}
			for i := range s {
				if start == 0 {
					return s[i:], true
				}
				start--
			}
			return "", start == 0
		}
	}
	return nil
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// typeOf is type(x) for the document's value types.
func typeOf(v any) (any, bool) {
	switch v.(type) {
	case nil:
		return celType("null_type"), true
	case string:
		return celType("string"), true
	case bool:
		return celType("bool"), true
	case int64:
		return celType("int"), true
	case float64:
		return celType("double"), true
	case map[string]any, *overlay, *enriched, *jsonObject:
		return celType("map"), true
	case []any:
		return celType("list"), true
	case *Failure:
		return celType("failure"), true
	}
	return nil, false
}

// equal is CEL's == for scalars (numbers compare across int and double);
// ok is false for values it leaves to cel-go.
func equal(a, b any) (eq, ok bool) {
	switch x := a.(type) {
	case nil:
		switch b.(type) {
		case nil:
			return true, true
		case string, bool, int64, float64, celType:
			return false, true
		}
	case string, bool, celType:
		switch b.(type) {
		case nil, string, bool, int64, float64, celType:
			return a == b, true
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y, true
		case float64:
			return float64(x) == y && !math.IsNaN(y), true
		case nil, string, bool, celType:
			return false, true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y, true
		case int64:
			return x == float64(y), true
		case nil, string, bool, celType:
			return false, true
		}
	}
	return false, false
}

// in is x in list, and key in map for string keys.
func in(a, b, _ any) (any, bool) {
	switch l := b.(type) {
	case []any:
		for _, e := range l {
			eq, ok := equal(a, e)
			if !ok {
				return nil, false
			}
			if eq {
				return true, true
			}
		}
		return false, true
	case map[string]any, *overlay, *enriched, *jsonObject:
		k, ok := a.(string)
		_, has, _ := getKey(l, k)
		return has, ok
	}
	return nil, false
}

// add is + for ints (without overflow), doubles, strings and lists.
func add(a, b, _ any) (any, bool) {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		s := x + y
		return s, ok && (s > x) == (y > 0)
	case float64:
		y, ok := b.(float64)
		return x + y, ok
	case string:
		y, ok := b.(string)
		return x + y, ok
	case []any:
		y, ok := b.([]any)
		return append(append(make([]any, 0, len(x)+len(y)), x...), y...), ok
	}
	return nil, false
}
