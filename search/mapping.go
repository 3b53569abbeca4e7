package search

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
)

// mappingVersion is stored in the index (SetInternal) when it is created.
// Change it whenever the mapping, the analysis or what a field holds
// changes: Open then drops the old index and reports that it must be
// filled again, instead of answering from terms analysed another way.
const mappingVersion = "pacte-search-2"

// Field names in the index. Short, because every stored field carries its
// name in every segment.
const (
	fieldType     = "type"    // keyword (filter)
	fieldMeasure  = "mid"     // keyword: measure id, stored (a comment's measure)
	fieldTitle    = "title"   // text, stored, highlighted; measures and public only
	fieldContext  = "ctitle"  // a comment's measure title: stored, not searched
	fieldSummary  = "summary" // text, stored, highlighted
	fieldBody     = "body"    // text, stored, highlighted
	fieldPillar   = "pillar"  // keyword (filter)
	fieldAxis     = "axis"    // keyword (filter)
	fieldStatus   = "status"  // keyword (filter)
	fieldFacets   = "fc"      // keywords "facet=value" for every facet: doc values
	fieldOrgs     = "orgs"    // keywords: lead and co-sponsors (scope, filter)
	fieldEditors  = "editors" // keywords: editor user ids (scope)
	fieldVis      = "vis"     // keyword: visibility (scope)
	fieldHidden   = "hidden"  // boolean: hidden comment (scope)
	fieldAt       = "at"      // datetime: date filters
	fieldSortKey  = "sk"      // keyword: the date as sortable text, doc values
	boostTitle    = 3.0
	boostSummary  = 2.0
	boostBody     = 1.0
	boostPrefix   = 0.5 // a prefix expansion counts less than the word itself
	internalVer   = "pacte.mapping_version"
	internalEvent = "pacte.last_event_id"
)

// textField is a searched field and its boost.
type textField struct {
	name  string
	boost float64
}

// textFields are the searched fields with their boosts: a word in a title
// says more about a measure than the same word deep in its body.
func textFields() [3]textField {
	return [3]textField{{fieldTitle, boostTitle}, {fieldSummary, boostSummary}, {fieldBody, boostBody}}
}

// newMapping builds the index mapping explicitly: one static document
// mapping, nothing dynamic, no _all field, and for each field only what a
// query needs from it:
//   - text fields: indexed with term vectors (phrases and highlighting need
//     positions and offsets) and stored (the snippet is cut from them);
//   - keyword fields used only as filters: indexed, without frequencies
//     and norms (they are never scored);
//   - every facet value in one keyword field ("pillar=p1", "status=draft")
//     with doc values: counting facets reads the doc values of every
//     match, and one field costs one read where a field per facet cost
//     five (facets were then three quarters of a common word's search);
//   - a comment's measure title: stored only, shown but not searched;
//   - the date twice: a datetime field for range filters, and a keyword
//     (sortKey) with doc values for sorting. A datetime's doc values hold
//     one term per precision step, and reading them for every match made
//     sorting three times dearer than the keyword's single term.
//
// Scoring is BM25 rather than bleve's default tf-idf: it saturates
// repeated words and weighs a field's length against the average, so a
// five-word title and a long body compete fairly and a body repeating
// "numérique" twenty times does not beat a title that says it once.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	if err := addAnalysis(im); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = analyzerName
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.ScoringModel = index.BM25Scoring

	text := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store = true
		f.IncludeTermVectors = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func(docValues bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		f.SkipFreqNorm = true
		return f
	}

	dm := mapping.NewDocumentStaticMapping()
	for _, f := range textFields() {
		dm.AddFieldMappingsAt(f.name, text())
	}
	ctx := mapping.NewTextFieldMapping()
	ctx.Index = false
	ctx.Store = true
	ctx.IncludeInAll = false
	ctx.IncludeTermVectors = false
	ctx.DocValues = false
	dm.AddFieldMappingsAt(fieldContext, ctx)

	mid := kw(false)
	mid.Store = true
	dm.AddFieldMappingsAt(fieldMeasure, mid)
	dm.AddFieldMappingsAt(fieldFacets, kw(true))
	for _, name := range []string{fieldType, fieldPillar, fieldAxis, fieldStatus, fieldOrgs, fieldEditors, fieldVis} {
		dm.AddFieldMappingsAt(name, kw(false))
	}
	hidden := mapping.NewBooleanFieldMapping()
	hidden.Store = false
	hidden.IncludeInAll = false
	hidden.DocValues = false
	dm.AddFieldMappingsAt(fieldHidden, hidden)
	at := mapping.NewDateTimeFieldMapping()
	at.Store = false
	at.IncludeInAll = false
	at.DocValues = false
	dm.AddFieldMappingsAt(fieldAt, at)
	dm.AddFieldMappingsAt(fieldSortKey, kw(true))

	im.DefaultMapping = dm
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	return im, nil
}
