package models

import (
	"strings"
	"unicode"
)

// IsBlank reports whether a person would see nothing in s: only spaces,
// control and format characters (zero-width spaces and joiners, bidi
// controls, soft hyphens), variation selectors, lone combining marks, and
// the characters that render as nothing (Hangul fillers, the blank braille
// pattern). It is the one test of "empty" for names, titles, summaries and
// comment bodies.
func IsBlank(s string) bool {
	for _, r := range s {
		if !invisibleRune(r) {
			return false
		}
	}
	return true
}

func invisibleRune(r rune) bool {
	if unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp,
		unicode.Mn, unicode.Me, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) {
		return true
	}
	switch r {
	case '\u2800', // braille pattern blank
		'\u3164', '\uFFA0', '\u115F', '\u1160', // Hangul fillers
		'\uFFFC', '\uFFFD', // object replacement, replacement character
		'\u180E': // Mongolian vowel separator
		return true
	}
	return false
}

// isBidiControl: the characters that reorder the text around them
// (embeddings, overrides, isolates and marks). In a name, U+202E would
// make "moderator" display as "rotaredom" and the names after it run
// backwards.
func isBidiControl(r rune) bool {
	switch {
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// CleanName is a display name as stored: bidi controls removed (pages
// isolate each name themselves) and surrounding spaces trimmed.
func CleanName(s string) string {
	if strings.IndexFunc(s, isBidiControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isBidiControl(r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || invisibleRune(r) && !unicode.In(r, unicode.Mn, unicode.Me)
	})
}
