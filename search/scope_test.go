package search

import (
	"slices"
	"strconv"
	"testing"
)

// scopeCorpus: measure 1 is open to the platform (lead org 10, editor 100);
// measure 2 is a federation draft led by org 10, co-sponsored by org 11,
// edited by user 100; measure 3 is a federation draft of org 12 edited by
// user 101. Comment 11 (visible) and 12 (hidden) are on measure 1, comment
// 21 on measure 2, comment 31 on measure 3; measure 1 is also published.
// Every document holds the word "souveraineté".
func scopeCorpus() []Doc {
	measure := func(id, lead int64, orgs, editors []int64, vis string) Doc {
		return Doc{Type: TypeMeasure, ID: id, Title: "Souveraineté numérique " + strconv.FormatInt(id, 10),
			LeadOrgID: lead, OrgIDs: orgs, EditorIDs: editors, Visibility: vis, Pillar: "p3", Status: "draft"}
	}
	comment := func(id int64, m Doc, hidden bool) Doc {
		return Doc{Type: TypeComment, ID: id, MeasureID: m.ID, Title: m.Title, Body: "Et la souveraineté ?",
			LeadOrgID: m.LeadOrgID, OrgIDs: m.OrgIDs, EditorIDs: m.EditorIDs, Visibility: m.Visibility,
			Pillar: m.Pillar, Status: m.Status, Hidden: hidden}
	}
	m1 := measure(1, 10, []int64{10}, []int64{100}, VisibilityPlatform)
	m2 := measure(2, 10, []int64{10, 11}, []int64{100}, "federation")
	m3 := measure(3, 12, []int64{12}, []int64{101}, "federation")
	p1 := m1
	p1.Type, p1.Status = TypePublic, "approved"
	return []Doc{m1, m2, m3, p1, comment(11, m1, false), comment(12, m1, true), comment(21, m2, false), comment(31, m3, false)}
}

// TestSearch_Scope checks, for each kind of viewer, which documents are
// hits and that the total and the type facet count exactly those.
func TestSearch_Scope(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, scopeCorpus()...)
	for _, tc := range []struct {
		name  string
		scope Scope
		types []string
		want  []string
	}{
		{"zero scope sees nothing", Scope{}, nil, nil},
		{"inactive viewer", Scope{None: true, All: true, UserID: 100, OrgID: 10}, nil, nil},
		{"public portal", Scope{Public: true}, nil, []string{"public:1"}},
		{"public portal asking for measures", Scope{Public: true}, []string{TypeMeasure, TypeComment}, nil},
		{"public portal ignores hidden flag", Scope{Public: true, HiddenComments: true}, nil, []string{"public:1"}},
		{"staff", Scope{All: true}, nil,
			[]string{"comment:11", "comment:21", "comment:31", "measure:1", "measure:2", "measure:3"}},
		{"moderator", Scope{All: true, HiddenComments: true}, nil,
			[]string{"comment:11", "comment:12", "comment:21", "comment:31", "measure:1", "measure:2", "measure:3"}},
		{"staff asking for public", Scope{All: true}, []string{TypePublic}, nil},
		{"member of the lead federation", Scope{UserID: 200, OrgID: 10}, nil,
			[]string{"comment:11", "comment:21", "measure:1", "measure:2"}},
		{"member of a co-sponsor", Scope{UserID: 201, OrgID: 11}, nil,
			[]string{"comment:11", "comment:21", "measure:1", "measure:2"}},
		{"editor from another federation", Scope{UserID: 101, OrgID: 99}, nil,
			[]string{"comment:11", "comment:31", "measure:1", "measure:3"}},
		{"reviewer of the ministry", Scope{UserID: 300, OrgID: 50}, nil, []string{"comment:11", "measure:1"}},
		{"user without organisation", Scope{UserID: 301}, nil, []string{"comment:11", "measure:1"}},
		{"organisation without user", Scope{OrgID: 10}, nil, nil},
		{"member who moderates comments", Scope{UserID: 200, OrgID: 10, HiddenComments: true}, nil,
			[]string{"comment:11", "comment:12", "comment:21", "measure:1", "measure:2"}},
		{"member, comments only", Scope{UserID: 200, OrgID: 10}, []string{TypeComment},
			[]string{"comment:11", "comment:21"}},
		{"member asking for public", Scope{UserID: 200, OrgID: 10}, []string{TypePublic}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, text := range []string{"souveraineté ", ""} {
				res := mustSearch(t, ix, tc.scope, Query{Text: text, Types: tc.types, Facets: true})
				got := sorted(keys(res))
				if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
					t.Fatalf("text %q: hits %v, want %v", text, got, tc.want)
				}
				if res.Total != uint64(len(tc.want)) {
					t.Fatalf("text %q: total %d, want %d", text, res.Total, len(tc.want))
				}
				counted := 0
				for typ, n := range res.Facets["type"] {
					counted += n
					if n != countType(tc.want, typ) {
						t.Fatalf("text %q: facet type %s = %d, want %d", text, typ, n, countType(tc.want, typ))
					}
				}
				if counted != len(tc.want) {
					t.Fatalf("text %q: facets count %d documents, want %d", text, counted, len(tc.want))
				}
			}
		})
	}
}

func countType(keys []string, typ string) int {
	n := 0
	for _, k := range keys {
		if t, _, _ := parseKey(k); t == typ {
			n++
		}
	}
	return n
}

// TestSearch_ScopeFollowsReindex checks that re-applying a measure and
// its comments with a new visibility changes who finds them at once.
func TestSearch_ScopeFollowsReindex(t *testing.T) {
	ix := mustOpen(t)
	docs := scopeCorpus()
	mustApply(t, ix, docs...)
	outsider := Scope{UserID: 300, OrgID: 50}
	if got := sorted(keys(mustSearch(t, ix, outsider, Query{Text: "souveraineté"}))); !slices.Equal(got, []string{"comment:11", "measure:1"}) {
		t.Fatalf("before: %v", got)
	}
	var reopened []Doc
	for _, d := range docs {
		if d.MeasureID == 3 || d.ID == 3 && d.Type == TypeMeasure {
			d.Visibility = VisibilityPlatform
			reopened = append(reopened, d)
		}
	}
	if err := ix.Apply(reopened, nil, 2); err != nil {
		t.Fatal(err)
	}
	want := []string{"comment:11", "comment:31", "measure:1", "measure:3"}
	if got := sorted(keys(mustSearch(t, ix, outsider, Query{Text: "souveraineté"}))); !slices.Equal(got, want) {
		t.Fatalf("after: %v, want %v", got, want)
	}
}
