package search

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// day0 is the fixed clock of the tests: document i of a fixture is dated
// day0 plus i hours, so that no two documents tie on date by accident.
var day0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// mustOpen opens a new index in a temporary directory, closed at the end of
// the test.
func mustOpen(tb testing.TB) *Index {
	tb.Helper()
	ix, rebuild, err := Open(filepath.Join(tb.TempDir(), "index"))
	if err != nil {
		tb.Fatal(err)
	}
	if !rebuild {
		tb.Fatal("a new index should ask to be filled")
	}
	tb.Cleanup(func() { _ = ix.Close() })
	return ix
}

// mustApply writes docs, dating undated ones in order, and records event 1
// (or the next one).
func mustApply(tb testing.TB, ix *Index, docs ...Doc) {
	tb.Helper()
	for i := range docs {
		if docs[i].At.IsZero() {
			docs[i].At = day0.Add(time.Duration(i) * time.Hour)
		}
	}
	if err := ix.Apply(docs, nil, ix.LastEventID()+1); err != nil {
		tb.Fatal(err)
	}
}

// platform is a measure every signed-in viewer sees.
func platform(id int64, title, summary, body string) Doc {
	return Doc{Type: TypeMeasure, ID: id, MeasureID: id, Title: title, Summary: summary, Body: body,
		Pillar: "p1", Status: "draft", LeadOrgID: 1, OrgIDs: []int64{1}, Visibility: VisibilityPlatform}
}

// staff sees every measure and comment.
var staff = Scope{All: true, HiddenComments: true}

// mustSearch runs a search that must succeed.
func mustSearch(tb testing.TB, ix *Index, scope Scope, q Query) *Result {
	tb.Helper()
	res, err := ix.Search(context.Background(), scope, q)
	if err != nil {
		tb.Fatalf("Search(%+v, %q): %v", scope, q.Text, err)
	}
	return res
}

// keys lists the hits as document keys, in order.
func keys(res *Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = Key(h.Type, h.ID)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
