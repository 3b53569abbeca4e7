package search

import (
	"strings"
	"unicode"
)

// The user's text is read by this small parser, never by bleve's
// query-string syntax: that syntax gives meaning to + - : ^ ~ * ? / ( ) and
// field names, so "5G: état" or "a/b" would be errors or, worse, field
// queries and regular expressions typed by anyone. Here the only syntax is
// "quoted phrases" and -excluded words; everything else is words, and the
// parser is total: any input gives clauses (maybe none), never an error.

// clause is one unit of the user's text: a word or a phrase, wanted or
// excluded. Its text is still raw: the analyzer turns it into terms.
type clause struct {
	text    string
	phrase  bool
	exclude bool
}

// parsedText is the user's text as clauses.
type parsedText struct {
	clauses []clause
	// open is true when the text ends inside its last clause, a wanted
	// word: the word still being typed, which may match as a prefix.
	open bool
}

// parseText splits text into words, "quoted phrases" and -excluded words
// or phrases. A lone "-" is dropped; an unbalanced quote is ignored and
// what follows it read as words; invisible direction marks are removed.
func parseText(text string) parsedText {
	rs := []rune(cleanText(text))
	var p parsedText
	lastEnd := -1 // where the last clause ends in rs
	i := 0
	for i < len(rs) {
		if rs[i] == ' ' {
			i++
			continue
		}
		exclude := false
		if rs[i] == '-' {
			for i < len(rs) && rs[i] == '-' {
				i++
			}
			if i == len(rs) || rs[i] == ' ' {
				continue // a lone "-" or "--": nothing to exclude
			}
			exclude = true
		}
		if rs[i] == '"' {
			end := indexRune(rs, i+1, '"')
			if end < 0 {
				i++ // unbalanced: the quote is dropped, the rest read as words
				if p.addWord(rs, &i, exclude) {
					lastEnd = i
				}
				continue
			}
			if t := strings.TrimSpace(string(rs[i+1 : end])); t != "" {
				p.clauses = append(p.clauses, clause{text: t, phrase: true, exclude: exclude})
			}
			i = end + 1
			lastEnd = -1
			continue
		}
		if p.addWord(rs, &i, exclude) {
			lastEnd = i
		}
	}
	if n := len(p.clauses); n > 0 {
		last := p.clauses[n-1]
		p.open = !last.phrase && !last.exclude && lastEnd == len(rs)
	}
	return p
}

// addWord reads the word starting at *i, up to a space or a quote, and
// tells whether there was one.
func (p *parsedText) addWord(rs []rune, i *int, exclude bool) bool {
	start := *i
	for *i < len(rs) && rs[*i] != ' ' && rs[*i] != '"' {
		*i++
	}
	if *i == start {
		return false
	}
	p.clauses = append(p.clauses, clause{text: string(rs[start:*i]), exclude: exclude})
	return true
}

func indexRune(rs []rune, from int, r rune) int {
	for j := from; j < len(rs); j++ {
		if rs[j] == r {
			return j
		}
	}
	return -1
}

// cleanText makes text valid UTF-8, removes invisible direction and
// zero-width marks (a bidi override can make a query display as something
// else than it is), turns every other space or control character into a
// plain space and every kind of double quote into '"'.
func cleanText(text string) string {
	text = strings.ToValidUTF8(text, " ")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069',
			r == '\u200E', r == '\u200F', r == '\u061C', r == '\u200B', r == '\uFEFF':
			return -1
		case r == '"', r == '“', r == '”', r == '„', r == '«', r == '»':
			return '"'
		case unicode.IsSpace(r), unicode.IsControl(r):
			return ' '
		}
		return r
	}, text)
}
