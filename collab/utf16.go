package collab

import (
	"unicode/utf16"
	"unicode/utf8"
)

// isHigh reports whether u is the first unit of a surrogate pair.
func isHigh(u uint16) bool { return u >= 0xD800 && u <= 0xDBFF }

// isLow reports whether u is the second unit of a surrogate pair.
func isLow(u uint16) bool { return u >= 0xDC00 && u <= 0xDFFF }

// splitsPair reports whether position p of units falls between the two
// halves of a surrogate pair.
func splitsPair(units []uint16, p int) bool {
	return p > 0 && p < len(units) && isHigh(units[p-1]) && isLow(units[p])
}

// loneSurrogate returns the index of the first unpaired surrogate in
// units, or -1 when units is well-formed UTF-16.
func loneSurrogate(units []uint16) int {
	for i := 0; i < len(units); i++ {
		switch u := units[i]; {
		case isHigh(u):
			if i+1 >= len(units) || !isLow(units[i+1]) {
				return i
			}
			i++
		case isLow(u):
			return i
		}
	}
	return -1
}

// unitsOf is the number of UTF-16 units needed for r. Runes that Go
// cannot encode (invalid bytes decode to U+FFFD) take one unit.
func unitsOf(r rune) int {
	if r >= 0x10000 && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

// encode converts a Go string to UTF-16; invalid UTF-8 bytes become
// U+FFFD, as the standard library does when ranging over a string.
func encode(s string) []uint16 {
	return appendEncoded(make([]uint16, 0, len(s)), s)
}

// appendEncoded is encode appending to dst.
func appendEncoded(dst []uint16, s string) []uint16 {
	for _, r := range s {
		dst = utf16.AppendRune(dst, r)
	}
	return dst
}

// decode converts well-formed UTF-16 to a Go string. A lone surrogate,
// which the package never stores, would become U+FFFD.
func decode(units []uint16) string {
	buf := make([]byte, 0, len(units))
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		if isHigh(units[i]) && i+1 < len(units) && isLow(units[i+1]) {
			r = utf16.DecodeRune(r, rune(units[i+1]))
			i++
		}
		buf = utf8.AppendRune(buf, r)
	}
	return string(buf)
}
