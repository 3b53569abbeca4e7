package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// plainText removes the Markdown syntax of a measure body in one cheap
// pass, so that snippets read as text ("**5G**" shows as "5G") and link
// URLs do not fill the index with "https" and domain names. It is not a
// Markdown parser: what it does not recognise stays as it is, which only
// costs a few odd characters in a snippet. Line breaks are kept.
func plainText(md string) string {
	var b strings.Builder
	b.Grow(len(md))
	inFence := false
	for i, line := range strings.Split(md, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence {
			b.WriteString(line)
			continue
		}
		if isRuleLine(t) {
			continue
		}
		b.WriteString(stripInline(stripBlockMarkers(t)))
	}
	return b.String()
}

// isRuleLine tells a thematic break, a setext underline or a table
// separator line: nothing but - * _ = | : and spaces, with at least three
// of the marks.
func isRuleLine(t string) bool {
	marks := 0
	for _, r := range t {
		switch r {
		case '-', '*', '_', '=':
			marks++
		case '|', ':', ' ', '\t':
		default:
			return false
		}
	}
	return marks >= 3
}

// stripBlockMarkers removes quote, heading, list and task markers from the
// start of a trimmed line, however they nest ("> - # Title").
func stripBlockMarkers(t string) string {
	for {
		before := t
		switch {
		case strings.HasPrefix(t, ">"):
			t = t[1:]
		case strings.HasPrefix(t, "#"):
			n := len(t) - len(strings.TrimLeft(t, "#"))
			if n <= 6 && (n == len(t) || t[n] == ' ' || t[n] == '\t') {
				t = t[n:]
			}
		case len(t) >= 2 && strings.ContainsRune("-*+", rune(t[0])) && (t[1] == ' ' || t[1] == '\t'):
			t = t[2:]
		case strings.HasPrefix(t, "[ ] "), strings.HasPrefix(t, "[x] "), strings.HasPrefix(t, "[X] "):
			t = t[4:]
		default:
			n := len(t) - len(strings.TrimLeft(t, "0123456789"))
			if n > 0 && n <= 9 && n+1 < len(t) && (t[n] == '.' || t[n] == ')') && t[n+1] == ' ' {
				t = t[n+2:]
			}
		}
		t = strings.TrimLeft(t, " \t")
		if t == before {
			return t
		}
	}
}

// stripInline removes emphasis, code and strike marks and keeps the text
// of links and images without their URL. HTML is left as text: telling a
// tag from "a <b and c> d" is not worth a guess, and snippets escape it.
func stripInline(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && strings.IndexByte("\\`*_{}[]()#+-.!|<>~", s[i+1]) >= 0 {
				b.WriteByte(s[i+1])
				i += 2
				continue
			}
		case '*', '`':
			i++
			continue
		case '~':
			if strings.HasPrefix(s[i:], "~~") {
				i += 2
				continue
			}
		case '_':
			if !wordRuneBefore(s, i) || !wordRuneAfter(s, i+1) {
				i++
				continue
			}
		case '|':
			b.WriteByte(' ')
			i++
			continue
		case '!':
			if strings.HasPrefix(s[i:], "![") {
				i++
				continue
			}
		case '[':
			if text, n, ok := linkAt(s[i:]); ok {
				b.WriteString(stripInline(text))
				i += n
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// linkAt recognises "[text](url)" or "[text][ref]" at the start of s and
// returns the text and the length of the whole link.
func linkAt(s string) (text string, n int, ok bool) {
	end := strings.IndexByte(s, ']')
	if end < 0 || end+1 >= len(s) {
		return "", 0, false
	}
	var closer byte
	switch s[end+1] {
	case '(':
		closer = ')'
	case '[':
		closer = ']'
	default:
		return "", 0, false
	}
	rest := strings.IndexByte(s[end+2:], closer)
	if rest < 0 {
		return "", 0, false
	}
	return s[1:end], end + 2 + rest + 1, true
}

func wordRuneBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func wordRuneAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
