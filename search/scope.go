package search

import (
	"slices"
	"strconv"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Scope is what a viewer may find, as the server's policy decides it. The
// index knows nothing of roles: the server fills a Scope and Search turns
// it into a filter ANDed with the text query, so that hits, totals and
// facet counts only ever include documents the viewer may see.
//
// The flags are read in order: None, then Public, then All, then the
// viewer's UserID and OrgID. The zero Scope sees nothing (deny by default):
// a signed-in scope needs a UserID.
type Scope struct {
	// None is an inactive viewer (invited, suspended): nothing matches.
	None bool
	// Public is the anonymous portal: only TypePublic documents.
	Public bool
	// All is staff (moderators, admins): every measure and comment.
	All bool
	// UserID and OrgID are a signed-in viewer: a measure or comment is
	// visible when its Visibility is VisibilityPlatform, when OrgID is one
	// of its OrgIDs, or when UserID is one of its EditorIDs.
	UserID, OrgID int64
	// HiddenComments lets the viewer find hidden comments (moderators,
	// admins); otherwise a hidden comment never matches.
	HiddenComments bool
}

// types are the document types the scope may see (none: nothing is
// visible, and Search answers without searching): signed-in viewers
// search the current text of measures (TypeMeasure) and never the public
// copies, which would show every published measure twice; the portal
// sees only the public copies.
func (s Scope) types() []string {
	switch {
	case s.None:
		return nil
	case s.Public:
		return []string{TypePublic}
	case s.All || s.UserID > 0:
		return []string{TypeMeasure, TypeComment}
	}
	return nil
}

// clauses are the scope as bleve clauses: what a visible document must
// match and what it must not. Restrictions that hold for most documents
// are written as the exclusion of the few that break them (a hidden
// comment, rather than all the visible ones): the index reads the short
// list, not the long one. Types are left to typeClauses.
func (s Scope) clauses() (must, mustNot []query.Query) {
	if !s.All && !s.Public {
		visible := []query.Query{termQuery(fieldVis, VisibilityPlatform), termQuery(fieldEditors, id(s.UserID))}
		if s.OrgID > 0 {
			visible = append(visible, termQuery(fieldOrgs, id(s.OrgID)))
		}
		must = append(must, query.NewDisjunctionQuery(visible))
	}
	if !s.HiddenComments && !s.Public {
		mustNot = append(mustNot, termQuery(fieldHidden, "T"))
	}
	return must, mustNot
}

// typeClauses keeps the documents of the allowed types (never empty), as
// one short list to match or the short lists to exclude: the types are
// few, and comments outnumber measures tenfold.
func typeClauses(allowed []string) (must, mustNot []query.Query) {
	if len(allowed) == 1 && allowed[0] != TypeComment {
		return []query.Query{termQuery(fieldType, allowed[0])}, nil
	}
	for _, t := range []string{TypeMeasure, TypeComment, TypePublic} {
		if !slices.Contains(allowed, t) {
			mustNot = append(mustNot, termQuery(fieldType, t))
		}
	}
	return nil, mustNot
}

func termQuery(field, term string) *query.TermQuery {
	q := query.NewTermQuery(term)
	q.SetField(field)
	return q
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
