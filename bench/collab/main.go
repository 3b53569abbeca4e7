// Command collab benchmarks Pacte's co-editing against Hocuspocus, the Yjs
// collaboration backend, under the same load in the same run: N editors
// each typing R changes a second into one document. It reports, for each,
// the time from a change to the last other editor receiving it (p50, p99),
// the share of changes delivered to every editor, and the server's CPU time
// per change.
//
// Pacte runs as its real binary (SQLite by default, every update stored
// durably before it is acknowledged; -database-url for PostgreSQL); its
// editors are the browser's protocol code on @codemirror/collab in Node
// (load-pacte.mjs). Hocuspocus runs in memory (hocuspocus/server.mjs) with
// Yjs editors (hocuspocus/load.mjs). Rounds alternate between the two, so
// that both see the same machine.
//
//	cd web && npm ci; cd ../bench/collab/hocuspocus && npm ci   # once
//	go run ./bench/collab -duration 20s -rounds 3
//
// With -suggesters N (Pacte only), each round runs twice on fresh measures:
// the editors alone, then the editors while N other members each suggest
// an insertion every second and the first editor accepts the oldest open
// suggestion every second. It reports the co-editing p99 of both runs,
// their ratio (aim ≤ 1.2), and the time from an accept to the last editor
// receiving it (aim: within the co-editing p99).
//
//	go run ./bench/collab -only pacte -suggesters 20 -rounds 3
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type config struct {
	editors     int
	rate        float64
	duration    time.Duration
	drain       time.Duration
	rounds      int
	databaseURL string
	jsonOut     string
	only        string
	suggesters  int
	suggestRate float64
}

// result is one load generator's summary (measure.mjs) plus the server's CPU.
type result struct {
	Changes        int      `json:"changes"`
	Delivered      int      `json:"delivered"`
	DeliveredShare float64  `json:"delivered_share"`
	P50            *float64 `json:"p50_ms"`
	P90            *float64 `json:"p90_ms"`
	P99            *float64 `json:"p99_ms"`
	Max            *float64 `json:"max_ms"`
	Mean           *float64 `json:"mean_ms"`
	Version        int64    `json:"version"`
	Pushes         int      `json:"pushes"` // Pacte: pushes sent, and how many were refused as stale
	Stale          int      `json:"stale"`
	PushRTT50      *float64 `json:"push_rtt_p50_ms"`
	PushRTT99      *float64 `json:"push_rtt_p99_ms"`
	ClientCPUms    float64  `json:"client_cpu_ms"`
	WallMS         float64  `json:"wall_ms"`
	Converged      bool     `json:"converged"`
	Errors         []string `json:"errors"`
	// With suggesters (load-pacte.mjs).
	SuggestionsMade    int      `json:"suggestions_made"`
	SuggestionsRefused int      `json:"suggestions_refused"`
	Accepts            int      `json:"accepts"`
	AcceptsDelivered   int      `json:"accepts_delivered"`
	AcceptP50          *float64 `json:"accept_p50_ms"`
	AcceptP99          *float64 `json:"accept_p99_ms"`
	// Filled here.
	ServerCPU    time.Duration `json:"server_cpu_ns"`
	CPUPerChange time.Duration `json:"server_cpu_per_change_ns"`
}

func main() {
	var cfg config
	flag.IntVar(&cfg.editors, "editors", 20, "editors typing into one document")
	flag.Float64Var(&cfg.rate, "rate", 5, "changes per second per editor")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, "typing time per round")
	flag.DurationVar(&cfg.drain, "drain", 5*time.Second, "longest wait for the last changes after typing stops")
	flag.IntVar(&cfg.rounds, "rounds", 1, "rounds per system, alternating")
	flag.StringVar(&cfg.databaseURL, "database-url", "", "run Pacte on this PostgreSQL database instead of SQLite")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&cfg.only, "only", "", "pacte or hocuspocus: run one system only")
	flag.IntVar(&cfg.suggesters, "suggesters", 0, "Pacte only: also run each round with this many members suggesting")
	flag.Float64Var(&cfg.suggestRate, "suggest-rate", 1, "suggestions per second per suggester")
	flag.Parse()
	if cfg.suggesters > 0 {
		cfg.only = "pacte"
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return errors.New("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(root, "web", "node_modules", "@codemirror", "collab")); err != nil {
		return errors.New("web/node_modules is missing: cd web && npm ci")
	}
	hpDir := filepath.Join(root, "bench", "collab", "hocuspocus")
	if cfg.only != "pacte" {
		if _, err := os.Stat(filepath.Join(hpDir, "node_modules", "@hocuspocus", "server")); err != nil {
			fmt.Fprintln(os.Stderr, "bench: installing Hocuspocus (npm ci in bench/collab/hocuspocus)")
			cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
			cmd.Dir, cmd.Stdout, cmd.Stderr = hpDir, os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("npm ci: %w", err)
			}
		}
	}
	tmp, err := os.MkdirTemp("", "pacte-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	loadEnv := []string{
		"BENCH_EDITORS=" + strconv.Itoa(cfg.editors),
		"BENCH_RATE=" + strconv.FormatFloat(cfg.rate, 'f', -1, 64),
		"BENCH_DURATION_MS=" + strconv.FormatInt(cfg.duration.Milliseconds(), 10),
		"BENCH_DRAIN_MS=" + strconv.FormatInt(cfg.drain.Milliseconds(), 10),
	}
	var pacte, hp, withSuggest, withViewers []result
	var pacteSrv *pacteServer
	if cfg.only != "hocuspocus" {
		fmt.Fprintln(os.Stderr, "bench: building and starting Pacte")
		if pacteSrv, err = startPacte(root, tmp, cfg); err != nil {
			return err
		}
		defer pacteSrv.stop()
	}
	for round := 1; round <= cfg.rounds; round++ {
		if pacteSrv != nil {
			fmt.Fprintf(os.Stderr, "bench: round %d, Pacte\n", round)
			r, err := pacteSrv.round(node, root, cfg, loadEnv, 0)
			if err != nil {
				return err
			}
			pacte = append(pacte, r)
			if cfg.suggesters > 0 {
				fmt.Fprintf(os.Stderr, "bench: round %d, Pacte with %d viewers (the suggesters, not suggesting)\n", round, cfg.suggesters)
				v, err := pacteSrv.round(node, root, cfg, append(append([]string{}, loadEnv...), "BENCH_SUGGEST_RATE=0"), cfg.suggesters)
				if err != nil {
					return err
				}
				withViewers = append(withViewers, v)
				fmt.Fprintf(os.Stderr, "bench: round %d, Pacte with %d suggesters\n", round, cfg.suggesters)
				env := append(append([]string{}, loadEnv...), "BENCH_SUGGEST_RATE="+strconv.FormatFloat(cfg.suggestRate, 'f', -1, 64))
				sr, err := pacteSrv.round(node, root, cfg, env, cfg.suggesters)
				if err != nil {
					return err
				}
				withSuggest = append(withSuggest, sr)
			}
		}
		if cfg.only != "pacte" {
			fmt.Fprintf(os.Stderr, "bench: round %d, Hocuspocus\n", round)
			r, err := hocuspocusRound(node, hpDir, loadEnv)
			if err != nil {
				return err
			}
			hp = append(hp, r)
		}
	}
	engine := "SQLite, synchronous=FULL"
	if cfg.databaseURL != "" {
		engine = "PostgreSQL"
	}
	report(os.Stdout, cfg, engine, pacte, hp)
	if cfg.suggesters > 0 {
		reportSuggestions(os.Stdout, cfg, pacte, withViewers, withSuggest)
	}
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"config": map[string]any{"editors": cfg.editors, "rate": cfg.rate,
			"duration_s": cfg.duration.Seconds(), "rounds": cfg.rounds, "pacte_engine": engine},
			"pacte": pacte, "hocuspocus": hp, "pacte_with_viewers": withViewers, "pacte_with_suggesters": withSuggest}, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module pacte")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the pacte repository")
		}
		dir = parent
	}
}

// --- Pacte --------------------------------------------------------------------

type pacteServer struct {
	cmd  *exec.Cmd
	url  string
	logs bytes.Buffer
	done chan struct{}
}

const (
	adminEmail    = "bench-admin@pacte.ma"
	adminPassword = "un mot de passe de banc d'essai"
	memberPass    = "une phrase de passe pour le banc"
)

func startPacte(root, tmp string, cfg config) (*pacteServer, error) {
	bin := filepath.Join(tmp, "pacte")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir, build.Stderr = root, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("go build: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &pacteServer{url: "http://" + addr, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(os.Environ(), "PACTE_ADDR="+addr, "PACTE_BASE_URL="+p.url, "PACTE_LOG_LEVEL=warn",
		"PACTE_DATA_DIR="+filepath.Join(tmp, "data"), "PACTE_ADMIN_EMAIL="+adminEmail, "PACTE_ADMIN_PASSWORD="+adminPassword,
		"DATABASE_URL="+cfg.databaseURL)
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	if err := waitHTTP(p.url+"/healthz", p.done); err != nil {
		p.stop()
		return nil, fmt.Errorf("pacte did not start: %w\n%s", err, p.logs.String())
	}
	return p, nil
}

func (p *pacteServer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// round makes fresh editors of a fresh measure, and suggesters when asked
// (members of the lead federation who are not editors), and runs the load.
func (p *pacteServer) round(node, root string, cfg config, loadEnv []string, suggesters int) (result, error) {
	api := &client{base: p.url}
	measure, tokens, err := api.setup(cfg.editors, suggesters)
	if err != nil {
		return result{}, err
	}
	ws := "ws" + strings.TrimPrefix(p.url, "http") + "/ws"
	env := append(append([]string{}, loadEnv...), "PACTE_WS_URL="+ws, "PACTE_TOKENS="+strings.Join(tokens[:cfg.editors], ","),
		"PACTE_MEASURE="+strconv.FormatInt(measure, 10))
	if suggesters > 0 {
		env = append(env, "PACTE_SUGGEST_TOKENS="+strings.Join(tokens[cfg.editors:], ","))
	}
	return runLoad(node, filepath.Join(root, "bench", "collab"), "load-pacte.mjs", env, p.cmd.Process.Pid)
}

// client speaks Pacte's JSON API.
type client struct {
	base   string
	bearer string
	csrf   string
	http   *http.Client
}

func (c *client) do(method, path string, body, out any, want int) error {
	if c.http == nil {
		jar, _ := cookiejar.New(nil)
		c.http = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	}
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	} else if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// signIn returns a client holding a bearer token for the account.
func signIn(base, email, password string) (*client, error) {
	s := &client{base: base}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if err := s.do("POST", "/api/v1/session", map[string]string{"email": email, "password": password}, &sess, 200); err != nil {
		return nil, err
	}
	s.csrf = sess.CSRF
	var tok struct {
		Token string `json:"token"`
	}
	if err := s.do("POST", "/api/v1/tokens", map[string]string{"name": "bench"}, &tok, 201); err != nil {
		return nil, err
	}
	return &client{base: base, bearer: tok.Token}, nil
}

var benchSeq = time.Now().UnixNano() % 1e9

// setup invites n members, makes them editors of a new measure, invites
// extra members of the lead federation who only see it, and returns the
// measure and every token (editors first).
func (c *client) setup(n, extra int) (int64, []string, error) {
	admin, err := signIn(c.base, adminEmail, adminPassword)
	if err != nil {
		return 0, nil, err
	}
	var orgs struct {
		Items []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"items"`
	}
	if err := admin.do("GET", "/api/v1/organizations", nil, &orgs, 200); err != nil {
		return 0, nil, err
	}
	var fed []int64
	for _, o := range orgs.Items {
		if o.Slug != "ministry" {
			fed = append(fed, o.ID)
		}
	}
	members := make([]*client, n+extra)
	ids := make([]int64, n+extra)
	for i := range members {
		benchSeq++
		email := fmt.Sprintf("editeur%d@bench.ma", benchSeq)
		var inv struct {
			Token string `json:"token"`
		}
		org := fed[i%len(fed)]
		if i >= n {
			org = fed[0] // the lead federation: suggesters see its draft
		}
		if err := admin.do("POST", "/api/v1/invitations", map[string]any{"email": email, "name": fmt.Sprintf("Éditeur %d", i+1),
			"organization_id": org, "role": "member"}, &inv, 201); err != nil {
			return 0, nil, err
		}
		var acc struct {
			User struct {
				ID int64 `json:"id"`
			} `json:"user"`
		}
		if err := (&client{base: c.base}).do("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": memberPass}, &acc, 201); err != nil {
			return 0, nil, err
		}
		if members[i], err = signIn(c.base, email, memberPass); err != nil {
			return 0, nil, err
		}
		ids[i] = acc.User.ID
	}
	var m struct {
		ID int64 `json:"id"`
	}
	if err := members[0].do("POST", "/api/v1/measures", map[string]any{"title": "Banc d'essai de co-édition",
		"summary": "Vingt éditeurs à la fois.", "body": "", "pillar": "enablers", "axis": "cloud_computing"}, &m, 201); err != nil {
		return 0, nil, err
	}
	for _, id := range ids[1:n] {
		if err := members[0].do("POST", fmt.Sprintf("/api/v1/measures/%d/editors", m.ID), map[string]any{"user_id": id}, nil, 201); err != nil {
			return 0, nil, err
		}
	}
	tokens := make([]string, n+extra)
	for i, mc := range members {
		tokens[i] = mc.bearer
	}
	return m.ID, tokens, nil
}

// --- Hocuspocus -----------------------------------------------------------------

func hocuspocusRound(node, dir string, loadEnv []string) (result, error) {
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	_, port, _ := net.SplitHostPort(addr)
	srv := exec.Command(node, "server.mjs")
	srv.Dir = dir
	srv.Env = append(os.Environ(), "PORT="+port)
	out, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			srv.Process.Kill()
			<-done
		}
	}()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		return result{}, errors.New("hocuspocus did not start")
	}
	env := append(append([]string{}, loadEnv...), "HOCUSPOCUS_URL=ws://"+addr)
	return runLoad(node, dir, "load.mjs", env, srv.Process.Pid)
}

// --- shared ---------------------------------------------------------------------

// runLoad runs a load generator, sampling the server's CPU time when the
// typing starts and when the last change has arrived.
func runLoad(node, dir, script string, env []string, serverPID int) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	var cpuStart, cpuEnd time.Duration
	var last string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		switch line := sc.Text(); line {
		case "START":
			cpuStart = processCPU(serverPID)
		case "END":
			cpuEnd = processCPU(serverPID)
		default:
			last = line
		}
	}
	if err := cmd.Wait(); err != nil {
		return result{}, fmt.Errorf("%s: %w", script, err)
	}
	var r result
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		return result{}, fmt.Errorf("%s printed %q: %w", script, last, err)
	}
	r.ServerCPU = cpuEnd - cpuStart
	if r.Changes > 0 {
		r.CPUPerChange = r.ServerCPU / time.Duration(r.Changes)
	}
	return r, nil
}

// processCPU is the user + system CPU time a process has used so far.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// After the command: state is field 3, utime field 14, stime field 15.
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(url string, done <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-done:
			return errors.New("exited")
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("no answer within 30 s")
}

// --- report -----------------------------------------------------------------------

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

type summary struct {
	p50, p99, max, share, cpuUS, clientCPU float64
	changes, delivered, pushes, stale      int
	converged                              bool
	errors                                 []string
}

func summarize(rs []result) summary {
	var s summary
	var p50, p99, mx, cpu []float64
	s.converged = true
	for _, r := range rs {
		if r.P50 != nil {
			p50 = append(p50, *r.P50)
			p99 = append(p99, *r.P99)
			mx = append(mx, *r.Max)
		}
		cpu = append(cpu, float64(r.CPUPerChange.Microseconds()))
		if r.WallMS > 0 {
			s.clientCPU += r.ClientCPUms / r.WallMS / float64(len(rs))
		}
		s.pushes += r.Pushes
		s.stale += r.Stale
		s.changes += r.Changes
		s.delivered += r.Delivered
		s.converged = s.converged && r.Converged
		s.errors = append(s.errors, r.Errors...)
	}
	s.p50, s.p99, s.max, s.cpuUS = median(p50), median(p99), median(mx), median(cpu)
	if s.changes > 0 {
		s.share = float64(s.delivered) / float64(s.changes)
	}
	return s
}

func report(w io.Writer, cfg config, engine string, pacte, hp []result) {
	fmt.Fprintf(w, "\nCo-editing benchmark: %d editors × %.0f changes/s, %s per round, %d round(s) each (medians of rounds)\n\n",
		cfg.editors, cfg.rate, cfg.duration, cfg.rounds)
	cols := []struct {
		name string
		s    summary
		ok   bool
	}{{"Pacte (" + engine + ")", summarize(pacte), len(pacte) > 0}, {"Hocuspocus 3.4 (in memory)", summarize(hp), len(hp) > 0}}
	fmt.Fprintf(w, "%-34s", "")
	for _, c := range cols {
		if c.ok {
			fmt.Fprintf(w, "%30s", c.name)
		}
	}
	fmt.Fprintln(w)
	row := func(label string, f func(summary) string) {
		fmt.Fprintf(w, "%-34s", label)
		for _, c := range cols {
			if c.ok {
				fmt.Fprintf(w, "%30s", f(c.s))
			}
		}
		fmt.Fprintln(w)
	}
	row("changes made", func(s summary) string { return strconv.Itoa(s.changes) })
	row("delivered to every other editor", func(s summary) string { return fmt.Sprintf("%.2f %%", 100*s.share) })
	row("latency to last editor, p50", func(s summary) string { return fmt.Sprintf("%.1f ms", s.p50) })
	row("latency to last editor, p99", func(s summary) string { return fmt.Sprintf("%.1f ms", s.p99) })
	row("latency to last editor, max", func(s summary) string { return fmt.Sprintf("%.1f ms", s.max) })
	row("server CPU per change", func(s summary) string { return fmt.Sprintf("%.0f µs", s.cpuUS) })
	row("editors converged", func(s summary) string { return strconv.FormatBool(s.converged) })
	row("load generator CPU (of one core)", func(s summary) string { return fmt.Sprintf("%.0f %%", 100*s.clientCPU) })
	if len(pacte) > 0 {
		ps := cols[0].s
		fmt.Fprintf(w, "\nPacte: %d pushes for %d changes, %d refused as stale (the client pulls, rebases, pushes again).\n",
			ps.pushes, ps.changes, ps.stale)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(w, "Machine load average at the end: %s", b)
	}
	if cols[0].ok && cols[1].ok && cols[1].s.p99 > 0 {
		fmt.Fprintf(w, "\np99 ratio Pacte / Hocuspocus: %.2f (aim: ≤ 2)\n", cols[0].s.p99/cols[1].s.p99)
	}
	for _, c := range cols {
		for _, e := range c.s.errors {
			fmt.Fprintf(w, "%s: %s\n", c.name, e)
		}
	}
}

// reportSuggestions compares the co-editing latency of the rounds without
// and with suggesters (and with the suggesters only viewing, to tell the
// cost of 20 more open editors from that of suggesting), and the accept
// latency against the co-editing p99.
func reportSuggestions(w io.Writer, cfg config, alone, viewers, with []result) {
	a, v, b := summarize(alone), summarize(viewers), summarize(with)
	var made, refused, accepts, delivered int
	var acc50, acc99 []float64
	for _, r := range with {
		made += r.SuggestionsMade
		refused += r.SuggestionsRefused
		accepts += r.Accepts
		delivered += r.AcceptsDelivered
		if r.AcceptP50 != nil {
			acc50 = append(acc50, *r.AcceptP50)
			acc99 = append(acc99, *r.AcceptP99)
		}
	}
	fmt.Fprintf(w, "\nSuggestions: %d editors × %.0f changes/s, with %d suggesters × %.1f suggestions/s (medians of %d rounds)\n\n",
		cfg.editors, cfg.rate, cfg.suggesters, cfg.suggestRate, len(with))
	fmt.Fprintf(w, "%-40s%16s%16s%16s\n", "", "editors alone", "+ viewers", "+ suggesting")
	fmt.Fprintf(w, "%-40s%13.1f ms%13.1f ms%13.1f ms\n", "co-editing latency to last editor, p50", a.p50, v.p50, b.p50)
	fmt.Fprintf(w, "%-40s%13.1f ms%13.1f ms%13.1f ms\n", "co-editing latency to last editor, p99", a.p99, v.p99, b.p99)
	fmt.Fprintf(w, "%-40s%15.2f %%%15.2f %%%15.2f %%\n", "delivered to every other editor", 100*a.share, 100*v.share, 100*b.share)
	fmt.Fprintf(w, "%-40s%16v%16v%16v\n", "editors converged", a.converged, v.converged, b.converged)
	if a.p99 > 0 && v.p99 > 0 {
		fmt.Fprintf(w, "\np99 suggesting / editors alone: %.2f; suggesting / the same people viewing: %.2f (aim ≤ 1.2)\n", b.p99/a.p99, b.p99/v.p99)
	}
	fmt.Fprintf(w, "suggestions made %d, refused %d (overlapping another's at the same point, or outdated); accepts %d, reaching every editor %d\n",
		made, refused, accepts, delivered)
	if len(acc99) > 0 {
		fmt.Fprintf(w, "accept to last editor: p50 %.1f ms, p99 %.1f ms; co-editing p99 %.1f ms (aim: accept p99 within it)\n",
			median(acc50), median(acc99), b.p99)
	}
	for _, e := range b.errors {
		fmt.Fprintf(w, "with suggesters: %s\n", e)
	}
}
