package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOpen_Lifecycle: a new index asks to be filled, a filled and closed
// one opens as it was with its last event id.
func TestOpen_Lifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	ix, rebuild, err := Open(dir)
	if err != nil || !rebuild {
		t.Fatalf("new index: rebuild %v, err %v", rebuild, err)
	}
	if n, err := ix.Count(); err != nil || n != 0 || ix.LastEventID() != 0 {
		t.Fatalf("new index: count %d (%v), last event %d", n, err, ix.LastEventID())
	}
	if err := ix.Apply(languageCorpus(), nil, 42); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ix, rebuild, err = Open(dir)
	if err != nil || rebuild {
		t.Fatalf("reopen: rebuild %v, err %v", rebuild, err)
	}
	defer ix.Close()
	if n, _ := ix.Count(); n != 7 || ix.LastEventID() != 42 {
		t.Fatalf("reopen: count %d, last event %d; want 7, 42", n, ix.LastEventID())
	}
	if got := keys(mustSearch(t, ix, staff, Query{Text: "الاداره"})); !slices.Equal(got, []string{"measure:3"}) {
		t.Fatalf("reopened index answers %v", got)
	}
}

// TestOpen_Recovers: garbage in the index files, an unfinished rebuild or
// an older mapping version each give a new, empty index and rebuild=true.
func TestOpen_Recovers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"garbage in every file", func(t *testing.T, dir string) {
			err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				return os.WriteFile(path, []byte(strings.Repeat("garbage\x00\xff", 512)), 0o600)
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage in the segments only", func(t *testing.T, dir string) {
			segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
			if len(segs) == 0 {
				t.Fatal("no segment files")
			}
			for _, s := range segs {
				if err := os.WriteFile(s, []byte(strings.Repeat("\x01", 4096)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"store removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "store")); err != nil {
				t.Fatal(err)
			}
		}},
		{"meta removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "index_meta.json")); err != nil {
				t.Fatal(err)
			}
		}},
		{"older mapping version", func(t *testing.T, dir string) {
			ix, _, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.b.SetInternal([]byte(internalVer), []byte("pacte-search-0")); err != nil {
				t.Fatal(err)
			}
			_ = ix.Close()
		}},
		{"unfinished rebuild", func(t *testing.T, dir string) {
			ix, _, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.b.DeleteInternal([]byte(internalEvent)); err != nil {
				t.Fatal(err)
			}
			_ = ix.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			ix, _, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Apply(languageCorpus(), nil, 5); err != nil {
				t.Fatal(err)
			}
			_ = ix.Close()
			tc.spoil(t, dir)

			ix, rebuild, err := Open(dir)
			if err != nil || !rebuild {
				t.Fatalf("rebuild %v, err %v; want true, nil", rebuild, err)
			}
			defer ix.Close()
			if n, err := ix.Count(); err != nil || n != 0 || ix.LastEventID() != 0 {
				t.Fatalf("count %d (%v), last event %d; want an empty index", n, err, ix.LastEventID())
			}
			mustApply(t, ix, languageCorpus()...)
			if got := keys(mustSearch(t, ix, staff, Query{Text: "IT"})); !slices.Equal(got, []string{"measure:5"}) {
				t.Fatalf("rebuilt index answers %v", got)
			}
		})
	}
}

// TestOpen_RefusesForeignDirectory: a directory holding other files is
// never removed, however broken it looks as an index.
func TestOpen_RefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "pacte.db")
	if err := os.WriteFile(keep, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir); err == nil {
		t.Fatal("Open should refuse a directory that is not an index")
	}
	if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir); err == nil {
		t.Fatal("Open should refuse to clear a directory that holds other files")
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "precious" {
		t.Fatalf("the other file was touched: %q, %v", b, err)
	}
}

// TestOpen_InMemory: no directory keeps the index in memory, new (to be
// filled) at every Open.
func TestOpen_InMemory(t *testing.T) {
	ix, rebuild, err := Open("")
	if err != nil || !rebuild {
		t.Fatalf("Open(\"\") = %v, rebuild %v", err, rebuild)
	}
	defer ix.Close()
	if err := ix.Apply([]Doc{{Type: TypeMeasure, ID: 1, MeasureID: 1, Title: "Souveraineté numérique", Visibility: VisibilityPlatform,
		At: time.Now()}}, nil, 3); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), Scope{All: true}, Query{Text: "souverainete"})
	if err != nil || res.Total != 1 || ix.LastEventID() != 3 {
		t.Fatalf("in memory: %v, %d hits, last event %d", err, res.Total, ix.LastEventID())
	}
}

// TestOpen_InUse: a second Open of the same directory fails instead of
// waiting or, worse, clearing an index another process is using.
func TestOpen_InUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	ix, _, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	mustApply(t, ix, languageCorpus()...)
	_, _, err = Open(dir)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: %v, want an in-use error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		t.Fatalf("the index in use was removed: %v", err)
	}
	if n, _ := ix.Count(); n != 7 {
		t.Fatalf("the open index lost documents: %d", n)
	}
}

// TestApply checks replacing, deleting, the event id, and that deletion
// wins over a document given in the same call.
func TestApply(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, scopeCorpus()...)

	t.Run("ReplaceByKey", func(t *testing.T) {
		d := platform(1, "Titre changé", "", "")
		if err := ix.Apply([]Doc{d}, nil, 10); err != nil {
			t.Fatal(err)
		}
		if got := keys(mustSearch(t, ix, staff, Query{Text: "change", Types: []string{TypeMeasure}})); !slices.Equal(got, []string{"measure:1"}) {
			t.Fatalf("new text: %v", got)
		}
		if got := keys(mustSearch(t, ix, staff, Query{Text: "souveraineté", Types: []string{TypeMeasure}})); slices.Contains(got, "measure:1") {
			t.Fatalf("old text still found: %v", got)
		}
		if n, _ := ix.Count(); n != 8 {
			t.Fatalf("count %d, want 8", n)
		}
	})
	t.Run("DeleteWins", func(t *testing.T) {
		d := platform(99, "Éphémère", "", "")
		if err := ix.Apply([]Doc{d}, []string{d.Key(), Key(TypeComment, 11), "comment:404"}, 11); err != nil {
			t.Fatal(err)
		}
		if n, _ := ix.Count(); n != 7 || ix.LastEventID() != 11 {
			t.Fatalf("count %d, last event %d; want 7, 11", n, ix.LastEventID())
		}
	})
	t.Run("EventIDOnlyForward", func(t *testing.T) {
		if err := ix.Apply(nil, nil, 3); err != nil {
			t.Fatal(err)
		}
		if err := ix.Apply(nil, nil, 0); err != nil {
			t.Fatal(err)
		}
		if ix.LastEventID() != 11 {
			t.Fatalf("last event %d, want 11", ix.LastEventID())
		}
		if err := ix.Apply(nil, nil, 12); err != nil || ix.LastEventID() != 12 {
			t.Fatalf("last event %d (%v), want 12", ix.LastEventID(), err)
		}
	})
	t.Run("BadDocsRejected", func(t *testing.T) {
		for _, d := range []Doc{{Type: "user", ID: 1}, {Type: TypeMeasure}} {
			if err := ix.Apply([]Doc{platform(50, "ok", "", ""), d}, nil, 13); err == nil {
				t.Errorf("%+v: want an error", d)
			}
		}
		if n, _ := ix.Count(); n != 7 || ix.LastEventID() != 12 {
			t.Fatalf("a refused batch changed the index: count %d, last event %d", n, ix.LastEventID())
		}
	})
	t.Run("DeleteMeasure", func(t *testing.T) {
		ks, err := ix.KeysOfMeasure(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"comment:12", "measure:1", "public:1"}; !slices.Equal(ks, want) {
			t.Fatalf("keys of measure 1: %v, want %v", ks, want)
		}
		if err := ix.DeleteMeasure(context.Background(), 1, 14); err != nil {
			t.Fatal(err)
		}
		if ks, _ := ix.KeysOfMeasure(context.Background(), 1); len(ks) != 0 {
			t.Fatalf("left: %v", ks)
		}
		if n, _ := ix.Count(); n != 4 || ix.LastEventID() != 14 {
			t.Fatalf("count %d, last event %d; want 4, 14", n, ix.LastEventID())
		}
	})
}

// TestKeysOfMeasure_ManyComments pages through more keys than one page.
func TestKeysOfMeasure_ManyComments(t *testing.T) {
	ix := mustOpen(t)
	docs := []Doc{platform(1, "Mesure", "", "")}
	for i := int64(1); i <= 2500; i++ {
		docs = append(docs, Doc{Type: TypeComment, ID: i, MeasureID: 1, Body: "oui", Visibility: VisibilityPlatform})
	}
	docs = append(docs, Doc{Type: TypeComment, ID: 9999, MeasureID: 2, Body: "autre"})
	mustApply(t, ix, docs...)
	ks, err := ix.KeysOfMeasure(context.Background(), 1)
	if err != nil || len(ks) != 2501 {
		t.Fatalf("%d keys (%v), want 2501", len(ks), err)
	}
}

// TestIndex_ConcurrentSearchDuringApply runs searches while batches are
// applied (run with -race): every search succeeds and sees whole batches.
func TestIndex_ConcurrentSearchDuringApply(t *testing.T) {
	ix := mustOpen(t)
	mustApply(t, ix, languageCorpus()...)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := ix.Search(context.Background(), staff, Query{Text: "lot"})
				if err != nil {
					errs <- err
					return
				}
				if res.Total%10 != 0 { // batches of ten: never half of one
					errs <- fmt.Errorf("saw %d documents of a batch", res.Total)
					return
				}
			}
		}()
	}
	for b := 0; b < 20; b++ {
		docs := make([]Doc, 10)
		for i := range docs {
			docs[i] = platform(int64(100+b*10+i), "Lot de mesures", "", "")
		}
		if err := ix.Apply(docs, nil, int64(b+1)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if res := mustSearch(t, ix, staff, Query{Text: "lot"}); res.Total != 200 {
		t.Fatalf("total %d, want 200", res.Total)
	}
}
