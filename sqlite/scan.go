package sqlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The scanners below read a column straight into a domain field. Each is a
// single pointer, so passing one to Scan allocates nothing, and each takes the
// driver's int64 or string directly instead of going through database/sql's
// reflection-based conversion.

// millis reads INTEGER Unix milliseconds into a UTC time.
type millis struct{ t *time.Time }

func (m millis) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("want INTEGER milliseconds, got %T", src)
	}
	*m.t = time.UnixMilli(v).UTC()
	return nil
}

// optMillis reads a time that may be NULL.
type optMillis struct{ t **time.Time }

func (m optMillis) Scan(src any) error {
	if src == nil {
		*m.t = nil
		return nil
	}
	var t time.Time
	if err := (millis{&t}).Scan(src); err != nil {
		return err
	}
	*m.t = &t
	return nil
}

// number reads an INTEGER into an int.
type number struct{ n *int }

func (n number) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("want INTEGER, got %T", src)
	}
	*n.n = int(v)
	return nil
}

// optText reads TEXT that may be NULL, which becomes "".
type optText struct{ s *string }

func (o optText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o.s = ""
	case string:
		*o.s = v
	default:
		return fmt.Errorf("want TEXT, got %T", src)
	}
	return nil
}

// jsonList reads a TEXT JSON array of strings; it is never nil.
type jsonList struct{ l *[]string }

func (j jsonList) Scan(src any) error {
	v, ok := src.(string)
	if !ok {
		return fmt.Errorf("want TEXT, got %T", src)
	}
	*j.l = []string{}
	return json.Unmarshal([]byte(v), j.l)
}

// jsonText stores a list of strings as a JSON array, nil as [].
func jsonText(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// msOrNull is the value to store for a time that may be unset.
func msOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// textOrNull stores "" as NULL.
func textOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// hashLength is the size of each hash joinHashes packs.
const hashLength = 32

// joinHashes packs fixed-size hashes into one value; none is NULL.
func joinHashes(hashes [][]byte) []byte {
	if len(hashes) == 0 {
		return nil
	}
	return bytes.Join(hashes, nil)
}

// hashList reads what joinHashes wrote.
type hashList struct{ dst *[][]byte }

func (h hashList) Scan(v any) error {
	*h.dst = nil
	b, ok := v.([]byte)
	if v == nil || (ok && len(b) == 0) {
		return nil
	}
	if !ok || len(b)%hashLength != 0 {
		return fmt.Errorf("sqlite: hash list of %T, %d bytes", v, len(b))
	}
	for i := 0; i < len(b); i += hashLength {
		*h.dst = append(*h.dst, bytes.Clone(b[i:i+hashLength]))
	}
	return nil
}
