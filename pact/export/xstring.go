package export

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Office Open XML cannot hold control characters in a cell, and excelize
// would turn them into U+FFFD, changing the text and so its fingerprint.
// xstringEncode writes them as the standard's escape _xHHHH_ (ST_Xstring),
// and, so that reading is unambiguous, writes as _x005F_ any "_" that
// would otherwise start such an escape in the result. Text without either
// is unchanged.
func xstringEncode(s string) string {
	if !needsXstring(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' && escapeUnderscore(s, i):
			b.WriteString("_x005F_")
		case !xmlChar(r):
			fmt.Fprintf(&b, "_x%04X_", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeUnderscore: the "_" at s[i] would start _xHHHH_ once encoded,
// because "_" follows its four hex digits or the character there is
// itself written as an escape (which starts with "_").
func escapeUnderscore(s string, i int) bool {
	if len(s) < i+7 || s[i+1] != 'x' || !isHex(s[i+2:i+6]) {
		return false
	}
	if s[i+6] == '_' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i+6:])
	return !xmlChar(r)
}

// xstringDecode undoes xstringEncode.
func xstringDecode(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '_' && len(s) >= i+7 && s[i+1] == 'x' && isHex(s[i+2:i+6]) && s[i+6] == '_' {
			v, _ := strconv.ParseUint(s[i+2:i+6], 16, 16)
			b.WriteRune(rune(v))
			i += 7
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func needsXstring(s string) bool {
	for i, r := range s {
		if !xmlChar(r) || (r == '_' && escapeUnderscore(s, i)) {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// xmlChar: r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= utf8.MaxRune)
}
