package mapping

import (
	"errors"
	"fmt"
)

// ErrBadRecord is wrapped by the errors for records that are not a JSON
// object. Their documents still ship, with error fields.
var ErrBadRecord = errors.New("bad record")

func decodeObject(raw []byte) (map[string]any, error) {
	v, err := parseJSON(raw)
	if errors.Is(err, errTrailing) {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the record is not valid JSON: %v", ErrBadRecord, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the record is %s, not a JSON object", ErrBadRecord, jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
