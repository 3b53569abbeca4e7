package server

import (
	"strings"
	"testing"

	"pacte/markdown"
)

func TestMarkAnchors(t *testing.T) {
	cases := []struct {
		name   string
		body   string // Markdown
		marks  []anchorMark
		want   []string // substrings of the output
		absent []string
	}{
		{"OKPlain", "Les PME exportatrices d'abord.", []anchorMark{{CommentID: 7, Quote: "PME exportatrices"}},
			[]string{`Les <mark class="comment-anchor" data-anchor-for="7" id="anchor-7">PME exportatrices</mark> d`}, nil},
		{"OKAcrossEmphasis", "des PME **marocaines** est", []anchorMark{{CommentID: 3, Quote: "PME **marocaines**"}},
			[]string{`<mark class="comment-anchor" data-anchor-for="3" id="anchor-3">PME </mark><strong><mark class="comment-anchor" data-anchor-for="3">marocaines</mark></strong>`}, nil},
		{"OKHalfEmphasis", "des PME **marocaines** est", []anchorMark{{CommentID: 3, Quote: "PME **maro"}},
			[]string{`data-anchor-for="3" id="anchor-3">PME </mark><strong><mark class="comment-anchor" data-anchor-for="3">maro</mark>caines`}, nil},
		{"OKLink", "Voir [le plan](https://example.ma) national", []anchorMark{{CommentID: 4, Quote: "[le plan](https://example.ma) national"}},
			[]string{`<mark class="comment-anchor" data-anchor-for="4" id="anchor-4">le plan</mark></a><mark class="comment-anchor" data-anchor-for="4"> national</mark>`}, nil},
		{"OKAcrossParagraphs", "fin du premier\n\ndébut du second", []anchorMark{{CommentID: 5, Quote: "premier\n\ndébut"}},
			[]string{`<mark class="comment-anchor" data-anchor-for="5" id="anchor-5">premier</mark></p>`, `<p><mark class="comment-anchor" data-anchor-for="5">début</mark>`},
			[]string{"<mark class=\"comment-anchor\" data-anchor-for=\"5\">\n</mark>"}},
		{"OKClosestOccurrence", "PME ici. Et PME là. Encore PME.", []anchorMark{{CommentID: 6, Quote: "PME", Pos: 0.95}},
			[]string{`Encore <mark class="comment-anchor" data-anchor-for="6" id="anchor-6">PME</mark>`}, []string{`<mark class="comment-anchor" data-anchor-for="6" id="anchor-6">PME</mark> ici`}},
		{"OKOverlapping", "La transformation numérique des PME", []anchorMark{{CommentID: 1, Quote: "transformation numérique"}, {CommentID: 2, Quote: "numérique des PME"}},
			[]string{`data-anchor-for="1"`, `data-anchor-for="2"`}, nil},
		{"OKUnicode", "Le Maroc 🇲🇦 numérique — تحويل رقمي", []anchorMark{{CommentID: 8, Quote: "🇲🇦 numérique — تحويل"}},
			[]string{`<mark class="comment-anchor" data-anchor-for="8" id="anchor-8">🇲🇦 numérique — تحويل</mark> رقمي`}, nil},
		{"OKCodeStaysText", "Le code `<script>alert(1)</script>` est cité", []anchorMark{{CommentID: 9, Quote: "`<script>alert(1)</script>`"}},
			[]string{`<code><mark class="comment-anchor" data-anchor-for="9" id="anchor-9">&lt;script&gt;alert(1)&lt;/script&gt;</mark></code>`}, []string{"<script"}},
		{"NotFound", "Rien à voir", []anchorMark{{CommentID: 10, Quote: "absent"}}, []string{"<p>Rien à voir</p>"}, []string{"<mark"}},
		{"TooShort", "a b c", []anchorMark{{CommentID: 11, Quote: "b"}}, nil, []string{"<mark"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := markdown.Render(tc.body)
			out := markAnchors(in, tc.marks)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
			// Only marks are added: removing them gives the text back.
			stripped := out
			for _, tag := range []string{"</mark>"} {
				stripped = strings.ReplaceAll(stripped, tag, "")
			}
			for strings.Contains(stripped, "<mark ") {
				i := strings.Index(stripped, "<mark ")
				j := strings.Index(stripped[i:], ">")
				stripped = stripped[:i] + stripped[i+j+1:]
			}
			if stripped != in && strings.Contains(out, "<mark") {
				t.Errorf("marking changed more than marks:\n in %q\nout %q", in, stripped)
			}
		})
	}
}

// FuzzMarkAnchors: whatever people write and quote, marking adds nothing
// executable and never crashes.
func FuzzMarkAnchors(f *testing.F) {
	f.Add("des PME **marocaines** <img src=x onerror=alert(1)>", "PME **maro")
	f.Add("[x](javascript:alert(1)) texte", "x) texte")
	f.Add("`<script>`", "<script>")
	f.Fuzz(func(t *testing.T, body, quote string) {
		out := markAnchors(markdown.Render(body), []anchorMark{{CommentID: 1, Quote: quote, Pos: 0.5}})
		lower := strings.ToLower(out)
		for _, bad := range []string{"<script", "javascript:", "onerror=", "<iframe", "<svg"} {
			if strings.Contains(lower, bad) && !strings.Contains(strings.ToLower(markdown.Render(body)), bad) {
				t.Fatalf("marking introduced %s: %q", bad, out)
			}
		}
	})
}
