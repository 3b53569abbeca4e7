package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSearch_Filters checks each filter of Query alone, on the language
// corpus given distinct pillars, axes, statuses, leads and dates.
func TestSearch_Filters(t *testing.T) {
	ix := mustOpen(t)
	docs := languageCorpus()
	for i := range docs {
		docs[i].Pillar = []string{"p1", "p2", "p3"}[i%3]
		docs[i].Axis = map[bool]string{true: "startups"}[i == 3]
		docs[i].Status = []string{"draft", "in_review"}[i%2]
		docs[i].LeadOrgID = int64(10 + i%2)
		docs[i].OrgIDs = []int64{int64(10 + i%2)}
	}
	docs[6].OrgIDs = []int64{10, 11} // measure 7: led by 10, co-sponsored by 11
	mustApply(t, ix, docs...)        // measure i+1 dated day0 + i hours
	for _, tc := range []struct {
		name string
		q    Query
		want []string // in order: newest first without text
	}{
		{"pillar", Query{Pillar: "p1"}, []string{"measure:7", "measure:4", "measure:1"}},
		{"axis", Query{Axis: "startups"}, []string{"measure:4"}},
		{"status", Query{Status: "in_review"}, []string{"measure:6", "measure:4", "measure:2"}},
		{"lead organisation", Query{OrgID: 11}, []string{"measure:7", "measure:6", "measure:4", "measure:2"}},
		{"co-sponsor", Query{OrgID: 10}, []string{"measure:7", "measure:5", "measure:3", "measure:1"}},
		{"from, inclusive", Query{From: day0.Add(5 * time.Hour)}, []string{"measure:7", "measure:6"}},
		{"to, exclusive", Query{To: day0.Add(2 * time.Hour)}, []string{"measure:2", "measure:1"}},
		{"from and to", Query{From: day0.Add(time.Hour), To: day0.Add(3 * time.Hour)}, []string{"measure:3", "measure:2"}},
		{"dates out of range", Query{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
			[]string{"measure:7", "measure:6", "measure:5", "measure:4", "measure:3", "measure:2", "measure:1"}},
		{"from after to", Query{From: day0.Add(3 * time.Hour), To: day0}, nil},
		{"text and filter", Query{Text: "cloud ", Pillar: "p1"}, []string{"measure:4", "measure:7"}},
		{"filters combined", Query{Pillar: "p1", Status: "draft"}, []string{"measure:7", "measure:1"}},
		{"unknown type", Query{Types: []string{"user"}}, nil},
		{"unknown pillar", Query{Pillar: "nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustSearch(t, ix, staff, tc.q)
			if got := keys(res); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Fatalf("hits %v, want %v", got, tc.want)
			}
			if res.Total != uint64(len(tc.want)) {
				t.Fatalf("total %d, want %d", res.Total, len(tc.want))
			}
		})
	}
}

// TestSearch_Facets checks the counts of every facet for a text query.
func TestSearch_Facets(t *testing.T) {
	ix := mustOpen(t)
	docs := []Doc{
		platform(1, "Cloud souverain", "", ""),
		platform(2, "Cloud hybride", "", ""),
		platform(3, "Réseau 5G", "", ""),
		{Type: TypeComment, ID: 4, MeasureID: 1, Title: "Cloud souverain", Body: "Quel cloud ?", Pillar: "p1",
			Status: "draft", LeadOrgID: 1, Visibility: VisibilityPlatform},
	}
	docs[1].Pillar, docs[1].Axis, docs[1].Status, docs[1].LeadOrgID = "p3", "cloud", "approved", 2
	mustApply(t, ix, docs...)
	if res := mustSearch(t, ix, staff, Query{Text: "cloud"}); res.Facets != nil {
		t.Fatalf("facets not asked for: %v", res.Facets)
	}
	res := mustSearch(t, ix, staff, Query{Text: "cloud", Facets: true})
	want := map[string]map[string]int{
		"type":         {"measure": 2, "comment": 1},
		"pillar":       {"p1": 2, "p3": 1},
		"axis":         {"cloud": 1},
		"status":       {"draft": 2, "approved": 1},
		"organization": {"1": 2, "2": 1},
	}
	if fmt.Sprint(res.Facets) != fmt.Sprint(want) {
		t.Fatalf("facets %v, want %v", res.Facets, want)
	}
	none := mustSearch(t, ix, Scope{None: true}, Query{Text: "cloud", Facets: true})
	if len(none.Facets) != 5 || len(none.Facets["type"]) != 0 {
		t.Fatalf("nothing visible: facets %v, want five empty facets", none.Facets)
	}
}

// TestSearch_Ranking checks that a word in a title outranks it in a
// summary, which outranks it in a body, and that equal scores go newest
// first.
func TestSearch_Ranking(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix,
		platform(1, "Plan alpha", "Texte court ici", "Une mesure sur la gouvernance"),
		platform(2, "Plan beta", "Une mesure sur la gouvernance", "Texte court ici"),
		platform(3, "Plan gouvernance", "Texte court ici", "Une mesure sur la beta"),
		platform(4, "Interopérabilité", "Échanges de données", "Registre"),
		platform(5, "Interopérabilité", "Échanges de données", "Registre"),
	)
	if got := keys(mustSearch(t, ix, staff, Query{Text: "gouvernance "})); !slices.Equal(got, []string{"measure:3", "measure:2", "measure:1"}) {
		t.Fatalf("title, summary, body: got %v", got)
	}
	res := mustSearch(t, ix, staff, Query{Text: "interoperabilite "})
	if got := keys(res); !slices.Equal(got, []string{"measure:5", "measure:4"}) {
		t.Fatalf("ties newest first: got %v", got)
	}
	if res.Hits[0].Score != res.Hits[1].Score || res.Hits[0].Score <= 0 {
		t.Fatalf("ties should have one positive score: %v, %v", res.Hits[0].Score, res.Hits[1].Score)
	}
}

// TestSearch_Syntax checks phrases, exclusions and the prefix match of
// the word being typed.
func TestSearch_Syntax(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, languageCorpus()...)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{`"services numériques"`, []string{"measure:1"}},
		{`"numériques services"`, nil},
		{`«services numériques»`, []string{"measure:1"}},
		{`“services numériques”`, []string{"measure:1"}},
		{`"portail unique pour les démarches"`, []string{"measure:1"}}, // stop words as gaps
		{`"unique les pour démarches"`, []string{"measure:1"}},         // any word fills a gap
		{`"portail démarches"`, nil},
		{`cloud -startups`, []string{"measure:7"}},
		{`cloud -"sovereign cloud"`, []string{"measure:7"}},
		{`-cloud -etat`, []string{"measure:6", "measure:5", "measure:3", "measure:2"}},
		{`digit`, []string{"measure:2", "measure:7"}}, // typed: prefix of digitaliser
		{`digit `, nil},  // finished word: no prefix
		{`"digit"`, nil}, // a phrase is exact
		{`digitali`, []string{"measure:2", "measure:7"}},
		{`souv`, []string{"measure:7"}}, // souveraineté
		{`clo`, []string{"measure:4", "measure:7"}},
		{`cl`, nil}, // too short for a prefix
		{`numéri`, []string{"measure:1"}},
		{`الإدا`, []string{"measure:3"}},
		{`guichet numér`, []string{"measure:1"}},
		{`numér guichet`, nil}, // only the last word is a prefix
		{`numér guichetX`, nil},
	} {
		t.Run(tc.text, func(t *testing.T) {
			if got := keys(mustSearch(t, ix, staff, Query{Text: tc.text})); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Fatalf("%q → %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestSearch_Malformed feeds texts a parser could choke on: each must
// search as plain words or as nothing, without error or panic.
func TestSearch_Malformed(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, languageCorpus()...)
	all := 7
	for _, tc := range []struct {
		text string
		hits int // -1: any number
	}{
		{`"etat`, 2},
		{`"etat cloud`, 1},
		{`"unbalanced etat`, 0}, // two words, both wanted
		{`etat"`, 2},
		{`-`, all},
		{`--`, all},
		{`- -- ---`, all},
		{`...`, all},
		{`.*`, all},
		{`*`, all},
		{`?`, all},
		{`' OR 1=1 --`, 0},
		{`'; DROP TABLE measures; --`, 0},
		{`title:etat`, -1},
		{`etat^10 cloud~2`, -1},
		{`(((`, all},
		{`/regexp.*/`, -1},
		{"\u202Eetat\u202C", 2},
		{"\u2066etat\u2069 \u200Fcloud", 1},
		{"eta\u202Dt", 2},
		{"\x00etat\x00", 2},
		{"\xff\xfeetat", 2},
		{`"" ""`, all},
		{`-"`, all},
		{`"-"`, all},
		{`-""`, all},
		{strings.Repeat("a", MaxTextBytes), -1},
		{strings.Repeat(`"`, 999), all},
		{strings.Repeat(`-a `, 300), -1},
		{strings.Repeat("é", 500), -1},
		{"<script>alert(1)</script>", -1},
		{"\t\n\r etat \v\f", 2},
	} {
		res, err := ix.Search(context.Background(), staff, Query{Text: tc.text})
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if tc.hits >= 0 && len(res.Hits) != tc.hits {
			t.Errorf("%q: %d hits %v, want %d", tc.text, len(res.Hits), keys(res), tc.hits)
		}
	}
}

// TestSearch_Limits checks the caps on text length, terms and pages.
func TestSearch_Limits(t *testing.T) {
	ix := mustOpen(t)
	docs := make([]Doc, 1100)
	for i := range docs {
		docs[i] = platform(int64(i+1), fmt.Sprintf("Mesure %d", i+1), "Un texte commun", "")
	}
	mustApply(t, ix, docs...)

	t.Run("ErrQueryTooLong", func(t *testing.T) {
		_, err := ix.Search(context.Background(), staff, Query{Text: strings.Repeat("x", MaxTextBytes+1)})
		if !errors.Is(err, ErrQueryTooLong) {
			t.Fatalf("err %v, want ErrQueryTooLong", err)
		}
		if _, err := ix.Search(context.Background(), staff, Query{Text: strings.Repeat("x", MaxTextBytes)}); err != nil {
			t.Fatalf("exactly the limit: %v", err)
		}
	})
	t.Run("Truncated", func(t *testing.T) {
		words := make([]string, 40)
		for i := range words {
			words[i] = "commun"
		}
		res := mustSearch(t, ix, staff, Query{Text: strings.Join(words, " ")})
		if !res.Truncated || res.Total != 1100 {
			t.Fatalf("40 words: truncated %v total %d, want true 1100", res.Truncated, res.Total)
		}
		res = mustSearch(t, ix, staff, Query{Text: strings.Join(words[:MaxTerms], " ") + " de la"})
		if res.Truncated {
			t.Fatal("32 words and stop words: not truncated")
		}
		res = mustSearch(t, ix, staff, Query{Text: `"` + strings.Repeat("texte ", 40) + `"`})
		if !res.Truncated {
			t.Fatal("a 40-word phrase: truncated")
		}
	})
	for _, tc := range []struct {
		name               string
		offset, size, hits int
		first              string
	}{
		{"default size", 0, 0, DefaultSize, "measure:1100"},
		{"size capped", 0, 500, MaxSize, "measure:1100"},
		{"negative", -5, -1, DefaultSize, "measure:1100"},
		{"second page", 20, 20, 20, "measure:1080"},
		{"up to the depth", 990, 50, 10, "measure:110"},
		{"past the depth", 1000, 20, 0, ""},
		{"far past the depth", 1 << 40, 20, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, text := range []string{"", "commun"} {
				res := mustSearch(t, ix, staff, Query{Text: text, Offset: tc.offset, Size: tc.size, Facets: true})
				if len(res.Hits) != tc.hits || res.Total != 1100 {
					t.Fatalf("text %q: %d hits of %d, want %d of 1100", text, len(res.Hits), res.Total, tc.hits)
				}
				if tc.hits > 0 && keys(res)[0] != tc.first {
					t.Fatalf("text %q: first %s, want %s", text, keys(res)[0], tc.first)
				}
				if res.Facets["type"]["measure"] != 1100 {
					t.Fatalf("text %q: facets %v", text, res.Facets)
				}
			}
		})
	}
}

// TestSearch_Hits checks what a hit carries: type, ids, the measure title
// for a comment, and snippets.
func TestSearch_Hits(t *testing.T) {
	ix := mustOpen(t)
	m := platform(7, "Cloud <b>souverain</b>", "Résumé sans le mot.", "Le corps parle d'hébergement <script>alert(1)</script> sécurisé.")
	m.At = time.Date(2025, 4, 1, 10, 30, 15, 123456789, time.FixedZone("Casablanca", 3600))
	c := Doc{Type: TypeComment, ID: 40, MeasureID: 7, Title: m.Title, Body: "Quel hébergement pour les données ?",
		Visibility: VisibilityPlatform, At: time.Date(2025, 4, 2, 8, 0, 0, 0, time.UTC)}
	p := m
	p.Type = TypePublic
	mustApply(t, ix, m, c, p)

	res := mustSearch(t, ix, staff, Query{Text: "hébergement"})
	if got := keys(res); !slices.Equal(got, []string{"comment:40", "measure:7"}) && !slices.Equal(got, []string{"measure:7", "comment:40"}) {
		t.Fatalf("hits %v", got)
	}
	for _, h := range res.Hits {
		if h.MeasureID != 7 || h.Title != m.Title || h.TitleHTML != "Cloud &lt;b&gt;souverain&lt;/b&gt;" || h.Score <= 0 {
			t.Errorf("hit %+v", h)
		}
		if want := map[string]time.Time{TypeMeasure: m.At, TypeComment: c.At}[h.Type]; !h.At.Equal(want) {
			t.Errorf("%s: At %v, want %v", h.Type, h.At, want)
		}
	}
	byType := map[string]Hit{}
	for _, h := range res.Hits {
		byType[h.Type] = h
	}
	if got := byType[TypeMeasure].SnippetHTML; got != "Le corps parle <mark>d&#39;hébergement</mark> &lt;script&gt;alert(1)&lt;/script&gt; sécurisé." {
		t.Errorf("measure snippet %q", got)
	}
	if got := byType[TypeComment].SnippetHTML; got != "Quel <mark>hébergement</mark> pour les données ?" {
		t.Errorf("comment snippet %q", got)
	}

	res = mustSearch(t, ix, staff, Query{Text: "souverain"}) // only in the title, which comments do not search
	if got := keys(res); !slices.Equal(got, []string{"measure:7"}) {
		t.Fatalf("title word: %v, want the measure only", got)
	}
	if h := res.Hits[0]; h.TitleHTML != "Cloud &lt;b&gt;<mark>souverain</mark>&lt;/b&gt;" || h.SnippetHTML != "Résumé sans le mot." {
		t.Errorf("title match: %q / %q", h.TitleHTML, h.SnippetHTML)
	}

	res = mustSearch(t, ix, Scope{Public: true}, Query{Text: "script"})
	if len(res.Hits) != 1 || res.Hits[0].Type != TypePublic || res.Hits[0].ID != 7 || res.Hits[0].MeasureID != 7 {
		t.Fatalf("public hit %+v", res.Hits)
	}
	if s := res.Hits[0].SnippetHTML; strings.Contains(s, "<script") || !strings.Contains(s, "&lt;<mark>script</mark>&gt;") {
		t.Errorf("public snippet %q", s)
	}
}

// TestSearch_Cancelled checks that a cancelled context stops the search.
func TestSearch_Cancelled(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, languageCorpus()...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Search(ctx, staff, Query{Text: "cloud"}); err == nil {
		t.Fatal("a cancelled search should fail")
	}
}

// FuzzSearch checks that no text up to MaxTextBytes makes Search fail or
// panic, and that every hit stays within the scope.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"etat", `"a b" -c`, `' OR 1=1 --`, ".*", "\u202Ex", "-", `"`, "الإدا", "numér"} {
		f.Add(s)
	}
	ix := mustOpen(f)
	mustApply(f, ix, scopeCorpus()...)
	outsider := Scope{UserID: 300, OrgID: 50}
	f.Fuzz(func(t *testing.T, text string) {
		res, err := ix.Search(context.Background(), outsider, Query{Text: text, Facets: true})
		if len(text) > MaxTextBytes {
			if !errors.Is(err, ErrQueryTooLong) {
				t.Fatalf("%q: %v, want ErrQueryTooLong", text, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		for _, k := range keys(res) {
			if k != "measure:1" && k != "comment:11" {
				t.Fatalf("%q: %s is not visible to this viewer", text, k)
			}
		}
	})
}
