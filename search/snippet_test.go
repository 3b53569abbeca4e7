package search

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search"
)

// TestSnippet checks marks land on the right characters whatever folding
// did to the offsets, that everything else is escaped, and that long texts
// are cut around the match.
func TestSnippet(t *testing.T) {
	ix := mustOpen(t)
	long := strings.Repeat("Texte de remplissage sans intérêt. ", 20)
	mustApply(t, ix,
		platform(1, "Titre", "", "Réforme de l'État : le numérique « au cœur » de l'ŒUVRE, enfin numérique."),
		platform(2, "عنوان", "", "تسريع رقمنة الإدارة العمومية وتحسين الخدمات"),
		platform(3, "Titre", "", "<script>alert('x')</script> & \"cookies\" numerique"),
		platform(4, "Titre", "", long+"Le mot rare est ici. "+long),
		platform(5, "Titre", "Résumé : Straße et ﬁbre optique", "Corps."),
	)
	for _, tc := range []struct {
		text, want string
	}{
		{"numerique ", "Réforme de l&#39;État : le <mark>numérique</mark> « au cœur » de l&#39;ŒUVRE, enfin <mark>numérique</mark>."},
		{"oeuvre ", "Réforme de l&#39;État : le numérique « au cœur » de <mark>l&#39;ŒUVRE</mark>, enfin numérique."},
		{"coeur ", "Réforme de l&#39;État : le numérique « au <mark>cœur</mark> » de l&#39;ŒUVRE, enfin numérique."},
		{"الاداره ", "تسريع رقمنة <mark>الإدارة</mark> العمومية وتحسين الخدمات"},
		{"cookies ", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;<mark>cookies</mark>&#34; numerique"},
		{"strasse ", "Résumé : <mark>Straße</mark> et ﬁbre optique"},
		{"optique ", "Résumé : Straße et ﬁbre <mark>optique</mark>"},
	} {
		res := mustSearch(t, ix, staff, Query{Text: tc.text})
		if len(res.Hits) == 0 {
			t.Errorf("%q: no hit", tc.text)
			continue
		}
		if got := res.Hits[0].SnippetHTML; got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.text, got, tc.want)
		}
	}

	res := mustSearch(t, ix, staff, Query{Text: "rare "})
	s := res.Hits[0].SnippetHTML
	if !strings.Contains(s, "<mark>rare</mark>") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") {
		t.Errorf("long text: %q", s)
	}
	if n := utf8.RuneCountInString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)); n > SnippetRunes+2 {
		t.Errorf("long text: snippet of %d characters", n)
	}
	res = mustSearch(t, ix, staff, Query{Types: []string{TypeMeasure}, Size: 50})
	for _, h := range res.Hits {
		if h.ID == 4 && (!strings.HasPrefix(h.SnippetHTML, "Texte de remplissage") || !strings.HasSuffix(h.SnippetHTML, "…")) {
			t.Errorf("no text: snippet %q, want the beginning", h.SnippetHTML)
		}
	}
}

// TestToOriginal pins the offset translation on the characters folding
// widens or narrows.
func TestToOriginal(t *testing.T) {
	s := newSnippeter()
	// "é" (2 bytes) → "e" (1), "œ" (2) → "oe" (2), "ß" (2) → "ss" (2),
	// "ﬁ" (3) → "fi" (2), "ا" (2) unchanged; folded: "e a oe ss fi ا x"
	text := "é a œ ß ﬁ ا x"
	loc := func(start, end uint64) *search.Location { return &search.Location{Start: start, End: end} }
	in := search.TermLocationMap{
		"e": {loc(0, 1)}, "a": {loc(2, 3)}, "oe": {loc(4, 6)}, "ss": {loc(7, 9)}, "fi": {loc(10, 12)},
		"ا": {loc(13, 15)}, "x": {loc(16, 17)}, "o": {loc(4, 5)}, "past": {loc(17, 30)},
	}
	want := map[string][2]uint64{
		"e": {0, 2}, "a": {3, 4}, "oe": {5, 7}, "ss": {8, 10}, "fi": {11, 14}, "ا": {15, 17}, "x": {18, 19},
	}
	got := s.toOriginal(text, in)
	for term, w := range want {
		if ls := got[term]; len(ls) != 1 || ls[0].Start != w[0] || ls[0].End != w[1] {
			t.Errorf("%q: got %v, want %v", term, ls, w)
		} else if text[w[0]:w[1]] == "" {
			t.Errorf("%q: empty", term)
		}
	}
	for _, term := range []string{"o", "past"} { // inside one character; past the end
		if len(got[term]) != 0 {
			t.Errorf("%q: got %v, want dropped", term, got[term])
		}
	}
}
