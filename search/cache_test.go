package search

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// TestCache_NeverServesAnOlderIndex searches, changes the index in every
// way a write can (add, replace, delete), and searches again: each answer
// is the index's current one, though the first was cached.
func TestCache_NeverServesAnOlderIndex(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, platform(1, "Cloud souverain", "", ""))
	q := Query{Text: "cloud", Facets: true}
	if got := keys(mustSearch(t, ix, staff, q)); !slices.Equal(got, []string{"measure:1"}) {
		t.Fatalf("first search: %v", got)
	}
	if got := keys(mustSearch(t, ix, staff, q)); !slices.Equal(got, []string{"measure:1"}) {
		t.Fatalf("cached search: %v", got)
	}

	mustApply(t, ix, platform(2, "Cloud national", "", ""))
	if got := sorted(keys(mustSearch(t, ix, staff, q))); !slices.Equal(got, []string{"measure:1", "measure:2"}) {
		t.Fatalf("after an addition: %v", got)
	}
	mustApply(t, ix, platform(1, "Formation", "", ""))
	if got := keys(mustSearch(t, ix, staff, q)); !slices.Equal(got, []string{"measure:2"}) {
		t.Fatalf("after a replacement: %v", got)
	}
	if err := ix.DeleteMeasure(context.Background(), 2, ix.LastEventID()+1); err != nil {
		t.Fatal(err)
	}
	res := mustSearch(t, ix, staff, q)
	if len(res.Hits) != 0 || res.Total != 0 || res.Facets["type"][TypeMeasure] != 0 {
		t.Fatalf("after a deletion: %v, total %d, facets %v", keys(res), res.Total, res.Facets)
	}
}

// TestCache_KeyedByScopeAndQuery checks that a cached answer goes only to
// the same scope and query: a member never gets staff's answer, nor one
// page another's.
func TestCache_KeyedByScopeAndQuery(t *testing.T) {
	ix := mustOpen(t)
	draft := platform(2, "Cloud fédéral", "", "")
	draft.Visibility, draft.OrgIDs, draft.LeadOrgID = "federation", []int64{9}, 9
	mustApply(t, ix, platform(1, "Cloud souverain", "", ""), draft)

	member := Scope{UserID: 5, OrgID: 1}
	if got := sorted(keys(mustSearch(t, ix, staff, Query{Text: "cloud"}))); !slices.Equal(got, []string{"measure:1", "measure:2"}) {
		t.Fatalf("staff: %v", got)
	}
	if got := keys(mustSearch(t, ix, member, Query{Text: "cloud"})); !slices.Equal(got, []string{"measure:1"}) {
		t.Fatalf("member after staff: %v", got)
	}
	first := keys(mustSearch(t, ix, staff, Query{Text: "cloud", Size: 1}))
	second := keys(mustSearch(t, ix, staff, Query{Text: "cloud", Size: 1, Offset: 1}))
	if len(first) != 1 || len(second) != 1 || first[0] == second[0] {
		t.Fatalf("pages: %v then %v", first, second)
	}
}

// TestCache_CallersOwnTheirHits checks that changing a returned page does
// not change what the next caller gets.
func TestCache_CallersOwnTheirHits(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, platform(1, "Cloud souverain", "", ""))
	res := mustSearch(t, ix, staff, Query{Text: "cloud"})
	res.Hits[0].Title = "changed"
	res.Hits = res.Hits[:0]
	again := mustSearch(t, ix, staff, Query{Text: "cloud"})
	if len(again.Hits) != 1 || again.Hits[0].Title != "Cloud souverain" {
		t.Fatalf("the cache was changed through a caller: %+v", again.Hits)
	}
}

// TestCache_ConcurrentSearchesAndWrites runs identical searches from many
// goroutines while documents are added: no search fails, and once the
// writes are done every search sees all of them (run with -race).
func TestCache_ConcurrentSearchesAndWrites(t *testing.T) {
	ix := mustOpen(t)
	const writes = 20
	var wg sync.WaitGroup
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := ix.Search(context.Background(), staff, Query{Text: "cloud", Facets: true}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := int64(1); i <= writes; i++ {
		mustApply(t, ix, platform(i, "Cloud", "", ""))
	}
	close(done)
	wg.Wait()
	if res := mustSearch(t, ix, staff, Query{Text: "cloud", Size: MaxSize}); res.Total != writes {
		t.Fatalf("after the writes: total %d, want %d", res.Total, writes)
	}
}

// TestCache_Off checks OpenWith's NoCache: answers are the same.
func TestCache_Off(t *testing.T) {
	ix, _, err := OpenWith("", Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	mustApply(t, ix, platform(1, "Cloud souverain", "", ""))
	if got := keys(mustSearch(t, ix, staff, Query{Text: "cloud"})); !slices.Equal(got, []string{"measure:1"}) {
		t.Fatalf("without cache: %v", got)
	}
}
