// Package measuresbench measures how fast Pacte serves its two busiest
// pages, the measure page and the measures list, on a database of realistic
// size, against a baseline taken in the same run: the same server serving a
// static file of the same size. The ratio, unlike a raw number, says
// something on any machine.
package measuresbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/markdown"
	"pacte/models"
	"pacte/server"
)

// Options size the data and the load.
type Options struct {
	Measures    int // measures in the database
	Comments    int // comments in all
	HotComments int // comments on the measure whose page is measured
	Concurrency int // readers at once
	Duration    time.Duration
	DatabaseURL string // PostgreSQL; empty for SQLite in DataDir
	DataDir     string
}

// Defaults are the sizes of the issue: 2,000 measures, 50,000 comments, a
// measure page with 200 of them.
func Defaults() Options {
	return Options{Measures: 2000, Comments: 50000, HotComments: 200, Concurrency: 16, Duration: 5 * time.Second}
}

// Env is a filled database behind a running server.
type Env struct {
	Store   *models.Store
	Server  *server.Server
	URL     string
	HotID   int64 // the measure with HotComments comments
	QuietID int64 // a measure of the same kind without comments
	Client  *http.Client
	Anon    *http.Client
	http    *http.Server
	ln      net.Listener
	dir     string
	staticN atomic.Int64
}

const benchPassword = "bench password 2030"

// Setup fills a fresh database and starts a server on a local port.
func Setup(ctx context.Context, o Options) (*Env, error) {
	dir := o.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "pacte-bench-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := models.Open(ctx, models.Options{DatabaseURL: o.DatabaseURL, DataDir: dir, Logger: quiet})
	if err != nil {
		return nil, err
	}
	env := &Env{Store: store, dir: dir}
	reader, err := Fill(ctx, store, o)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("fill: %w", err)
	}
	env.HotID, env.QuietID = reader.hot, reader.quiet
	env.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	env.URL = "http://" + env.ln.Addr().String()
	srv, err := server.New(server.Config{BaseURL: env.URL, Logger: quiet, Console: io.Discard}, store)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(ctx, server.StartOptions{}); err != nil {
		return nil, err
	}
	env.Server = srv
	// The baseline: a file on disk served by the same Echo, through the same
	// middleware, as any other route.
	srv.Echo().GET("/bench-static/:n", func(c echo.Context) error {
		return c.File(filepath.Join(dir, "static-"+filepath.Base(c.Param("n"))+".html"))
	})
	env.http = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go env.http.Serve(env.ln)

	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	jar, _ := cookiejar.New(nil)
	env.Client = &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	env.Anon = &http.Client{Transport: tr}
	resp, err := env.Client.Post(env.URL+"/api/v1/session", "application/json",
		strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, reader.email, benchPassword)))
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("sign in: %d", resp.StatusCode)
	}
	return env, nil
}

// Close stops the server and removes a temporary database.
func (e *Env) Close() {
	if e.http != nil {
		e.http.Close()
	}
	if e.Server != nil {
		e.Server.Close()
	}
	e.Store.Close()
	if strings.Contains(e.dir, "pacte-bench-") {
		os.RemoveAll(e.dir)
	}
}

type filled struct {
	hot, quiet int64
	email      string
}

var lorem = []string{
	"La digitalisation des services publics réduit les délais pour les citoyens et les entreprises.",
	"Les fédérations proposent un calendrier de mise en œuvre sur trois ans, avec des indicateurs publics.",
	"Le financement s'appuie sur le Fonds de développement du numérique et sur des partenariats public-privé.",
	"Une attention particulière est portée aux régions hors de l'axe Casablanca-Rabat.",
	"Les données produites restent hébergées au Maroc, conformément à la loi 05-20.",
	"Les startups et les PME accèdent à la commande publique avec des dossiers simplifiés.",
}

func paragraphs(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i%4 == 0 {
			fmt.Fprintf(&b, "## Section %d\n\n", i/4+1)
		}
		for j := 0; j < 3; j++ {
			b.WriteString(lorem[r.IntN(len(lorem))])
			b.WriteByte(' ')
		}
		b.WriteString("**Point clé** : [référence](https://www.maroc.ma/).\n\n")
		if i%3 == 1 {
			b.WriteString("- premier élément\n- deuxième élément\n- troisième élément\n\n")
		}
	}
	return b.String()
}

// insert writes rows in multi-row statements, in one transaction: the
// fastest portable way to fill tens of thousands of rows.
func insert(tx *models.Tx, table string, cols []string, rows [][]any) error {
	per := 30000 / len(cols)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
		var args []any
		var values []string
		for _, r := range rows[start:end] {
			values = append(values, ph)
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(values, ", ")
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// Fill writes users, measures (with their editor, first revision and some
// co-sponsors) and comments straight through SQL in big transactions.
func Fill(ctx context.Context, s *models.Store, o Options) (*filled, error) {
	r := rand.New(rand.NewPCG(1, 2))
	orgs, err := s.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	var feds []int64
	for _, org := range orgs {
		if org.Kind == models.KindFederation {
			feds = append(feds, org.ID)
		}
	}
	hash, err := models.HashPassword(benchPassword)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	var users [][]any
	for i := 0; i < 40; i++ {
		users = append(users, []any{fmt.Sprintf("member%d@bench.pacte.ma", i), fmt.Sprintf("Membre %d", i), feds[i%len(feds)],
			models.RoleMember, models.StatusActive, hash, "fr", now, now})
	}
	err = s.Write(ctx, func(tx *models.Tx) error {
		return insert(tx, "users", []string{"email", "name", "organization_id", "role", "status", "password_hash", "locale", "created_at", "updated_at"}, users)
	})
	if err != nil {
		return nil, err
	}
	var userIDs []int64
	var userOrg = map[int64]int64{}
	var rows []struct{ ID, OrganizationID int64 }
	if err := s.Read(ctx).Raw("SELECT id, organization_id FROM users WHERE email LIKE '%@bench.pacte.ma' ORDER BY id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, u := range rows {
		userIDs = append(userIDs, u.ID)
		userOrg[u.ID] = u.OrganizationID
	}
	pillars := [][2]any{{"public_services", nil}, {"digital_economy", "startups"}, {"digital_economy", "offshoring"},
		{"digital_economy", "sme_digitalisation"}, {"enablers", "cloud_computing"}, {"enablers", "network_5g"}, {"enablers", "artificial_intelligence"}}
	statuses := []string{"in_review", "in_review", "approved", "draft", "draft", "changes_requested", "in_review", "approved", "draft", "withdrawn"}
	var measures, revisions [][]any
	authors := make([]int64, o.Measures)
	for i := 0; i < o.Measures; i++ {
		author := userIDs[r.IntN(len(userIDs))]
		authors[i] = author
		st := statuses[i%len(statuses)]
		vis := models.VisibilityPlatform
		if st == "draft" && i%3 == 0 {
			vis = models.VisibilityFederation
		}
		p := pillars[r.IntN(len(pillars))]
		n := 4 + r.IntN(8)
		if i < 2 {
			st, vis, n = models.StatusInReview, models.VisibilityPlatform, 12
			author = userIDs[0]
			authors[i] = author
		}
		title := fmt.Sprintf("Mesure %d : %s", i+1, strings.TrimSuffix(lorem[r.IntN(len(lorem))], "."))
		body := paragraphs(r, n)
		at := now.Add(-time.Duration(o.Measures-i) * time.Hour)
		var pub any
		if st == models.StatusApproved {
			pub = 1
		}
		measures = append(measures, []any{title, "Résumé : " + lorem[r.IntN(len(lorem))], body, p[0], p[1], userOrg[author], vis, st, 1, pub,
			st != models.StatusDraft, author, at, at})
		revisions = append(revisions, []any{title, body, p[0], p[1], st, at}) // completed with ids below
	}
	err = s.Write(ctx, func(tx *models.Tx) error {
		return insert(tx, "measures", []string{"title", "summary", "body", "pillar", "axis", "lead_organization_id", "visibility", "status",
			"revision", "published_revision", "submitted_once", "created_by", "created_at", "updated_at"}, measures)
	})
	if err != nil {
		return nil, err
	}
	var ids []int64
	if err := s.Read(ctx).Raw("SELECT id FROM measures ORDER BY id").Scan(&ids).Error; err != nil {
		return nil, err
	}
	if len(ids) < o.Measures {
		return nil, errors.New("measures missing after insert")
	}
	ids = ids[len(ids)-o.Measures:]
	var editors, revs, cosponsors [][]any
	for i, id := range ids {
		editors = append(editors, []any{id, authors[i], now})
		rv := revisions[i]
		revs = append(revs, []any{id, 1, rv[0], "Résumé", rv[1], rv[2], rv[3], rv[4], "create", fmt.Sprintf("[%d]", authors[i]), rv[5]})
		if i%4 == 0 {
			other := feds[(i/4)%len(feds)]
			if other != userOrg[authors[i]] {
				cosponsors = append(cosponsors, []any{id, other, authors[i], now})
			}
		}
	}
	err = s.Write(ctx, func(tx *models.Tx) error {
		if err := insert(tx, "measure_editors", []string{"measure_id", "user_id", "created_at"}, editors); err != nil {
			return err
		}
		if err := insert(tx, "measure_cosponsors", []string{"measure_id", "organization_id", "user_id", "created_at"}, cosponsors); err != nil {
			return err
		}
		return insert(tx, "revisions", []string{"measure_id", "number", "title", "summary", "body", "pillar", "axis", "status", "reason", "authors", "created_at"}, revs)
	})
	if err != nil {
		return nil, err
	}
	hot := ids[0]
	var comments [][]any
	rendered := map[string]string{}
	for i := 0; i < o.Comments; i++ {
		m := hot
		if i >= o.HotComments {
			m = ids[2+r.IntN(len(ids)-2)]
		}
		body := fmt.Sprintf("Commentaire %d. %s **Proposition** : préciser le calendrier, voir [la note](https://www.maroc.ma/).", i, lorem[r.IntN(len(lorem))])
		// As the application stores them: the Markdown with its sanitised
		// HTML, rendered once per distinct body.
		html, ok := rendered[body]
		if !ok {
			html = markdown.Render(body)
			rendered[body] = html
		}
		comments = append(comments, []any{m, userIDs[r.IntN(len(userIDs))], body, html, "visible", now.Add(-time.Duration(o.Comments-i) * time.Minute)})
	}
	err = s.Write(ctx, func(tx *models.Tx) error {
		return insert(tx, "comments", []string{"measure_id", "author_id", "body", "body_html", "status", "created_at"}, comments)
	})
	if err != nil {
		return nil, err
	}
	// PostgreSQL's autovacuum analyses tables after bulk loads; do it now
	// rather than measure the planner's guesses on a table without
	// statistics. (SQLite keeps none unless asked, in production too.)
	if s.Dialect == models.Postgres {
		if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Exec("ANALYZE").Error }); err != nil {
			return nil, err
		}
	}
	// The reader: a member of the hot measure's lead federation.
	var email string
	if err := s.Read(ctx).Raw("SELECT email FROM users WHERE organization_id = (SELECT lead_organization_id FROM measures WHERE id = ?) AND email LIKE '%@bench.pacte.ma' ORDER BY id LIMIT 1", hot).Scan(&email).Error; err != nil {
		return nil, err
	}
	return &filled{hot: hot, quiet: ids[1], email: email}, nil
}

// Result is one load run.
type Result struct {
	Name     string
	Requests int
	Errors   int
	Bytes    int
	Elapsed  time.Duration
	P50, P99 time.Duration
	lat      []time.Duration
}

// RPS is the throughput.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%-28s %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  (%d requests, %d errors, %d bytes each)",
		r.Name, r.RPS(), ms(r.P50), ms(r.P99), r.Requests, r.Errors, r.Bytes)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Get fetches a path once and returns the body.
func (e *Env) Get(client *http.Client, path string) ([]byte, error) {
	req, _ := http.NewRequest("GET", e.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return b, err
}

// Load has concurrency readers GET the path for the duration.
func (e *Env) Load(ctx context.Context, name string, client *http.Client, path string, concurrency int, d time.Duration) Result {
	var mu sync.Mutex
	var lat []time.Duration
	var errs, size atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+path, nil)
				req.Header.Set("Accept", "text/html")
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs.Add(1)
					continue
				}
				size.Store(n)
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res := Result{Name: name, Requests: len(lat), Errors: int(errs.Load()), Bytes: int(size.Load()), Elapsed: elapsed, lat: lat}
	if len(lat) > 0 {
		res.P50 = lat[len(lat)/2]
		res.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res
}

// StaticTwin writes a file of the page's size and returns its path: the
// baseline for that page.
func (e *Env) StaticTwin(page []byte) (string, error) {
	n := e.staticN.Add(1)
	if err := os.WriteFile(filepath.Join(e.dir, fmt.Sprintf("static-%d.html", n)), page, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("/bench-static/%d", n), nil
}

// Comparison is a page against its static baseline.
type Comparison struct {
	Page, Static Result
}

// Ratio is the page's throughput as a share of the baseline's.
func (c Comparison) Ratio() float64 { return c.Page.RPS() / c.Static.RPS() }

// Compare loads a page, then a static file of the same size, with the same
// readers; the page is read signed in, as people read it.
func (e *Env) Compare(ctx context.Context, name, path string, concurrency int, d time.Duration) (Comparison, error) {
	page, err := e.Get(e.Client, path)
	if err != nil {
		return Comparison{}, err
	}
	static, err := e.StaticTwin(page)
	if err != nil {
		return Comparison{}, err
	}
	// Warm both up (template, caches, connections).
	e.Load(ctx, "warm-up", e.Client, path, concurrency, d/10)
	e.Load(ctx, "warm-up", e.Anon, static, concurrency, d/10)
	// Interleaved rounds, so that whatever else the machine does weighs on
	// both sides alike.
	const rounds = 5
	var pages, statics []Result
	for i := 0; i < rounds; i++ {
		pages = append(pages, e.Load(ctx, name, e.Client, path, concurrency, d/rounds))
		statics = append(statics, e.Load(ctx, "static file, same size", e.Anon, static, concurrency, d/rounds))
	}
	return Comparison{Page: merge(pages), Static: merge(statics)}, nil
}

// merge sums rounds; percentiles are those of all requests.
func merge(rs []Result) Result {
	out := Result{Name: rs[0].Name}
	for _, r := range rs {
		out.Requests += r.Requests
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		out.Bytes = max(out.Bytes, r.Bytes)
		out.lat = append(out.lat, r.lat...)
	}
	sort.Slice(out.lat, func(i, j int) bool { return out.lat[i] < out.lat[j] })
	if n := len(out.lat); n > 0 {
		out.P50, out.P99 = out.lat[n/2], out.lat[min(n-1, n*99/100)]
	}
	return out
}

// PathOf builds a page path.
func PathOf(format string, args ...any) string {
	p := fmt.Sprintf(format, args...)
	if u, err := url.Parse(p); err == nil {
		return u.RequestURI()
	}
	return p
}
