package mapping

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// adapter turns Go values into CEL values. map[string]any and []any are
// wrapped, not copied, so a record crosses into CEL at no cost.
var adapter = types.DefaultTypeAdapter

// toNative turns a CEL value into the JSON value types documents are made
// of (map[string]any, []any, string, bool, int64, float64, nil) plus
// *Failure markers. Maps and lists that wrap Go values are returned as they
// are, without copying; the document may therefore share them with the
// record, which is owned by the same Map call.
func toNative(v ref.Val) any {
	switch v := v.(type) {
	case types.String:
		return string(v)
	case types.Int:
		return int64(v)
	case types.Uint:
		if v <= math.MaxInt64 {
			return int64(v)
		}
		return float64(v)
	case types.Double:
		return float64(v)
	case types.Bool:
		return bool(v)
	case types.Null:
		return nil
	case *Failure:
		return v
	case *types.Optional:
		if v.HasValue() {
			return toNative(v.GetValue())
		}
		return nil
	case types.Timestamp:
		return formatDate(v.Time)
	case types.Duration:
		return v.Duration.String()
	case types.Bytes:
		return base64.StdEncoding.EncodeToString(v)
	case *types.Err:
		return fail("%s", v.Error())
	}
	switch nv := v.Value().(type) {
	case map[string]any:
		return nv
	case []any:
		return nv
	}
	switch c := v.(type) {
	case traits.Mapper:
		return mapToNative(c)
	case traits.Lister:
		return listToNative(c)
	}
	return fmt.Sprint(v.Value())
}

func mapToNative(m traits.Mapper) map[string]any {
	out := make(map[string]any, int(m.Size().(types.Int)))
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		out[keyString(k)] = toNative(m.Get(k))
	}
	return out
}

func listToNative(l traits.Lister) []any {
	n := int(l.Size().(types.Int))
	out := make([]any, n)
	for i := range n {
		out[i] = toNative(l.Get(types.Int(i)))
	}
	return out
}

// keyString renders a map key; CEL allows int, uint and bool keys too.
func keyString(k ref.Val) string {
	if s, ok := k.(types.String); ok {
		return string(s)
	}
	return fmt.Sprint(k.Value())
}

// native normalises a Go value a function or the record produced into the
// document's value types.
func native(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case uint32:
		return int64(v)
	case float32:
		return float64(v)
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v)
		}
		return float64(v)
	case ref.Val:
		return toNative(v)
	case time.Time:
		return formatDate(v)
	case *overlay:
		return v.materialise()
	case *enriched:
		return v.materialise()
	case *jsonObject:
		return v.materialise()
	}
	return v
}

// renderString renders a scalar the way the reference's templates and
// string conversion do (Java's toString): ok is false for maps, lists and
// absent values.
func renderString(v any) (string, bool) {
	switch v := native(v).(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return javaDouble(v), true
	}
	return "", false
}
