package server_test

import (
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// blipChecks are the requests of the issue: a bearer token, a cookie
// session (API and page), and a comment post. While the database does not
// answer, each must be a 503 with Retry-After, never a 401 or 404, and no
// answer may clear the session cookie.
type blipWorld struct {
	cookie  *servertest.Client
	bearer  *servertest.Client
	measure int64
}

func newBlipWorld(t *testing.T, app *servertest.App) blipWorld {
	t.Helper()
	u := app.User(models.RoleMember, "apebi")
	cookie := app.Login(u)
	var tok struct {
		Token string `json:"token"`
	}
	if st := cookie.Do("POST", "/api/v1/tokens", map[string]string{"name": "blip"}, &tok); st != 201 {
		t.Fatalf("create token: %d", st)
	}
	bearer := script(app)
	bearer.Bearer = tok.Token
	return blipWorld{cookie: cookie, bearer: bearer, measure: msCreate(t, cookie, "Mesure pendant la coupure").ID}
}

// during checks every request while the database is away. allowOK lets a
// request that happened to get through pass (pg_terminate_backend: the pool
// may reconnect at once); what never passes is a 401, a 404 or a cleared
// cookie.
func (w blipWorld) during(t *testing.T, allowOK bool) {
	t.Helper()
	check := func(what string, r *servertest.Response, okStatus int) {
		t.Helper()
		if allowOK && r.Status == okStatus {
			return
		}
		if r.Status != 503 || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s while the database is away: %d (Retry-After %q) %s, want 503 with Retry-After", what, r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		for _, sc := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "pacte_session=") {
				t.Errorf("%s while the database is away set the session cookie: %s", what, sc)
			}
		}
	}
	check("bearer GET /api/v1/me", w.bearer.Request("GET", "/api/v1/me", nil), 200)
	check("cookie GET /api/v1/me", w.cookie.Request("GET", "/api/v1/me", nil), 200)
	check("cookie GET /profile", getHTML(w.cookie, "/profile"), 200)
	check("bearer comment post", w.bearer.Request("POST", msPath(w.measure, "/comments"), map[string]string{"body": "Pendant la coupure"}), 201)
	r := w.bearer.Request("GET", msPath(w.measure), nil)
	check("bearer GET measure", r, 200)
	page := getHTML(w.cookie, "/profile")
	if page.Status == 503 && !strings.Contains(string(page.Body), "<html") {
		t.Errorf("the 503 page is not a page: %.200s", page.Body)
	}
}

// after checks that both credentials still work once the database is back.
func (w blipWorld) after(t *testing.T) {
	t.Helper()
	wantStatus(t, w.bearer.Request("GET", "/api/v1/me", nil), 200)
	wantStatus(t, w.cookie.Request("GET", "/api/v1/me", nil), 200)
	wantStatus(t, w.bearer.Request("POST", msPath(w.measure, "/comments"), map[string]string{"body": "Après la coupure"}), 201)
}

// SQLite: the database is closed under the running server.
func TestDatabaseBlip_SQLiteClosed(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	w := newBlipWorld(t, app)
	app.Store.Close()
	w.during(t, false)
	if !strings.Contains(app.Logs.String(), "database unavailable") {
		t.Error("the database error was not logged")
	}
	// The health check says so too, and when to ask again.
	r := app.Anonymous().Request("GET", "/healthz", nil)
	if r.Status != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), `"unavailable"`) {
		t.Errorf("/healthz with the database gone: %d, Retry-After %q, %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
}

// PostgreSQL behind a proxy the test can cut: every connection is dropped
// and new ones are refused, then the database comes back.
func TestDatabaseBlip_PostgresCut(t *testing.T) {
	if !storetestPostgres(t) {
		return
	}
	first := servertest.New(t, models.Postgres) // makes the schema
	p := newCutProxy(t, first.DatabaseURL)
	app := servertest.NewOnURL(t, p.url)
	w := newBlipWorld(t, app)
	p.cut(true)
	w.during(t, false)
	p.cut(false)
	w.after(t)
}

// PostgreSQL, as in the issue: pg_terminate_backend kills the server's
// connections between requests. Whatever the pool makes of it, no request
// is answered 401 or 404 and the session survives.
func TestDatabaseBlip_PostgresTerminateBackend(t *testing.T) {
	if !storetestPostgres(t) {
		return
	}
	first := servertest.New(t, models.Postgres) // makes the schema
	name := fmt.Sprintf("pacte_blip_%d", time.Now().UnixNano())
	app := servertest.NewOnURL(t, first.DatabaseURL+"&application_name="+name)
	w := newBlipWorld(t, app)
	admin, err := sql.Open("pgx", storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for i := 0; i < 5; i++ {
		// Only this server's connections: other tests share the database.
		var n int
		if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no connection of the server was found to terminate")
		}
		w.during(t, true)
	}
	w.after(t)
}

// cutProxy forwards TCP to PostgreSQL until cut.
type cutProxy struct {
	url    string
	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T, dbURL string) *cutProxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{target: u.Host, ln: ln, conns: map[net.Conn]bool{}}
	if !strings.Contains(p.target, ":") {
		p.target += ":5432"
	}
	u.Host = ln.Addr().String()
	p.url = u.String()
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close(); c.Close() }()
		go func() { io.Copy(c, up); up.Close(); c.Close() }()
	}
}

// cut drops every connection and refuses new ones (down), or lets them in.
func (p *cutProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}
