// Command dashboard measures the dashboard page on a database of the size
// the issue names: 20,000 measures and 200,000 comments in French and
// Arabic over two years (bench/corpus). It reports how long the figures
// take to compute the first time (a cache miss), then the page's latency
// under concurrent readers: one administrator, a mix of people and
// filters, and readers while comments keep arriving (each one makes the
// cached figures stale). The goal is a p99 of 100 ms or less.
//
//	go run ./bench/dashboard                      # SQLite in a temporary directory
//	go run ./bench/dashboard -pg postgres://…     # PostgreSQL (a schema of its own, dropped at the end)
//	go run ./bench/dashboard -c 16 -d 20s
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pacte/bench/corpus"
	"pacte/models"
	"pacte/models/storetest"
	"pacte/server"
)

type options struct {
	measures, comments int
	concurrency        int
	duration           time.Duration
	writeEvery         time.Duration
	databaseURL        string
	dataDir            string
	cpuProfile         string
}

func main() {
	var o options
	flag.IntVar(&o.measures, "measures", 20000, "measures in the database")
	flag.IntVar(&o.comments, "comments", 200000, "comments in the database")
	flag.IntVar(&o.concurrency, "c", 8, "concurrent readers")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "duration of each run")
	flag.DurationVar(&o.writeEvery, "write-every", 500*time.Millisecond, "a comment this often during the last run")
	flag.StringVar(&o.databaseURL, "pg", "", "PostgreSQL server URL; the benchmark makes a schema of its own there (default: SQLite in a temporary directory)")
	flag.StringVar(&o.dataDir, "dir", "", "data directory: SQLite, search index, mail (default: a temporary one, removed at the end)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// viewer is a signed-in HTTP client.
type viewer struct {
	name   string
	client *http.Client
}

func run(o options) error {
	ctx := context.Background()
	dir := o.dataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "pacte-dashboard-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dbURL := ""
	if o.databaseURL != "" {
		u, drop, err := storetest.CreateSchema(o.databaseURL, fmt.Sprintf("bench_dashboard_%d", os.Getpid()))
		if err != nil {
			return err
		}
		defer drop()
		dbURL = u
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := models.Open(ctx, models.Options{DatabaseURL: dbURL, DataDir: dir, Logger: quiet})
	if err != nil {
		return err
	}
	defer store.Close()
	t0 := time.Now()
	c, err := corpus.Fill(ctx, store, corpus.Options{Measures: o.measures, Comments: o.comments, Seed: 1})
	if err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	engine, size := "sqlite", ""
	if o.databaseURL != "" {
		engine = "postgres"
	} else if st, err := os.Stat(filepath.Join(dir, "pacte.db")); err == nil {
		size = fmt.Sprintf(", %d MB", st.Size()>>20)
	}
	fmt.Printf("engine %s, %d measures, %d comments, filled in %s%s\n", engine, o.measures, o.comments, time.Since(t0).Round(time.Millisecond), size)

	// The search index is built before the server starts, as `pacte
	// reindex` does: otherwise the server would build it in the background
	// during the measurements.
	t0 = time.Now()
	searchDir := filepath.Join(dir, "search")
	if _, err := server.Reindex(ctx, store, searchDir, quiet); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	fmt.Printf("search index built in %s\n", time.Since(t0).Round(time.Millisecond))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	srv, err := server.New(server.Config{BaseURL: base, Logger: quiet, Console: io.Discard, MailDir: filepath.Join(dir, "mail"),
		DataDir: dir, SearchDir: searchDir}, store)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx, server.StartOptions{}); err != nil {
		return err
	}
	defer srv.Close()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	signIn := func(a corpus.Account, name string) (viewer, error) {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.Post(base+"/api/v1/session", "application/json",
			strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, a.Email, c.Password)))
		if err != nil {
			return viewer{}, err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return viewer{}, fmt.Errorf("sign in %s: %d", a.Email, resp.StatusCode)
		}
		return viewer{name: name, client: cl}, nil
	}
	var viewers []viewer
	for _, who := range []struct{ role, name string }{{models.RoleAdmin, "admin"}, {models.RoleModerator, "moderator"},
		{models.RoleReviewer, "reviewer"}, {models.RoleMember, "member"}} {
		a, _ := c.First(who.role, 0)
		v, err := signIn(a, who.name)
		if err != nil {
			return err
		}
		viewers = append(viewers, v)
	}
	// Two more members of other federations: each member has figures of
	// their own.
	seen := map[int64]bool{}
	for _, a := range c.Accounts {
		if a.Role == models.RoleMember && !seen[a.OrgID] && len(seen) < 3 {
			seen[a.OrgID] = true
			if len(seen) == 1 {
				continue // the first federation's member signed in above
			}
			v, err := signIn(a, "member")
			if err != nil {
				return err
			}
			viewers = append(viewers, v)
		}
	}
	member, _ := c.First(models.RoleMember, 0)
	today := store.Now().In(models.DashboardZone())
	filters := []string{"", fmt.Sprintf("?organization_id=%d", member.OrgID),
		"?from=" + today.AddDate(-2, 0, 1).Format("2006-01-02") + "&to=" + today.Format("2006-01-02")}

	fmt.Printf("%d readers, %s per run, GOMAXPROCS %d\n\n", o.concurrency, o.duration, runtime.GOMAXPROCS(0))

	// First computations: what a cache miss costs.
	fmt.Println("first request (figures computed):")
	for _, f := range filters {
		for _, v := range []viewer{viewers[0], viewers[3]} {
			t := time.Now()
			if _, err := get(v.client, base+"/dashboard"+f); err != nil {
				return err
			}
			fmt.Printf("  %-9s %-40s %8.1f ms\n", v.name, "/dashboard"+f, ms(time.Since(t)))
		}
	}
	for _, v := range viewers {
		for _, f := range filters {
			if _, err := get(v.client, base+"/dashboard"+f); err != nil {
				return err
			}
		}
	}
	fmt.Println()

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	report(load(ctx, "admin, default period", o, func(r *rand.Rand) (viewer, string) { return viewers[0], base + "/dashboard" }))
	report(load(ctx, "6 people × 3 filters", o, func(r *rand.Rand) (viewer, string) {
		return viewers[r.IntN(len(viewers))], base + "/dashboard" + filters[r.IntN(len(filters))]
	}))

	// Readers while comments arrive: each makes every cached figure stale.
	stop := make(chan struct{})
	var writes atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(3, 4))
		author := member
		tick := time.NewTicker(o.writeEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			id := c.MeasureIDs[r.IntN(len(c.MeasureIDs))]
			if _, err := store.CreateComment(ctx, &models.User{ID: author.ID, Role: models.RoleMember, Status: models.StatusActive,
				OrganizationID: &author.OrgID}, id, models.NewComment{Body: "Un avis de plus pendant la mesure."}); err == nil {
				writes.Add(1)
			}
		}
	}()
	res := load(ctx, fmt.Sprintf("admin, a comment every %s", o.writeEvery), o, func(r *rand.Rand) (viewer, string) { return viewers[0], base + "/dashboard" })
	close(stop)
	wg.Wait()
	report(res)
	fmt.Printf("%-40s %d comments written, %d pages showed older figures while newer ones were computed\n", "", writes.Load(), res.stale)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// get fetches a page and returns its body.
func get(cl *http.Client, url string) ([]byte, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return b, err
}

// result is one run.
type result struct {
	name           string
	requests, errs int
	stale          int
	elapsed        time.Duration
	p50, p90, p99  time.Duration
	max            time.Duration
	bytes          int
}

// load has the readers fetch what pick says for the run's duration.
func load(ctx context.Context, name string, o options, pick func(r *rand.Rand) (viewer, string)) result {
	var mu sync.Mutex
	var lat []time.Duration
	var errs, stale, size atomic.Int64
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 7))
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				v, url := pick(r)
				t := time.Now()
				b, err := get(v.client, url)
				d := time.Since(t)
				if err != nil {
					errs.Add(1)
					continue
				}
				if bytes.Contains(b, []byte("data-stale")) {
					stale.Add(1)
				}
				size.Store(int64(len(b)))
				local = append(local, d)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(uint64(w))
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res := result{name: name, requests: len(lat), errs: int(errs.Load()), stale: int(stale.Load()), elapsed: time.Since(start), bytes: int(size.Load())}
	if n := len(lat); n > 0 {
		res.p50, res.p90, res.p99, res.max = lat[n/2], lat[n*90/100], lat[min(n-1, n*99/100)], lat[n-1]
	}
	return res
}

func report(r result) {
	verdict := "ok"
	if r.p99 > 100*time.Millisecond {
		verdict = "OVER 100 ms"
	}
	fmt.Printf("%-40s %7.0f req/s  p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (%d requests, %d errors, %d kB)  %s\n",
		r.name, float64(r.requests)/r.elapsed.Seconds(), ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), r.requests, r.errs, r.bytes>>10, verdict)
}
