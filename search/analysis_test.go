package search

import (
	"slices"
	"strings"
	"testing"
)

// TestAnalyzer_Terms pins what the analyzer makes of single words: each
// pair of spellings a user may type must give the same term.
func TestAnalyzer_Terms(t *testing.T) {
	ix := mustOpen(t)
	for _, tc := range []struct{ a, b string }{
		{"État", "etat"},
		{"l'État", "etat"},
		{"l’État", "ETAT"},
		{"numérique", "numériques"},
		{"numerique", "NUMÉRIQUES"},
		{"digitalisation", "digitaliser"},
		{"services", "service"},
		{"startups", "startup"},
		{"français", "francais"},
		{"reçu", "recu"},
		{"cœur", "coeur"},
		{"government's", "government"},
		{"government’s", "government"},
		{"الإدارة", "الاداره"},
		{"أمن", "امن"},
		{"آلية", "اليه"},
		{"الرقمنة", "رقمنة"},
		{"والتحول", "التحول"},
		{"بالإدارة", "إدارة"},
		{"للإدارة", "الإدارة"},
		{"الرَّقْمَنَة", "رقمنة"},
		{"الرقمـــنة", "رقمنة"},
		{"مستشفى", "مستشفي"},
	} {
		a, b := analyze(ix.analyzer, tc.a), analyze(ix.analyzer, tc.b)
		if len(a) != 1 || len(b) != 1 || a[0].term != b[0].term {
			t.Errorf("%q → %v, %q → %v: want one and the same term", tc.a, a, tc.b, b)
		}
	}
}

// TestAnalyzer_StopWords checks that the three languages' stop words are
// dropped, elided articles included, and that IT and AI are not.
func TestAnalyzer_StopWords(t *testing.T) {
	ix := mustOpen(t)
	for _, s := range []string{"de la", "d'une", "qu’il", "the of and", "في من على", "إلى", "été"} {
		if got := analyze(ix.analyzer, s); len(got) != 0 {
			t.Errorf("%q → %v, want no term", s, got)
		}
	}
	for _, s := range []string{"IT", "AI", "5G"} {
		if got := analyze(ix.analyzer, s); len(got) != 1 {
			t.Errorf("%q → %v, want one term", s, got)
		}
	}
}

// languageCorpus has one measure per case of the language table, and
// comments that must rank below the measures they echo.
func languageCorpus() []Doc {
	return []Doc{
		platform(1, "Guichet numérique de l’État", "Un portail unique pour les démarches d'une administration moderne.",
			"Les **services** numériques de l'administration seront accessibles au citoyen."),
		platform(2, "Digitaliser les PME", "Accompagner les petites et moyennes entreprises.",
			"Un programme d’accompagnement pour chaque région."),
		platform(3, "رقمنة الإدارة العمومية", "تسريع التحول الرقمي في الخدمات العمومية",
			"تمكين المواطن من الولوج إلى الخدمات عن بعد"),
		platform(4, "Cloud services for startups", "A sovereign cloud for young companies.",
			"Startups get credits and the government's support."),
		platform(5, "Formation IT des jeunes", "Former dix mille jeunes aux métiers du web — تكوين الشباب",
			"Bootcamps régionaux."),
		platform(6, "Santé connectée", "Le dossier médical partagé entre hôpitaux.",
			"ربط المستشفى الجامعي بالمراكز الصحية"),
		platform(7, "Souveraineté des données", "Héberger les données publiques au Maroc.",
			"La digitalisation de l'État exige un cloud national."),
	}
}

// TestSearch_Languages is the table of queries and the results that must
// come first, one or more rows per normalisation case.
func TestSearch_Languages(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, languageCorpus()...)
	for _, tc := range []struct {
		name, text string
		first      []string // the first hits, in order
		only       bool     // and no other hit
	}{
		{"fr accents folded", "etat", []string{"measure:1"}, false},
		{"fr upper case", "ÉTAT", []string{"measure:1"}, false},
		{"fr elision", "l'état", []string{"measure:1"}, false},
		{"fr typographic elision", "l’état", []string{"measure:1"}, false},
		{"fr elision of d'", "d'administration", []string{"measure:1"}, true},
		{"fr plural", "numériques", []string{"measure:1"}, true},
		{"fr unaccented", "numerique", []string{"measure:1"}, true},
		{"fr stem -isation", "digitalisation", []string{"measure:2", "measure:7"}, true},
		{"fr stem -iser", "digitaliser", []string{"measure:2", "measure:7"}, true},
		{"fr two words", "guichet citoyen", []string{"measure:1"}, true},
		{"en plural", "service", []string{"measure:4", "measure:1"}, true},
		{"en singular of plural", "startup", []string{"measure:4"}, true},
		{"en possessive", "government", []string{"measure:4"}, true},
		{"en IT kept", "IT", []string{"measure:5"}, true},
		{"ar hamza and taa marbuta", "الاداره", []string{"measure:3"}, true},
		{"ar article", "الرقمنة", []string{"measure:3"}, true},
		{"ar waw and article", "والتحول", []string{"measure:3"}, true},
		{"ar tashkeel", "رَقْمَنَة", []string{"measure:3"}, true},
		{"ar tatweel", "الرقمـــنة", []string{"measure:3"}, true},
		{"ar alef maksura", "مستشفي", []string{"measure:6"}, true},
		{"ar in a mixed field", "الشباب", []string{"measure:5"}, true},
		{"ar with bi- article", "بالخدمات", []string{"measure:3"}, true},
		{"mixed query", "jeunes تكوين", []string{"measure:5"}, true},
		{"title first", "cloud", []string{"measure:4", "measure:7"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustSearch(t, ix, staff, Query{Text: tc.text + " "})
			got := keys(res)
			if len(got) < len(tc.first) || !slices.Equal(got[:len(tc.first)], tc.first) {
				t.Fatalf("%q → %v, want first %v", tc.text, got, tc.first)
			}
			if tc.only && len(got) != len(tc.first) {
				t.Fatalf("%q → %v, want only %v", tc.text, got, tc.first)
			}
		})
	}
}

// TestStopWords_AreFolded checks the stop list holds folded forms, so
// that "etait" is dropped like "était".
func TestStopWords_AreFolded(t *testing.T) {
	words, err := stopWords()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"etait", "était", "the", "الي", "إلى", "de"} {
		if _, found := slices.BinarySearch(words, w); !found {
			t.Errorf("stop list lacks %q", w)
		}
	}
	for _, w := range []string{"it", "ai"} {
		if _, found := slices.BinarySearch(words, w); found {
			t.Errorf("stop list holds %q, a domain term", w)
		}
	}
	if !slices.IsSorted(words) || strings.Join(words, "") == "" {
		t.Error("stop list should be sorted and not empty")
	}
}
