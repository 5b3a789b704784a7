package mapping

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// toString converts like the reference's convert processor with type
// string: scalars become their text (numbers as Java prints them), lists
// are converted element by element, absent values stay absent. An object
// cannot be converted: the result is a failure.
func toString(v any) any {
	switch x := native(v).(type) {
	case nil, *Failure:
		return x
	case []any:
		return convertList(x, toString)
	case map[string]any:
		return fail("cannot convert an object to a string: %s", preview(x))
	}
	s, _ := renderString(v)
	return s
}

// toBool converts like the convert processor with type boolean: true and
// false, or their text in any letter case; anything else is a failure.
func toBool(v any) any {
	switch x := native(v).(type) {
	case nil, *Failure, bool:
		return x
	case []any:
		return convertList(x, toBool)
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return fail("%s is not a boolean value, cannot convert to boolean", preview(v))
}

// toLong converts like the convert processor with type long: whole numbers
// and their decimal or 0x-hexadecimal text; anything else (including
// numbers with a fraction) is a failure.
func toLong(v any) any {
	switch x := native(v).(type) {
	case nil, *Failure, int64:
		return x
	case []any:
		return convertList(x, toLong)
	case string:
		if n, ok := parseLong(x); ok {
			return n
		}
	}
	return fail("%s is not a whole number, cannot convert to long", preview(v))
}

func parseLong(s string) (int64, bool) {
	digits, base := s, 10
	sign := ""
	if strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+") {
		sign, digits = digits[:1], digits[1:]
	}
	if strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0X") || strings.HasPrefix(digits, "#") {
		digits, base = strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(digits, "0x"), "0X"), "#"), 16
	}
	if digits == "" || strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+") {
		return 0, false
	}
	n, err := strconv.ParseInt(sign+digits, base, 64)
	return n, err == nil
}

func convertList(l []any, conv func(any) any) []any {
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = conv(e)
	}
	return out
}

// isIP reports whether v is the text of an IPv4 or IPv6 address.
func isIP(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// javaDouble formats f as Java's Double.toString does, which is how the
// reference renders a floating-point number as text: decimal notation with
// at least one fractional digit between 10^-3 and 10^7, otherwise
// scientific notation such as 1.0E7.
func javaDouble(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case f > 1.7976931348623157e308:
		return "Infinity"
	case f < -1.7976931348623157e308:
		return "-Infinity"
	}
	abs := f
	if abs < 0 {
		abs = -abs
	}
	if abs == 0 || (abs >= 1e-3 && abs < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if exp[0] == '+' {
		exp = exp[1:]
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// preview quotes a value for an error message, shortened so a huge value
// does not flood error.message.
func preview(v any) string {
	const max = 120
	var s string
	if str, ok := v.(string); ok {
		s = strconv.Quote(str)
	} else if r, ok := renderString(v); ok {
		s = r
	} else {
		s = jsonPreview(v)
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func jsonPreview(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
