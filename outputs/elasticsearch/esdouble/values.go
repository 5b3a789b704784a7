package esdouble

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// checkValue returns why the scalar tok (string, json.Number or bool)
// cannot be a value of the field f, or "" when it can. An object or array
// never reaches it.
func checkValue(f *field, path string, tok json.Token) string {
	text, isString := tok.(string)
	if !isString {
		text = fmt.Sprint(tok)
	}
	switch f.typ {
	case "keyword", "wildcard", "text", "match_only_text", "version":
		// Numbers and booleans are indexed as their text; ignore_above only
		// leaves a longer value out of the index, the document is kept.
		return ""
	case "constant_keyword":
		if f.value != nil && text != fmt.Sprint(f.value) {
			return fmt.Sprintf("[constant_keyword] field [%s] only accepts values that are equal to the value "+
				"defined in the mappings [%v], but got [%s]", path, f.value, text)
		}
		return ""
	case "long", "integer", "short", "byte", "unsigned_long":
		return checkInteger(f, tok, text, isString)
	case "float", "double", "half_float", "scaled_float":
		return checkFloat(f, tok, text, isString)
	case "boolean":
		if b, ok := tok.(bool); ok && (b || !b) {
			return ""
		}
		if isString && (text == "true" || text == "false" || text == "") {
			return ""
		}
		return fmt.Sprintf("Failed to parse value [%s] as only [true] or [false] are allowed.", text)
	case "date", "date_nanos":
		if _, isBool := tok.(bool); !isBool && isDate(text) {
			return ""
		}
		return fmt.Sprintf("failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]", text)
	case "ip":
		if _, err := netip.ParseAddr(text); err == nil && isString {
			return ""
		}
		return fmt.Sprintf("'%s' is not an IP string literal.", text)
	case "geo_point":
		return checkGeoPoint(tok)
	case "flattened":
		return fmt.Sprintf("Failed to parse object: expecting token of type [START_OBJECT] but found [%s]", tokenName(tok))
	}
	return ""
}

// tokenName names a scalar JSON token as Jackson does.
func tokenName(tok json.Token) string {
	switch t := tok.(type) {
	case string:
		return "VALUE_STRING"
	case bool:
		if t {
			return "VALUE_TRUE"
		}
		return "VALUE_FALSE"
	case json.Number:
		if isIntegral(string(t)) {
			return "VALUE_NUMBER_INT"
		}
		return "VALUE_NUMBER_FLOAT"
	}
	return "VALUE_NULL"
}

// integerRanges are the bounds of the integer field types.
var integerRanges = map[string][2]*big.Int{
	"long":          {big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)},
	"integer":       {big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32)},
	"short":         {big.NewInt(math.MinInt16), big.NewInt(math.MaxInt16)},
	"byte":          {big.NewInt(math.MinInt8), big.NewInt(math.MaxInt8)},
	"unsigned_long": {big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)},
}

// checkInteger applies the integer types' rules: a JSON number or (with
// coerce, the default) a numeric string; a decimal part is truncated with
// coerce and refused without; an empty string counts as null; booleans and
// other strings are refused; the value must be in the type's range.
func checkInteger(f *field, tok json.Token, text string, isString bool) string {
	if reason, done := checkNumericToken(f, tok, text, isString); done {
		return reason
	}
	n, ok := new(big.Float).SetPrec(200).SetString(strings.TrimSpace(text))
	if !ok || n.IsInf() {
		return fmt.Sprintf("For input string: \"%s\"", text)
	}
	if !n.IsInt() && !f.coerce {
		return fmt.Sprintf("Value [%s] has a decimal part", text)
	}
	i, _ := n.Int(nil)
	r := integerRanges[f.typ]
	if i.Cmp(r[0]) < 0 || i.Cmp(r[1]) > 0 {
		return fmt.Sprintf("Value [%s] is out of range for a %s", text, f.typ)
	}
	return ""
}

// checkFloat applies the floating point types' rules: a number or (with
// coerce) a numeric string, finite.
func checkFloat(f *field, tok json.Token, text string, isString bool) string {
	if reason, done := checkNumericToken(f, tok, text, isString); done {
		return reason
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprintf("For input string: \"%s\"", text)
	}
	return ""
}

// checkNumericToken applies the rules every numeric type shares: a
// boolean is refused, an empty string is null, another string needs
// coerce. done is true when that decides (with reason "" for accepted).
func checkNumericToken(f *field, tok json.Token, text string, isString bool) (reason string, done bool) {
	if _, isBool := tok.(bool); isBool {
		return fmt.Sprintf("Current token (%s) not numeric, can not use numeric value accessors", tokenName(tok)), true
	}
	switch {
	case !isString:
		return "", false
	case text == "":
		return "", true
	case !f.coerce:
		return fmt.Sprintf("[coerce] is false, cannot parse value [%s]", text), true
	}
	return "", false
}

// checkGeoPoint accepts the geo_point forms akship can send: an object
// with numeric lat and lon, "lat,lon", a [lon, lat] array, a geohash.
func checkGeoPoint(v any) string {
	switch x := v.(type) {
	case []pair:
		var lat, lon bool
		for _, kv := range x {
			_, num := kv.val.(json.Number)
			lat = lat || (kv.key == "lat" && num)
			lon = lon || (kv.key == "lon" && num)
		}
		if lat && lon {
			return ""
		}
		return "field [lat] or [lon] missing or not a number"
	case []any:
		if len(x) >= 2 {
			return ""
		}
		return "geo_point expected"
	case string:
		if parts := strings.Split(x, ","); len(parts) == 2 {
			_, e1 := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
			_, e2 := strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
			if e1 == nil && e2 == nil {
				return ""
			}
		}
		if geohash.MatchString(x) {
			return ""
		}
		return fmt.Sprintf("unsupported symbol [%s] in geohash [%s]", x, x)
	}
	return "geo_point expected"
}

var geohash = regexp.MustCompile(`^[0-9b-hjkmnp-z]{1,12}$`)

// isoDate is strict_date_optional_time: yyyy[-MM[-dd]] then optionally
// 'T'HH[:mm[:ss[.fraction]]] and a zone.
var isoDate = regexp.MustCompile(
	`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$`)

// epochMillis is epoch_millis: milliseconds, optionally with a fraction.
var epochMillis = regexp.MustCompile(`^-?\d{1,19}(?:\.\d{1,6})?$`)

// isDate reports whether s parses with strict_date_optional_time||
// epoch_millis, the default format of a date field.
func isDate(s string) bool {
	if epochMillis.MatchString(s) {
		return true
	}
	return isStrictDate(s)
}

// isStrictDate checks strict_date_optional_time, calendar included.
func isStrictDate(s string) bool {
	m := isoDate.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	year, month, day := num(1, 0), num(2, 1), num(3, 1)
	if month < 1 || month > 12 || day < 1 || day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return false
	}
	return num(4, 0) < 24 && num(5, 0) < 60 && num(6, 0) < 60
}

// isDynamicDate is date_detection's test with the default
// dynamic_date_formats, [strict_date_optional_time, yyyy/MM/dd HH:mm:ss Z
// || yyyy/MM/dd Z]. Bare numbers are not dates to it.
func isDynamicDate(s string) bool {
	if isStrictDate(s) && strings.Contains(s, "-") {
		return true
	}
	return slashDate.MatchString(s)
}

var slashDate = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}(?: \d{2}:\d{2}:\d{2})?(?: ?[+-]\d{4}| ?Z)?$`)

// isIntegral reports whether a JSON number has no fraction or exponent.
func isIntegral(n string) bool { return !strings.ContainsAny(n, ".eE") }
