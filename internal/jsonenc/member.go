package jsonenc

// AppendWithMember appends the JSON object obj to dst with the member
// "key":raw added as its last (raw is JSON text; obj must not hold key
// already). It reports false, appending nothing, when obj is not written
// as an object ('{' to '}', as akship's encoders write them). dst may be
// obj[:0], to add the member in place within obj's capacity.
func AppendWithMember(dst, obj []byte, key string, raw []byte) ([]byte, bool) {
	n := len(obj)
	if n < 2 || obj[0] != '{' || obj[n-1] != '}' {
		return dst, false
	}
	dst = append(dst, obj[:n-1]...)
	if n > 2 {
		dst = append(dst, ',')
	}
	dst = AppendString(dst, key)
	dst = append(dst, ':')
	dst = append(dst, raw...)
	return append(dst, '}'), true
}
