package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Limits on the work one search may ask for. They keep every search cheap
// whatever is typed, and deep pages (which cost as much as all the pages
// before them) out of reach.
const (
	MaxTextBytes = 1000 // longer texts are refused: ErrQueryTooLong
	MaxTerms     = 32   // terms past this are ignored: Result.Truncated
	MaxSize      = 50   // a page holds at most this many hits
	DefaultSize  = 20   // the page size when Query.Size is 0
	MaxDepth     = 1000 // Offset+Size stops here: later pages are empty
)

// ErrQueryTooLong is returned for a Query.Text over MaxTextBytes; the
// server answers it with a 422 rather than search a pasted document.
var ErrQueryTooLong = errors.New("search: query text too long")

// Query is one search: the user's text and the filters of the search page.
type Query struct {
	// Text is words, "quoted phrases" and -excluded words, in any of the
	// three languages. The last word, while being typed (no space after
	// it), also matches as a prefix. Empty text lists by date.
	Text  string
	Types []string // TypeMeasure, TypeComment, TypePublic; none: all the scope sees
	// Pillar, Axis and Status keep documents with exactly this value
	// (for a comment: its measure's).
	Pillar, Axis, Status string
	OrgID                int64     // lead or co-sponsoring organisation
	From, To             time.Time // From ≤ At < To; zero: unbounded
	Offset, Size         int       // the page; Size 0 is DefaultSize
	// Facets asks for Result.Facets. Counting reads a few values of every
	// match, which costs several times the search itself on common words:
	// ask for them on a results page, not while the user types or pages.
	Facets bool
	// Lang is the viewer's language ("fr", "en", "ar"). Analysis does not
	// depend on it (texts mix languages); it is accepted so that snippet
	// choices may use it, and currently changes nothing.
	Lang string
}

// Result is one page of hits with the total and the facet counts of
// everything that matched, all within the viewer's scope.
type Result struct {
	Hits  []Hit
	Total uint64
	// Facets counts the matches by "type", "pillar", "axis", "status" and
	// "organization" (lead organisation id, in decimal); nil unless
	// Query.Facets asked for them.
	Facets map[string]map[string]int
	// Truncated reports that the text had more than MaxTerms terms and
	// the rest were ignored.
	Truncated bool
}

// Hit is one matching document.
type Hit struct {
	Type      string
	ID        int64 // the measure or comment id
	MeasureID int64
	Title     string // the measure title (for a comment, its measure's)
	// TitleHTML is Title, HTML-escaped, with <mark> around matched words.
	TitleHTML string
	// SnippetHTML is about SnippetRunes characters of the summary or body
	// where the text matched best, HTML-escaped except for the <mark> tags
	// around matches; without a match there, their beginning.
	SnippetHTML string
	Score       float64
	At          time.Time // Doc.At, in UTC
}

// The facets of Result.Facets.
const (
	facetType         = "type"
	facetPillar       = "pillar"
	facetAxis         = "axis"
	facetStatus       = "status"
	facetOrganization = "organization" // the lead organisation's id, in decimal
)

func facetNames() [5]string {
	return [5]string{facetType, facetPillar, facetAxis, facetStatus, facetOrganization}
}

// facetTerms bounds the distinct values counted over all facets; the
// types, the taxonomy and the organisations are far fewer.
const facetTerms = 10000

// Search runs q for a viewer in scope. Only documents the scope may see
// are hits or counted in facets. Hits are ranked by relevance (title over
// summary over body), equal scores newest first; without words, by date,
// newest first.
//
// Answers are cached until the next write (see resultCache): the Result
// is the caller's, but its Facets maps are shared and must not be changed.
func (ix *Index) Search(ctx context.Context, scope Scope, q Query) (*Result, error) {
	if len(q.Text) > MaxTextBytes {
		return nil, ErrQueryTooLong
	}
	gen := ix.gen.Load()
	return ix.cache.get(ctx, cacheKey(scope, q), gen, func(ctx context.Context) (*Result, error) {
		return ix.search(ctx, scope, q)
	})
}

// search is Search without the cache.
func (ix *Index) search(ctx context.Context, scope Scope, q Query) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil { // a corrupt index must not take the server down
			res, err = nil, fmt.Errorf("search: %v", r)
		}
	}()
	types := allowedTypes(scope, q.Types)
	text := ix.textQuery(parseText(q.Text))
	res = &Result{Truncated: text.truncated}
	if q.Facets {
		res.Facets = map[string]map[string]int{}
		for _, f := range facetNames() {
			res.Facets[f] = map[string]int{}
		}
	}
	if len(types) == 0 {
		return res, nil
	}
	filter := filterQuery(scope, types, q)
	offset, size := page(q.Offset, q.Size)
	words := len(text.must) > 0

	bq := query.NewBooleanQuery(text.must, nil, text.mustNot)
	bq.AddFilter(filter)
	req := bleve.NewSearchRequestOptions(bq, size, offset, false)
	// The date after the score is dear (it reads every match's date) but
	// needed: without it bleve breaks ties differently from one page size
	// to another, and paging would repeat or skip equal scores.
	req.Sort = search.SortOrder{&search.SortScore{Desc: true}, byDate()}
	if !words {
		req.Sort = search.SortOrder{byDate()}
		req.Score = "none"
		req.Fields = storedFields()
	}
	if q.Facets {
		req.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetTerms))
	}
	sr, err := ix.b.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	res.Total = sr.Total
	if fr := sr.Facets[fieldFacets]; fr != nil && fr.Terms != nil {
		for _, t := range fr.Terms.Terms() {
			name, value, ok := strings.Cut(t.Term, "=")
			if counts := res.Facets[name]; ok && counts != nil {
				counts[value] = t.Count
			}
		}
	}
	if len(sr.Hits) == 0 {
		return res, nil
	}
	hits := sr.Hits
	if words {
		if hits, err = ix.locate(ctx, hits, text.must, filter); err != nil {
			return nil, err
		}
	}
	res.Hits = make([]Hit, 0, len(hits))
	for _, h := range hits {
		if hit, ok := ix.hit(h); ok {
			res.Hits = append(res.Hits, hit)
		}
	}
	return res, nil
}

// locate fetches, for the hits of one page only, their stored text and
// where the words matched. Asking for locations in the main search would
// decode them for every matching document, not just the page; this second
// search is restricted to the page's ids. A hit missing from it was
// deleted or hidden from the scope in between, and is dropped.
func (ix *Index) locate(ctx context.Context, hits search.DocumentMatchCollection, must []query.Query, filter query.Query) (search.DocumentMatchCollection, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	bq := query.NewBooleanQuery([]query.Query{query.NewDocIDQuery(ids)}, must, nil)
	bq.AddFilter(filter)
	req := bleve.NewSearchRequestOptions(bq, len(ids), 0, false)
	req.Fields = storedFields()
	req.IncludeLocations = true
	sr, err := ix.b.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: snippets: %w", err)
	}
	byID := make(map[string]*search.DocumentMatch, len(sr.Hits))
	for _, h := range sr.Hits {
		byID[h.ID] = h
	}
	out := hits[:0]
	for _, h := range hits {
		if l, ok := byID[h.ID]; ok {
			l.Score, l.Sort = h.Score, h.Sort // the page's ranking, not the second search's
			out = append(out, l)
		}
	}
	return out, nil
}

// hit turns a bleve match into a Hit with its title and snippet.
func (ix *Index) hit(h *search.DocumentMatch) (Hit, bool) {
	typ, docID, ok := parseKey(h.ID)
	if !ok {
		return Hit{}, false
	}
	str := func(f string) string { s, _ := h.Fields[f].(string); return s }
	mid, _ := strconv.ParseInt(str(fieldMeasure), 10, 64)
	out := Hit{Type: typ, ID: docID, MeasureID: mid, Score: h.Score}
	if len(h.Sort) > 0 { // the date is the last sort value
		out.At, _ = time.Parse(sortKeyLayout, h.Sort[len(h.Sort)-1])
	}
	if out.Title = str(fieldTitle); out.Title != "" {
		out.TitleHTML = ix.snip.whole(out.Title, h.Locations[fieldTitle])
	} else {
		out.Title = str(fieldContext)
		out.TitleHTML = ix.snip.whole(out.Title, nil)
	}
	field := bestField(h.Locations)
	if field == "" {
		field = fieldSummary
		if str(fieldSummary) == "" {
			field = fieldBody
		}
	}
	out.SnippetHTML = ix.snip.snippet(field, str(field), h.Locations[field])
	return out, true
}

// bestField picks the snippet's field: the one of summary and body where
// more distinct words matched (then more matches), "" when neither did.
func bestField(locs search.FieldTermLocationMap) string {
	best, bestTerms, bestN := "", 0, 0
	for _, f := range []string{fieldSummary, fieldBody} {
		terms, n := len(locs[f]), 0
		for _, ls := range locs[f] {
			n += len(ls)
		}
		if terms > bestTerms || terms == bestTerms && n > bestN {
			best, bestTerms, bestN = f, terms, n
		}
	}
	return best
}

func storedFields() []string {
	return []string{fieldMeasure, fieldTitle, fieldContext, fieldSummary, fieldBody}
}

func byDate() *search.SortField {
	return &search.SortField{Field: fieldSortKey, Type: search.SortFieldAsString, Desc: true, Missing: search.SortFieldMissingLast}
}

// page bounds the requested page: Size within 1..MaxSize, and nothing past
// MaxDepth (an empty page whose Total is still right).
func page(offset, size int) (int, int) {
	offset = max(offset, 0)
	if size <= 0 {
		size = DefaultSize
	}
	size = min(size, MaxSize)
	if offset >= MaxDepth {
		return 0, 0
	}
	return offset, min(size, MaxDepth-offset)
}

// allowedTypes intersects the scope's document types with the query's.
func allowedTypes(scope Scope, want []string) []string {
	types := scope.types()
	if len(want) == 0 {
		return types
	}
	var out []string
	for _, t := range types {
		if slices.Contains(want, t) {
			out = append(out, t)
		}
	}
	return out
}

// filterQuery is everything that restricts without scoring: the scope,
// the types and the query's filters. types must not be empty.
func filterQuery(scope Scope, types []string, q Query) query.Query {
	must, mustNot := scope.clauses()
	tMust, tMustNot := typeClauses(types)
	must, mustNot = append(must, tMust...), append(mustNot, tMustNot...)
	for _, f := range []struct{ field, value string }{
		{fieldPillar, q.Pillar}, {fieldAxis, q.Axis}, {fieldStatus, q.Status},
	} {
		if f.value != "" {
			must = append(must, termQuery(f.field, f.value))
		}
	}
	if q.OrgID != 0 {
		must = append(must, termQuery(fieldOrgs, id(q.OrgID)))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		var from, to time.Time
		if !q.From.IsZero() {
			from = clampTime(q.From)
		}
		if !q.To.IsZero() {
			to = clampTime(q.To)
		}
		incl, excl := true, false
		dq := query.NewDateRangeInclusiveQuery(from, to, &incl, &excl)
		dq.SetField(fieldAt)
		must = append(must, dq)
	}
	return query.NewBooleanQuery(must, nil, mustNot)
}
