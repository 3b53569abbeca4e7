package search

import (
	"sort"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Bounds on matching the word being typed as a prefix. Shorter prefixes
// match too much to be useful; each field adds at most maxExpansions of
// its most frequent terms, found among the first maxScan of the prefix,
// so a prefix costs a fixed handful of term lookups, never a scan of the
// dictionary.
const (
	minPrefixRunes = 3
	maxExpansions  = 8
	maxScan        = 4096
)

// textQuery is the user's text as bleve queries.
type textQuery struct {
	must      []query.Query // one per wanted word or phrase: all must match
	mustNot   []query.Query // excluded words and phrases
	truncated bool          // terms past MaxTerms were ignored
}

// textQuery analyses each clause with the index's analyzer and builds its
// query. Every wanted word must match in title, summary or body (AND
// between words, as search engines do: each word narrows the result). A
// clause giving several terms ("e-gouvernement", a quoted phrase) must
// match as a phrase, stop words kept as gaps. Clauses giving no term (stop
// words, punctuation) are dropped.
func (ix *Index) textQuery(p parsedText) textQuery {
	var tq textQuery
	budget := MaxTerms
	for i, c := range p.clauses {
		terms := analyze(ix.analyzer, c.text)
		if len(terms) == 0 {
			continue
		}
		if budget == 0 {
			tq.truncated = true
			break
		}
		if len(terms) > budget {
			terms, tq.truncated = terms[:budget], true
		}
		budget -= len(terms)
		q := inFields(terms)
		switch {
		case c.exclude:
			tq.mustNot = append(tq.mustNot, q)
		case p.open && i == len(p.clauses)-1 && !c.phrase && len(terms) == 1:
			tq.must = append(tq.must, ix.withPrefix(q, c.text, terms[0].term))
		default:
			tq.must = append(tq.must, q)
		}
	}
	return tq
}

// inFields matches terms (one word, or a phrase) in any text field, each
// with its boost.
func inFields(terms []analyzed) query.Query {
	fields := textFields()
	qs := make([]query.Query, 0, len(fields))
	for _, f := range fields {
		if len(terms) == 1 {
			q := termQuery(f.name, terms[0].term)
			q.SetBoost(f.boost)
			qs = append(qs, q)
			continue
		}
		q := query.NewMultiPhraseQuery(phraseSlots(terms), f.name)
		q.SetBoost(f.boost)
		qs = append(qs, q)
	}
	return query.NewDisjunctionQuery(qs)
}

// phraseSlots lays terms out by position; a position left empty (a stop
// word the analyzer removed) matches any word, so "ministère de
// l'économie" does not match "ministère de la santé et de l'économie".
func phraseSlots(terms []analyzed) [][]string {
	first := terms[0].pos
	slots := make([][]string, terms[len(terms)-1].pos-first+1)
	for _, t := range terms {
		i := t.pos - first
		if i < 0 || i >= len(slots) { // positions out of order: keep them in sequence
			i = len(slots) - 1
		}
		slots[i] = append(slots[i], t.term)
	}
	return slots
}

// withPrefix lets the word being typed also match the terms it begins
// ("numéri" finds "numérisation"), weighted below the word itself.
// Failing to read the dictionary only loses the prefix matches.
func (ix *Index) withPrefix(exact query.Query, word, stem string) query.Query {
	ts := analyze(ix.prefix, word)
	if len(ts) != 1 || utf8.RuneCountInString(ts[0].term) < minPrefixRunes {
		return exact
	}
	alts := []query.Query{exact}
	for _, f := range textFields() {
		for _, t := range ix.expand(f.name, ts[0].term) {
			if t == stem {
				continue
			}
			q := termQuery(f.name, t)
			q.SetBoost(f.boost * boostPrefix)
			alts = append(alts, q)
		}
	}
	if len(alts) == 1 {
		return exact
	}
	return query.NewDisjunctionQuery(alts)
}

// expand lists the most frequent terms of field beginning with prefix.
func (ix *Index) expand(field, prefix string) []string {
	d, err := ix.b.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return nil
	}
	defer func() { _ = d.Close() }()
	type entry struct {
		term  string
		count uint64
	}
	var top []entry
	for scanned := 0; scanned < maxScan; scanned++ {
		e, err := d.Next()
		if err != nil || e == nil {
			break
		}
		top = append(top, entry{e.Term, e.Count})
		if len(top) > 4*maxExpansions { // keep the slice small while scanning
			sort.Slice(top, func(i, j int) bool { return top[i].count > top[j].count })
			top = top[:maxExpansions]
		}
	}
	sort.Slice(top, func(i, j int) bool { return top[i].count > top[j].count })
	out := make([]string, 0, maxExpansions)
	for i := 0; i < len(top) && i < maxExpansions; i++ {
		out = append(out, top[i].term)
	}
	return out
}
