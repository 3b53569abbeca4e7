package collab

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// MarshalJSON writes the form CodeMirror's ChangeSet.toJSON() would give
// for the same change set, so that the server can relay and store
// changes that browsers read back with ChangeSet.fromJSON(): a number for
// kept runs, [n] for deletions, [n, lines...] for replacements.
func (cs ChangeSet) MarshalJSON() ([]byte, error) {
	buf := []byte{'['}
	for i, s := range cs.sections {
		if i > 0 {
			buf = append(buf, ',')
		}
		if s.keep {
			buf = strconv.AppendInt(buf, int64(s.old), 10)
			continue
		}
		buf = append(buf, '[')
		buf = strconv.AppendInt(buf, int64(s.old), 10)
		if len(s.text) > 0 {
			start := 0
			for j := 0; j <= len(s.text); j++ {
				if j == len(s.text) || s.text[j] == '\n' {
					buf = append(buf, ',')
					buf = appendJSONString(buf, decode(s.text[start:j]))
					start = j + 1
				}
			}
		}
		buf = append(buf, ']')
	}
	return append(buf, ']'), nil
}

// appendJSONString appends s as a JSON string literal without the HTML
// escaping encoding/json adds, closer to what JSON.stringify writes.
func appendJSONString(buf []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(buf, bytes.TrimSuffix(b.Bytes(), []byte{'\n'})...)
}
