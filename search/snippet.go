package search

import (
	"html"
	"slices"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight"
	htmlformat "github.com/blevesearch/bleve/v2/search/highlight/format/html"
	"github.com/blevesearch/bleve/v2/search/highlight/fragmenter/simple"
	simplehl "github.com/blevesearch/bleve/v2/search/highlight/highlighter/simple"
)

// SnippetRunes is about the length of a snippet, in characters.
const SnippetRunes = 200

// snippeter cuts snippets with bleve's highlighter: the best-scoring window
// of about SnippetRunes characters, the text HTML-escaped and each match
// wrapped in <mark>. It is built per Index, never registered globally.
type snippeter struct {
	hl   *simplehl.Highlighter
	mark *htmlformat.FragmentFormatter
	fold *asciifolding.AsciiFoldingFilter
}

func newSnippeter() snippeter {
	mark := htmlformat.NewFragmentFormatter("<mark>", "</mark>")
	return snippeter{
		hl:   simplehl.NewHighlighter(simple.NewFragmenter(SnippetRunes), mark, "…"),
		mark: mark,
		fold: asciifolding.New(),
	}
}

// snippet is the best fragment of text for the matches in locs (offsets
// in the folded text, as the index records them), or its beginning when
// there is none.
func (s snippeter) snippet(field, text string, locs search.TermLocationMap) string {
	if text == "" {
		return ""
	}
	doc := document.NewDocument("")
	doc.AddField(document.NewTextField(field, nil, []byte(text)))
	dm := &search.DocumentMatch{Locations: search.FieldTermLocationMap{field: s.toOriginal(text, locs)}}
	if frags := s.hl.BestFragmentsInField(dm, doc, field, 1); len(frags) > 0 {
		return frags[0]
	}
	cut, n := text, 0 // bleve found no fragment (not expected): the beginning
	for i := range text {
		if n == SnippetRunes {
			cut = text[:i] + "…"
			break
		}
		n++
	}
	return html.EscapeString(cut)
}

// whole is all of text (a title), escaped, with its matches marked.
func (s snippeter) whole(text string, locs search.TermLocationMap) string {
	ordered := highlight.OrderTermLocations(s.toOriginal(text, locs))
	ordered.MergeOverlapping()
	f := &highlight.Fragment{Orig: []byte(text), Start: 0, End: len(text)}
	return s.mark.Format(f, ordered)
}

// toOriginal moves match offsets from the folded text the analyzer saw to
// the original text: folding "É" (two bytes) gives "E" (one), "œ" gives
// "oe", so every folded character before a match shifts it. One walk over
// the text, stopping at the last match; matches that do not fit in text
// are dropped rather than cut a character in two.
func (s snippeter) toOriginal(text string, locs search.TermLocationMap) search.TermLocationMap {
	if len(locs) == 0 {
		return nil
	}
	var want []uint64 // folded offsets to translate, sorted, unique
	for _, ls := range locs {
		for _, l := range ls {
			want = append(want, l.Start, l.End)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	orig := make(map[uint64]uint64, len(want))
	var size map[rune]uint64 // folded length of the non-ASCII characters met
	folded, k := uint64(0), 0
	for o, r := range text {
		if k == len(want) {
			break
		}
		n := uint64(1)
		if r >= utf8.RuneSelf {
			if size == nil {
				size = map[rune]uint64{}
			}
			var ok bool
			if n, ok = size[r]; !ok {
				var buf [utf8.UTFMax]byte
				n = uint64(len(s.fold.Filter(buf[:utf8.EncodeRune(buf[:], r)])))
				size[r] = n
			}
		}
		// An offset inside the folding of one character ("o|e" of "œ")
		// falls on that character's start.
		for k < len(want) && want[k] < folded+n {
			orig[want[k]] = uint64(o)
			k++
		}
		folded += n
	}
	for ; k < len(want) && want[k] == folded; k++ {
		orig[want[k]] = uint64(len(text))
	}
	out := make(search.TermLocationMap, len(locs))
	for term, ls := range locs {
		for _, l := range ls {
			start, ok1 := orig[l.Start]
			end, ok2 := orig[l.End]
			if !ok1 || !ok2 || end <= start {
				continue
			}
			c := *l
			c.Start, c.End = start, end
			out[term] = append(out[term], &c)
		}
	}
	return out
}
