// Command search measures full-text search on a database of the size the
// issue names: 20,000 measures and 200,000 comments in French and Arabic
// (bench/corpus). It reports the index's build time and size, then, for
// queries of one, two and three words, the latency under concurrent
// searchers (a member of a federation: the visibility filter applies) of
// the index and, in the same run, of the LIKE search of the measures
// list that the index replaces (measures only: it never searched
// comments). The goal is a p99 of 50 ms or less for the index.
//
//	go run ./bench/search                       # SQLite in a temporary directory
//	go run ./bench/search -c 16 -d 10s -measures 20000 -comments 200000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"pacte/bench/corpus"
	"pacte/models"
	"pacte/search"
	"pacte/server"
)

type options struct {
	measures, comments int
	concurrency        int
	duration           time.Duration
	dataDir            string
}

// queries are words of the corpus's vocabulary, common and rare, in both
// languages, by number of words.
var queries = map[int][]string{
	1: {"numérique", "cloud", "formation", "souverain", "cybersécurité", "الرقمية", "الإدارة", "التكوين"},
	2: {"données publiques", "cloud souverain", "jeunes diplômés", "signature électronique", "التوقيع الإلكتروني", "المعطيات العمومية"},
	3: {"protection données personnelles", "guichet unique PME", "calendrier mise œuvre", "حماية المعطيات الشخصية", "الشباك الوحيد للمقاولات"},
}

func main() {
	var o options
	flag.IntVar(&o.measures, "measures", 20000, "measures in the database")
	flag.IntVar(&o.comments, "comments", 200000, "comments in the database")
	flag.IntVar(&o.concurrency, "c", 16, "concurrent searchers")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "duration of each run")
	flag.StringVar(&o.dataDir, "dir", "", "data directory (default: a temporary one, removed at the end)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "search bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	dir := o.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "pacte-search-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := models.Open(ctx, models.Options{DataDir: dir, Logger: quiet})
	if err != nil {
		return err
	}
	defer store.Close()
	began := time.Now()
	c, err := corpus.Fill(ctx, store, corpus.Options{Measures: o.measures, Comments: o.comments, Seed: 1})
	if err != nil {
		return err
	}
	fmt.Printf("corpus: %d measures, %d comments in %s\n", o.measures, o.comments, time.Since(began).Round(time.Millisecond))

	indexDir := filepath.Join(dir, "search")
	n, err := server.Reindex(ctx, store, indexDir, quiet)
	if err != nil {
		return err
	}
	size, err := dirSize(indexDir)
	if err != nil {
		return err
	}
	fmt.Printf("index: %d measures, %d comments in %s, %.1f MiB on disk\n", n.Measures, n.Comments, n.Took.Round(time.Millisecond), float64(size)/(1<<20))

	acct, ok := c.First(models.RoleMember, 0)
	if !ok {
		return fmt.Errorf("the corpus has no member")
	}
	member, err := store.UserByID(ctx, acct.ID)
	if err != nil {
		return err
	}
	scope := models.ScopeOf(member)
	bleveScope := search.Scope{None: scope.None, All: scope.All, UserID: scope.UserID, OrgID: scope.OrgID, HiddenComments: scope.HiddenComments}

	// Each search twice: without the index's cache of answers (the cost
	// of every search) and with it while one document changes every
	// second (each change drops every cached answer, as the server's
	// writes do).
	uncached := map[int]stats{}
	cached := map[int]stats{}
	for _, withCache := range []bool{false, true} {
		ix, _, err := search.OpenWith(indexDir, search.Options{NoCache: !withCache})
		if err != nil {
			return err
		}
		stop := make(chan struct{})
		writes := make(chan error, 1)
		go func() { writes <- keepWriting(ix, stop, withCache) }()
		for words := 1; words <= 3; words++ {
			st := measure(o, queries[words], func(q string) error {
				_, err := ix.Search(ctx, bleveScope, search.Query{Text: q, Size: 20, Facets: true})
				return err
			})
			if withCache {
				cached[words] = st
			} else {
				uncached[words] = st
			}
		}
		close(stop)
		werr := <-writes
		if err := ix.Close(); err != nil {
			return err
		}
		if werr != nil {
			return werr
		}
	}

	fmt.Printf("\n%d concurrent searchers for %s each, as a member of a federation; each search asks for facets\n", o.concurrency, o.duration)
	fmt.Printf("%-6s %-30s %9s %9s %9s %10s\n", "words", "search", "p50 ms", "p99 ms", "max ms", "queries")
	for words := 1; words <= 3; words++ {
		like := measure(o, queries[words], func(q string) error {
			_, err := store.ListMeasures(ctx, member, models.MeasureFilter{Query: q, Limit: 20})
			return err
		})
		for _, r := range []struct {
			name string
			s    stats
		}{{"index, uncached", uncached[words]}, {"index, cached, 1 write/s", cached[words]}, {"LIKE (measures only)", like}} {
			if r.s.err != nil {
				return r.s.err
			}
			fmt.Printf("%-6d %-30s %9.2f %9.2f %9.1f %10d\n", words, r.name, ms(r.s.p50), ms(r.s.p99), ms(r.s.max), r.s.n)
		}
		fmt.Printf("%-6d %-30s %9.2f× %8.2f×\n", words, "uncached / LIKE", ratio(uncached[words].p50, like.p50), ratio(uncached[words].p99, like.p99))
		fmt.Printf("%-6d %-30s %9.2f× %8.2f×\n", words, "cached / LIKE", ratio(cached[words].p50, like.p50), ratio(cached[words].p99, like.p99))
	}
	return nil
}

// keepWriting replaces one document of the index every second until stop
// (when on), so that cached answers keep being dropped as on a live server.
func keepWriting(ix *search.Index, stop <-chan struct{}, on bool) error {
	if !on {
		<-stop
		return nil
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := int64(1); ; i++ {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		doc := search.Doc{Type: search.TypeMeasure, ID: 1_000_000 + i%10, MeasureID: 1_000_000 + i%10,
			Title: fmt.Sprintf("Mesure de charge %d", i), Status: "draft", Visibility: search.VisibilityPlatform, At: time.Now()}
		if err := ix.Apply([]search.Doc{doc}, nil, 0); err != nil {
			return err
		}
	}
}

type stats struct {
	p50, p99, max time.Duration
	n             int
	err           error
}

// measure runs the queries round-robin from concurrent searchers for the
// duration and gives the latency percentiles.
func measure(o options, qs []string, do func(string) error) stats {
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	deadline := time.Now().Add(o.duration)
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine []time.Duration
			for i := w; time.Now().Before(deadline); i++ {
				t := time.Now()
				if err := do(qs[i%len(qs)]); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	if firstErr != nil || len(all) == 0 {
		return stats{err: firstErr}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	at := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	return stats{p50: at(0.50), p99: at(0.99), max: all[len(all)-1], n: len(all)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}
