// Command public measures the public Pact as anonymous readers and
// downloaders meet it, against baselines taken in the same run:
//
//   - 64 readers at once (keep-alive) load a measure's public page and
//     /pacte, each against a static file of the same byte size served by
//     the same Echo, through the same middleware, as /static/* is; then the
//     same with If-None-Match (304), against the static file's 304. Aims:
//     at least 0.5× the static file's requests/s for a full page, 0.9× for
//     a 304.
//   - the time to make the Pact's PDF (French and Arabic), CSV, JSON and
//     XLSX for 300 published measures, cold (the first request after a
//     publication) and warm (cached). Aim: a cold PDF under 3 s.
//
// The 300 measures are written through SQL (seed.go), then the last one is
// published through models.Store.PublishMeasure, as a reviewer does, so
// that the cold documents are made after a real publication.
//
//	go run ./bench/public                  # SQLite in a temporary directory
//	go run ./bench/public -d 3s            # shorter load phases
//	go run ./bench/public -c 16 -measures 100
//	go run ./bench/public -cpuprofile /tmp/public.prof   # where the load phases spend their time
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/server"
)

// options are the flags.
type options struct {
	measures, concurrency, rounds, repeats int
	duration                               time.Duration
	cpuProfile                             string
}

// Aims of the issue.
const (
	aimPage     = 0.5 // a full page's req/s, as a share of the static file's
	aimNotMod   = 0.9 // a 304's, as a share of the static file's 304
	aimColdPDF  = 3 * time.Second
	staticRoute = "/bench-static/"
)

func main() {
	var o options
	flag.IntVar(&o.measures, "measures", 300, "measures in the Pact (all but one published by SQL, the last through the store)")
	flag.IntVar(&o.concurrency, "c", 64, "anonymous readers at once, each on a kept-alive connection")
	flag.DurationVar(&o.duration, "d", 5*time.Second, "load per target, split in interleaved rounds")
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved rounds per load phase")
	flag.IntVar(&o.repeats, "repeats", 5, "requests of each cached document (the median is reported)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load phases to this file (go tool pprof)")
	flag.Parse()
	if o.measures < 2 || o.concurrency < 1 || o.rounds < 1 || o.repeats < 1 {
		fmt.Fprintln(os.Stderr, "bench: -measures ≥ 2, -c, -rounds and -repeats ≥ 1")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// env is a running Pacte on a fresh SQLite database.
type env struct {
	store  *models.Store
	srv    *server.Server
	http   *http.Server
	client *http.Client
	url    string
	dir    string
	etags  sync.Map // static twin's name → its ETag
}

// start opens the store in a temporary directory and serves the app on a
// local port, with one more route: staticRoute, files of the temporary
// directory served as /static/* serves the embedded ones (same Echo, same
// middleware, http.FileServer, Cache-Control: no-cache), with an ETag.
func start(ctx context.Context) (*env, error) {
	dir, err := os.MkdirTemp("", "pacte-bench-public-")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir}
	quiet := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.store, err = models.Open(ctx, models.Options{DataDir: dir, Logger: quiet})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open store: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Close()
		return nil, err
	}
	e.url = "http://" + ln.Addr().String()
	e.srv, err = server.New(server.Config{BaseURL: e.url, Logger: quiet, Console: io.Discard}, e.store)
	if err == nil {
		err = e.srv.Start(ctx, server.StartOptions{})
	}
	if err != nil {
		ln.Close()
		e.Close()
		return nil, err
	}
	files := http.FileServer(http.Dir(filepath.Join(dir, "static")))
	e.srv.Echo().GET(staticRoute+"*", echo.WrapHandler(http.StripPrefix(staticRoute, http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			if tag, ok := e.etags.Load(r.URL.Path); ok {
				w.Header().Set("ETag", tag.(string)) // http.ServeContent answers If-None-Match with it
			}
			files.ServeHTTP(w, r)
		}))))
	e.http = &http.Server{Handler: e.srv, ReadHeaderTimeout: 10 * time.Second}
	go e.http.Serve(ln)
	e.client = &http.Client{
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute,
			DisableCompression: true},
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e, nil
}

// Close stops the server and removes the temporary directory.
func (e *env) Close() {
	if e.http != nil {
		e.http.Close()
	}
	if e.srv != nil {
		e.srv.Close()
	}
	if e.store != nil {
		e.store.Close()
	}
	os.RemoveAll(e.dir)
}

// fetch reads a path and returns the answer's body and headers.
func (e *env) fetch(ctx context.Context, path string, want int) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "text/html")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
	}
	return b, resp.Header, err
}

// twin writes a static file of the page's size and returns its path.
func (e *env) twin(name string, page []byte) (string, error) {
	if err := os.MkdirAll(filepath.Join(e.dir, "static"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(e.dir, "static", name), page, 0o644); err != nil {
		return "", err
	}
	sum := sha256.Sum256(page)
	e.etags.Store(name, `"`+hex.EncodeToString(sum[:16])+`"`)
	return staticRoute + name, nil
}

// timing is one document request: its wall time to the last byte, and the
// CPU time the process spent meanwhile (the server making it, the client
// reading it), which other work on the machine does not inflate.
type timing struct {
	d, cpu time.Duration
	size   int
}

// timed requests a path once, to the last byte.
func (e *env) timed(ctx context.Context, path string) (timing, error) {
	c0, t0 := processCPU(), time.Now()
	b, _, err := e.fetch(ctx, path, http.StatusOK)
	return timing{time.Since(t0), processCPU() - c0, len(b)}, err
}

// waitPublished polls the public API until it lists n measures.
func (e *env) waitPublished(ctx context.Context, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _, err := e.fetch(ctx, "/api/v1/public/measures", http.StatusOK)
		if err != nil {
			return err
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		if len(list.Items) == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the public API lists %d measures, want %d", len(list.Items), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var documents = []string{"/pacte.pdf?lang=fr", "/pacte.pdf?lang=ar", "/pacte.csv", "/pacte.json", "/pacte.xlsx"}

func run(ctx context.Context, o options) error {
	t0 := time.Now()
	e, err := start(ctx)
	if err != nil {
		return err
	}
	defer e.Close()
	s, err := seed(ctx, e.store, o.measures)
	if err != nil {
		return err
	}
	fmt.Printf("SQLite, %d measures (bodies %.1f KB on average, %d in Arabic), GOMAXPROCS %d (NumCPU %d), set up in %s\n\n",
		o.measures, float64(s.bodies)/float64(o.measures)/1000, o.measures/30, runtime.GOMAXPROCS(0), runtime.NumCPU(),
		time.Since(t0).Round(time.Millisecond))

	// The first PDF of the process (fonts, first layout), before the
	// publication; then the publication, and every document cold and warm.
	first, err := e.timed(ctx, documents[0])
	if err != nil {
		return err
	}
	if _, err := e.store.PublishMeasure(ctx, s.reviewer, s.pending, "Conforme à la feuille de route."); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	published := time.Now()
	if err := e.waitPublished(ctx, o.measures); err != nil {
		return err
	}
	fmt.Printf("documents (%d measures; the publication was seen by the public side in %s)\n", o.measures,
		time.Since(published).Round(time.Millisecond))
	fmt.Printf("  %-22s %10s %10s %9s %10s\n", "", "cold", "its CPU", "warm", "size")
	fmt.Printf("  %-22s %8.0fms %8.0fms %9s %9.0fK  (the first of the process, %d measures)\n", "first PDF (fr)",
		ms(first.d), ms(first.cpu), "", float64(first.size)/1000, o.measures-1)
	var failed []string
	for _, doc := range documents {
		cold, err := e.timed(ctx, doc)
		if err != nil {
			return err
		}
		var warm []time.Duration
		for i := 0; i < o.repeats; i++ {
			w, err := e.timed(ctx, doc)
			if err != nil {
				return err
			}
			warm = append(warm, w.d)
		}
		slices.Sort(warm)
		fmt.Printf("  %-22s %8.0fms %8.0fms %7.2fms %9.0fK\n", doc, ms(cold.d), ms(cold.cpu), ms(warm[len(warm)/2]), float64(cold.size)/1000)
		if strings.HasPrefix(doc, "/pacte.pdf") && cold.d > aimColdPDF {
			failed = append(failed, fmt.Sprintf("%s took %s cold (aim %s)", doc, cold.d.Round(time.Millisecond), aimColdPDF))
		}
	}

	// The pages, their static twins and their ETags.
	_, h, err := e.fetch(ctx, "/pacte/"+strconv.FormatInt(s.first, 10), http.StatusMovedPermanently)
	if err != nil {
		return err
	}
	measurePath := h.Get("Location")
	// Each page, a static file of its size, and the 304s: the pages' with
	// their ETags, the static file's with its own.
	type page struct {
		name, path, etag string
		twin             target
	}
	pages := []*page{{name: "measure page", path: measurePath}, {name: "/pacte", path: "/pacte"}}
	for i, p := range pages {
		body, h, err := e.fetch(ctx, p.path, http.StatusOK)
		if err != nil {
			return err
		}
		if p.etag = h.Get("ETag"); p.etag == "" {
			return fmt.Errorf("%s has no ETag", p.path)
		}
		name := fmt.Sprintf("page-%d.html", i)
		twin, err := e.twin(name, body)
		if err != nil {
			return err
		}
		p.twin = target{name: fmt.Sprintf("static file, %d B", len(body)), path: twin, status: http.StatusOK}
	}
	tag, _ := e.etags.Load("page-0.html")
	targets := []target{
		{name: pages[0].name, path: pages[0].path, status: http.StatusOK},
		pages[0].twin,
		{name: pages[1].name, path: pages[1].path, status: http.StatusOK},
		pages[1].twin,
		{name: "static file 304", path: pages[0].twin.path, status: http.StatusNotModified,
			headers: map[string]string{"If-None-Match": tag.(string)}},
		{name: pages[0].name + " 304", path: pages[0].path, status: http.StatusNotModified,
			headers: map[string]string{"If-None-Match": pages[0].etag}},
		{name: pages[1].name + " 304", path: pages[1].path, status: http.StatusNotModified,
			headers: map[string]string{"If-None-Match": pages[1].etag}},
	}

	fmt.Printf("\n%d anonymous readers, keep-alive, %s per target in %d interleaved rounds\n", o.concurrency, o.duration, o.rounds)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res := e.compare(ctx, targets, o.concurrency, o.duration, o.rounds)
	pprof.StopCPUProfile()
	for _, r := range res {
		fmt.Println(" ", r)
		if r.errors > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d errors", r.name, r.errors))
		}
	}
	fmt.Printf("\nratios, page ÷ static file (req/s: higher is better; latency: lower is better)\n")
	fmt.Printf("  %-22s %8s %8s %8s   %s\n", "", "req/s", "p50", "p99", "aim (req/s)")
	for _, c := range []struct {
		name        string
		page, base  *result
		aim         float64
		description string
	}{
		{"measure page", res[0], res[1], aimPage, "full page, same size"},
		{"/pacte", res[2], res[3], aimPage, "full page, same size"},
		{"measure page 304", res[5], res[4], aimNotMod, "If-None-Match"},
		{"/pacte 304", res[6], res[4], aimNotMod, "If-None-Match"},
	} {
		rps := c.page.rps() / c.base.rps()
		verdict := "ok"
		if rps < c.aim {
			verdict = "BELOW"
			failed = append(failed, fmt.Sprintf("%s: %.2f× the static file's req/s (aim %.1f×)", c.name, rps, c.aim))
		}
		fmt.Printf("  %-22s %7.2f× %7.2f× %7.2f×   ≥ %.1f× %s (%s)\n", c.name, rps,
			ms(c.page.pct(50))/ms(c.base.pct(50)), ms(c.page.pct(99))/ms(c.base.pct(99)), c.aim, verdict, c.description)
	}
	if len(failed) > 0 {
		return errors.New("missed: " + strings.Join(failed, "; "))
	}
	return nil
}
