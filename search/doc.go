package search

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Document types. A measure has two documents: TypeMeasure, its current
// text, which signed-in people search under their visibility; and
// TypePublic, its published (approved) text, the only kind the anonymous
// portal sees. Keeping them apart means a draft edit never leaks into the
// portal and the portal never shows a text that was not approved.
const (
	TypeMeasure = "measure"
	TypeComment = "comment"
	TypePublic  = "public"
)

// VisibilityPlatform is the Doc.Visibility of a measure (and its comments)
// opened to the whole platform; any other value restricts it to its
// federations and editors.
const VisibilityPlatform = "platform"

// Doc is one indexed document: what is searched, what is shown in a hit,
// and what its visibility depends on. The server fills it from the
// database; the visibility rule itself stays in the server's policy and
// reaches Search as a Scope.
//
// For a comment, Pillar, Axis, Status, LeadOrgID, Visibility, OrgIDs and
// EditorIDs are those of its measure, so that filters and scopes treat a
// comment like the measure it belongs to.
type Doc struct {
	Type      string // TypeMeasure, TypeComment or TypePublic
	ID        int64  // the measure id, or the comment id
	MeasureID int64  // the measure (taken as ID for measures and public)
	// Title is the measure title. For a comment it is its measure's title,
	// shown in the hit but not searched: otherwise a word of a title would
	// return every comment of that measure, drowning the measure itself,
	// and each title word's postings would grow tenfold.
	Title   string
	Summary string
	// Body is Markdown for measures; its syntax is removed before
	// indexing, so that snippets read as text. Plain text works too.
	Body                 string
	Pillar, Axis, Status string
	LeadOrgID            int64
	Visibility           string  // VisibilityPlatform or "federation"
	OrgIDs               []int64 // lead and co-sponsoring federations
	EditorIDs            []int64
	Hidden               bool      // a hidden comment (moderators only)
	At                   time.Time // comment created_at, measure updated_at, public published_at
}

// Key is the document key of a type and id ("measure:12", "comment:40",
// "public:12"): the same id names a measure and its public text, so the
// type is part of the key. Apply's deleteKeys take these.
func Key(typ string, id int64) string {
	return typ + ":" + strconv.FormatInt(id, 10)
}

// Key is the document key of d.
func (d Doc) Key() string { return Key(d.Type, d.ID) }

// parseKey splits a document key; ok is false for a key this package did
// not make.
func parseKey(key string) (typ string, id int64, ok bool) {
	typ, n, found := strings.Cut(key, ":")
	if !found || !knownType(typ) {
		return "", 0, false
	}
	id, err := strconv.ParseInt(n, 10, 64)
	return typ, id, err == nil && id > 0
}

func knownType(t string) bool {
	return t == TypeMeasure || t == TypeComment || t == TypePublic
}

// minTime and maxTime bound the dates bleve can index (nanoseconds in an
// int64, with a margin).
func minTime() time.Time { return time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC) }
func maxTime() time.Time { return time.Date(2261, 12, 31, 0, 0, 0, 0, time.UTC) }

// clampTime keeps t within what the index can hold; a zero time becomes
// the oldest possible, so that a document without a date sorts last.
func clampTime(t time.Time) time.Time {
	switch {
	case t.IsZero() || t.Before(minTime()):
		return minTime()
	case t.After(maxTime()):
		return maxTime()
	}
	return t.UTC()
}

// sortKeyLayout writes a date as text whose order is the dates' order
// (UTC, fixed width, years 1678 to 2261).
const sortKeyLayout = "20060102150405.000000000"

// sortKey is t as sortable text.
func sortKey(t time.Time) string { return clampTime(t).Format(sortKeyLayout) }

// fields is the document as bleve indexes it. Text is made valid UTF-8
// first: the stored text and the analysed text must be byte for byte the
// same, or snippet offsets would drift.
func (d Doc) fields() (map[string]interface{}, error) {
	if !knownType(d.Type) {
		return nil, fmt.Errorf("search: document type %q", d.Type)
	}
	if d.ID <= 0 {
		return nil, fmt.Errorf("search: %s document without id", d.Type)
	}
	mid := d.MeasureID
	if d.Type != TypeComment || mid == 0 {
		mid = d.ID
	}
	m := map[string]interface{}{
		fieldType:    d.Type,
		fieldMeasure: strconv.FormatInt(mid, 10),
		fieldVis:     d.Visibility,
		fieldHidden:  d.Hidden && d.Type == TypeComment,
		fieldAt:      clampTime(d.At),
		fieldSortKey: sortKey(d.At),
	}
	title := fieldTitle
	if d.Type == TypeComment {
		title = fieldContext
	}
	put := func(name, v string) {
		if v != "" {
			m[name] = v
		}
	}
	put(title, validText(d.Title))
	put(fieldSummary, validText(d.Summary))
	put(fieldBody, validText(plainText(d.Body)))
	put(fieldPillar, d.Pillar)
	put(fieldAxis, d.Axis)
	put(fieldStatus, d.Status)
	m[fieldFacets] = d.facetValues()
	orgs := d.OrgIDs
	if d.LeadOrgID != 0 && !slices.Contains(orgs, d.LeadOrgID) {
		orgs = append(slices.Clip(orgs), d.LeadOrgID)
	}
	if len(orgs) > 0 {
		m[fieldOrgs] = idStrings(orgs)
	}
	if len(d.EditorIDs) > 0 {
		m[fieldEditors] = idStrings(d.EditorIDs)
	}
	return m, nil
}

// facetValues are the document's values for Result.Facets, each as
// "facet=value" in the one facet field.
func (d Doc) facetValues() []string {
	out := []string{facetType + "=" + d.Type}
	for _, f := range []struct{ name, v string }{
		{facetPillar, d.Pillar}, {facetAxis, d.Axis}, {facetStatus, d.Status},
	} {
		if f.v != "" {
			out = append(out, f.name+"="+f.v)
		}
	}
	if d.LeadOrgID != 0 {
		out = append(out, facetOrganization+"="+strconv.FormatInt(d.LeadOrgID, 10))
	}
	return out
}

func idStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

// validText replaces invalid UTF-8 and NUL bytes, which would otherwise
// shift offsets between the stored and the analysed text.
func validText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", " ")
}
