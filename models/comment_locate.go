package models

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// People quote a measure by selecting words of its rendered text, where the
// Markdown syntax is gone ("des PME marocaines" for "des PME
// **marocaines**") and blocks are separated by line breaks the source does
// not have. locateRendered finds such a quote in the Markdown source: it
// reads the source as the reader sees it (emphasis, code and strike marks,
// heading, quote and list markers and link targets left out, white space
// collapsed), finds the quote's words there, and gives back the source span
// they came from, widened over the emphasis marks around it so the quote
// reads whole ("**marocaines**").
func locateRendered(body, quote string) (start, end int, ok bool) {
	needle := strings.Join(strings.FieldsFunc(quote, unicode.IsSpace), " ")
	if needle == "" {
		return 0, 0, false
	}
	text, from, to := flatten(body)
	k := strings.Index(text, needle)
	if k < 0 {
		return 0, 0, false
	}
	first := utf8.RuneCountInString(text[:k])
	last := first + utf8.RuneCountInString(needle) - 1
	start, end = from[first], to[last]
	for start > 0 && strings.IndexByte("*_`~", body[start-1]) >= 0 {
		start--
	}
	for end < len(body) && strings.IndexByte("*_`~", body[end]) >= 0 {
		end++
	}
	return start, end, true
}

// flatten reads Markdown as the reader sees it (see locateRendered): the
// text, and for each of its runes the source bytes it came from.
func flatten(body string) (string, []int, []int) {
	var flat strings.Builder
	var from, to []int // source byte span of each rune of flat
	lastSpace := true
	emit := func(r rune, s, e int) {
		if unicode.IsSpace(r) {
			if lastSpace {
				return
			}
			r, lastSpace = ' ', true
		} else {
			lastSpace = false
		}
		flat.WriteRune(r)
		from, to = append(from, s), append(to, e)
	}
	lineStart := true
	for i := 0; i < len(body); {
		if lineStart {
			i = skipBlockMarkers(body, i)
			lineStart = false
			if i >= len(body) {
				break
			}
		}
		r, n := utf8.DecodeRuneInString(body[i:])
		switch {
		case r == '\n':
			emit(' ', i, i+n)
			lineStart = true
		case strings.ContainsRune("*_`~", r):
			// emphasis, code and strike marks render as nothing
		case r == '\\' && i+n < len(body):
			r2, n2 := utf8.DecodeRuneInString(body[i+n:])
			emit(r2, i, i+n+n2)
			n += n2
		case r == '!' && strings.HasPrefix(body[i+n:], "["):
			n++
		case r == '[':
		case r == ']' && strings.HasPrefix(body[i+n:], "("):
			// a link's target: skip to its closing parenthesis
			if j := strings.IndexByte(body[i+n:], ')'); j >= 0 {
				n += j + 1
			}
		default:
			emit(r, i, i+n)
		}
		i += n
	}
	return flat.String(), from, to
}

// Text is the quote as readers see it: its words without the Markdown
// marks ("des PME marocaines" for "des PME **marocaines**").
func (a *Anchor) Text() string {
	text, _, _ := flatten(a.Quote)
	return strings.TrimSpace(text)
}

// skipBlockMarkers skips what opens a Markdown line without being read:
// indentation, "#" headings, ">" quotes and list markers ("-", "*", "+",
// "1." or "1)").
func skipBlockMarkers(s string, i int) int {
	for {
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		k := j
		switch {
		case k < len(s) && s[k] == '#':
			for k < len(s) && s[k] == '#' {
				k++
			}
		case k < len(s) && s[k] == '>':
			k++
		case k < len(s) && strings.IndexByte("-*+", s[k]) >= 0:
			k++
		default:
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k == j || k >= len(s) || (s[k] != '.' && s[k] != ')') {
				return j
			}
			k++
		}
		if k < len(s) && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' {
			return j // "#tag", "-5 %", "**bold**": words, not markers
		}
		i = k
	}
}
