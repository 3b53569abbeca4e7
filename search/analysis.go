package search

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// One analyzer serves every text field, because a single title, body or
// comment often mixes French, Arabic and English: a per-language analyzer
// would have to guess the language of each field and would still be wrong
// for half of a mixed sentence. The filters below are written so that each
// one leaves the other languages' words alone.
//
// The chain, in order, and why each step sits where it does:
//
//	asciifolding (char filter)  É→E, ç→c, œ→oe, ’→': accents and typographic
//	                            quotes go first so that everything after it,
//	                            the stemmer included, sees one spelling
//	                            whatever the user typed. It does not touch
//	                            Arabic letters. Because it runs before the
//	                            tokenizer, the offsets the index records are
//	                            offsets in the folded text: snippet.go maps
//	                            them back to the original.
//	unicode tokenizer           Unicode word boundaries (UAX #29): keeps
//	                            "l'état" and "الرَّقْمَنَة" whole.
//	to_lower
//	elision_fr                  l'état → état, d'une → une (after folding, the
//	                            typographic apostrophe is a plain one).
//	possessive_en               government's → government.
//	normalize_ar                tashkeel and tatweel removed; أ إ آ → ا,
//	                            ة → ه, ى → ي.
//	stop (fr + en + ar)         the three lists, folded like the text; they
//	                            keep posting lists of "de", "the", "في" out
//	                            of the index, which is most of the speed.
//	stemmer_ar                  light stemmer (Larkey's light10 prefixes ال
//	                            وال بال كال فال لل و and common suffixes).
//	                            A lone ب or ل is not stripped: too many
//	                            words begin with one (بلد, لغة).
//	stemmer_fr_snowball         French Snowball: numérique/numériques →
//	                            numer, digitalisation/digitaliser →
//	                            digitalis, and English -s plurals
//	                            (services/service → servic). The light and
//	                            minimal French stemmers fail one of these.
const (
	// analyzerName is the analyzer of every text field.
	analyzerName = "pacte"
	// prefixAnalyzerName folds and normalises like analyzerName but keeps
	// stop words and does not stem French: it turns the word being typed
	// into the prefix looked up in the term dictionary. It strips Arabic
	// prefixes, since the index holds "ادار" for "الإدارة": "الإدا" must
	// look up "ادا".
	prefixAnalyzerName = "pacte_prefix"
	stopMapName        = "pacte_stop"
	stopFilterName     = "pacte_stop"
)

// keptStopWord tells the stop words that are also terms of this domain:
// "IT" (information technology) and "AI" must stay searchable.
func keptStopWord(w string) bool { return w == "it" || w == "ai" }

// addAnalysis registers the analyzers in the index mapping, by the names
// that bleve's language packages register themselves under.
func addAnalysis(im *mapping.IndexMappingImpl) error {
	words, err := stopWords()
	if err != nil {
		return err
	}
	tokens := make([]interface{}, len(words))
	for i, w := range words {
		tokens[i] = w
	}
	if err := im.AddCustomTokenMap(stopMapName, map[string]interface{}{
		"type":   tokenmap.Name,
		"tokens": tokens,
	}); err != nil {
		return fmt.Errorf("search: stop words: %w", err)
	}
	if err := im.AddCustomTokenFilter(stopFilterName, map[string]interface{}{
		"type":           stop.Name,
		"stop_token_map": stopMapName,
	}); err != nil {
		return fmt.Errorf("search: stop filter: %w", err)
	}
	full := []interface{}{lowercase.Name, fr.ElisionName, en.PossessiveName, ar.NormalizeName,
		stopFilterName, ar.StemmerName, fr.SnowballStemmerName}
	prefix := []interface{}{lowercase.Name, fr.ElisionName, en.PossessiveName, ar.NormalizeName, ar.StemmerName}
	for name, filters := range map[string][]interface{}{analyzerName: full, prefixAnalyzerName: prefix} {
		if err := im.AddCustomAnalyzer(name, map[string]interface{}{
			"type":          custom.Name,
			"char_filters":  []interface{}{asciifolding.Name},
			"tokenizer":     unicode.Name,
			"token_filters": filters,
		}); err != nil {
			return fmt.Errorf("search: analyzer %s: %w", name, err)
		}
	}
	return nil
}

// stopWords is the union of bleve's French, English and Arabic stop lists,
// each word in the form the stop filter will meet it: folded, lower-cased
// and Arabic-normalised.
func stopWords() ([]string, error) {
	fold := asciifolding.New()
	norm := ar.NewArabicNormalizeFilter()
	set := map[string]bool{}
	for _, list := range [][]byte{fr.FrenchStopWords, en.EnglishStopWords, ar.ArabicStopWords} {
		tm := analysis.NewTokenMap()
		if err := tm.LoadBytes(list); err != nil {
			return nil, fmt.Errorf("search: stop list: %w", err)
		}
		for w := range tm {
			folded := bytes.ToLower(fold.Filter([]byte(w)))
			ts := norm.Filter(analysis.TokenStream{{Term: folded}})
			for _, v := range []string{w, string(ts[0].Term)} {
				if !keptStopWord(v) {
					set[v] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out) // a stable mapping: the same words in the same order
	return out, nil
}

// analyzed is one term of a query as the index holds it, with its position
// so that a phrase keeps the gaps left by stop words.
type analyzed struct {
	term string
	pos  int
}

// analyze runs text through an analyzer of the open index's mapping.
func analyze(a analysis.Analyzer, text string) []analyzed {
	if a == nil || strings.TrimSpace(text) == "" {
		return nil
	}
	ts := a.Analyze([]byte(text))
	out := make([]analyzed, 0, len(ts))
	for _, t := range ts {
		if len(t.Term) > 0 {
			out = append(out, analyzed{term: string(t.Term), pos: t.Position})
		}
	}
	return out
}
