package authentik

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
)

// compact returns the record as one line. authentik sends compact JSON, so
// this returns raw itself (a read-only slice of the page body); a
// pretty-printed record is compacted into a copy.
func compact(raw []byte) []byte {
	if bytes.IndexByte(raw, '\n') < 0 {
		return raw
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return bytes.Clone(raw)
	}
	return b.Bytes()
}

// Fingerprint is the document id of a record without a stable key of its
// own (users, groups): base64(SHA-1(0x00 ‖ JSON)) where JSON is the record
// re-encoded with sorted keys. It equals the _id Elastic's integration
// gives the same record, so both can share a data stream without
// duplicates, and it changes exactly when the record changes.
func Fingerprint(raw []byte) string {
	var v any
	canon := raw
	if err := json.Unmarshal(raw, &v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	return fingerprintBytes(canon)
}

// fingerprintBytes is Elasticsearch's fingerprint processor with SHA-1 and
// no salt over one field: base64(SHA-1(0x00 ‖ bytes)).
func fingerprintBytes(b []byte) string {
	h := sha1.New()
	h.Write([]byte{0})
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
