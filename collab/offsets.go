package collab

// Anchors and cursor positions reach the API as UTF-16 offsets (what the
// browser's CodeMirror reports), while Go code slices strings by byte.
// These helpers convert between the two ways of counting. Invalid UTF-8
// bytes count as one UTF-16 unit each, as in NewDoc. Every
// helper returns ok=false, instead of a wrong offset, when the offset is
// out of range or does not fall on a character boundary (inside a
// surrogate pair or inside a multi-byte UTF-8 sequence).

// UTF16Len is the length of s in UTF-16 units, i.e. the JavaScript
// string length and the CodeMirror document length of s.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += unitsOf(r)
	}
	return n
}

// UTF16ToByteOffset converts a UTF-16 offset into s to a byte offset.
func UTF16ToByteOffset(s string, u int) (int, bool) {
	if u < 0 {
		return 0, false
	}
	units := 0
	for i, r := range s {
		if units == u {
			return i, true
		}
		if units > u {
			return 0, false
		}
		units += unitsOf(r)
	}
	if units == u {
		return len(s), true
	}
	return 0, false
}

// ByteToUTF16Offset converts a byte offset into s to a UTF-16 offset.
func ByteToUTF16Offset(s string, b int) (int, bool) {
	if b < 0 || b > len(s) {
		return 0, false
	}
	units := 0
	for i, r := range s {
		if i == b {
			return units, true
		}
		if i > b {
			return 0, false
		}
		units += unitsOf(r)
	}
	if b == len(s) {
		return units, true
	}
	return 0, false
}
