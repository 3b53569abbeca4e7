// Package servertest starts a real Pacte server on a fresh database for a
// test, and gives fixture builders and a JSON client that behave like the
// clients people use: cookies, CSRF token, bearer tokens.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pacte/jobs"
	"pacte/mail"
	"pacte/models"
	"pacte/models/storetest"
	"pacte/server"
)

// App is a running server on its own database.
type App struct {
	T      testing.TB
	Store  *models.Store
	Server *server.Server
	HTTP   *httptest.Server
	URL    string
	Logs   *LogBuffer
	// Console holds what the server printed for the operator (set-up link).
	Console *LogBuffer
	Engine  string
	// Clock is the store's clock (Store.Now): tests move it forward to
	// check expiry without sleeping.
	Clock *Clock
	// DatabaseURL is the PostgreSQL database ("" on SQLite), for NewOnURL.
	DatabaseURL string
	// Mail is what the server sent (unless a test gave its own transport).
	Mail *Outbox
}

// Clock is real time plus an offset a test can move. It is installed before
// the server starts, so moving it never races with the server reading it.
type Clock struct{ offset atomic.Int64 }

// Now is the store's clock, in UTC like the real one.
func (c *Clock) Now() time.Time { return time.Now().UTC().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Option adjusts the server before it starts.
type Option func(*setup)

type setup struct {
	cfg        *server.Config
	storeHooks []func(*models.Store)
}

// WithConfig changes the server configuration.
func WithConfig(fn func(*server.Config)) Option { return func(s *setup) { fn(s.cfg) } }

// WithStore runs fn on the store before the server and its background
// goroutines start, e.g. to register GORM callbacks that count queries
// (registering them later races with the goroutines using the store).
func WithStore(fn func(*models.Store)) Option {
	return func(s *setup) { s.storeHooks = append(s.storeHooks, fn) }
}

// WithHTTPS makes the server believe it is served over https (its base URL
// says so): Secure __Host- cookies and HSTS. The test server itself still
// speaks plain HTTP, so a cookie jar will not send the Secure cookie back.
func WithHTTPS() Option {
	return WithConfig(func(c *server.Config) { c.BaseURL = "https://" + strings.TrimPrefix(c.BaseURL, "http://") })
}

// WithTrustedProxies sets the addresses whose X-Forwarded-For is believed.
func WithTrustedProxies(proxies ...string) Option {
	return WithConfig(func(c *server.Config) { c.TrustedProxies = proxies })
}

// New starts a server on a fresh database of the engine.
func New(t testing.TB, engine string, opts ...Option) *App {
	t.Helper()
	return start(t, engine, storetest.Options(t, engine), opts)
}

// NewOnURL starts another server on an existing PostgreSQL database, such as
// app.DatabaseURL: a second instance of the same deployment.
func NewOnURL(t testing.TB, databaseURL string, opts ...Option) *App {
	t.Helper()
	return start(t, models.Postgres, models.Options{DataDir: t.TempDir(), DatabaseURL: databaseURL}, opts)
}

func start(t testing.TB, engine string, o models.Options, opts []Option) *App {
	t.Helper()
	logs := &LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Logger = logger
	store, err := models.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	clock := &Clock{}
	store.Now = clock.Now
	ts := httptest.NewUnstartedServer(nil)
	console := &LogBuffer{}
	outbox := &Outbox{}
	cfg := server.Config{BaseURL: "http://" + ts.Listener.Addr().String(), Logger: logger, Console: console, Mailer: outbox,
		Jobs: jobs.Config{PollInterval: 20 * time.Millisecond, RetryBase: 50 * time.Millisecond, RetryMax: time.Second},
		// PDFs are not made ahead after each publication of every test
		// (seconds of CPU under -race); the test of it turns it on.
		PDFAhead: -1}
	set := &setup{cfg: &cfg}
	for _, opt := range opts {
		opt(set)
	}
	for _, hook := range set.storeHooks {
		hook(store)
	}
	srv, err := server.New(cfg, store)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := srv.Start(context.Background(), server.StartOptions{}); err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts.Config.Handler = srv
	ts.Start()
	app := &App{T: t, Store: store, Server: srv, HTTP: ts, URL: ts.URL, Logs: logs, Console: console, Engine: engine, Clock: clock,
		DatabaseURL: o.DatabaseURL, Mail: outbox}
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		store.Close()
	})
	return app
}

// Outbox keeps the mail a test server sends (unless the test gives its
// own transport): tests read it as a mailbox.
type Outbox struct {
	mu   sync.Mutex
	msgs []*mail.Message
}

// Send keeps the message.
func (o *Outbox) Send(_ context.Context, m *mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// Describe names the transport.
func (o *Outbox) Describe() string { return "test outbox" }

// To lists the messages sent to an address so far.
func (o *Outbox) To(addr string) []*mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*mail.Message
	for _, m := range o.msgs {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// All lists every message sent so far.
func (o *Outbox) All() []*mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*mail.Message(nil), o.msgs...)
}

// WaitMail waits (up to 10 s) for a message to addr whose subject contains
// subject, and returns it.
func (a *App) WaitMail(addr, subject string) *mail.Message {
	a.T.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range a.Mail.To(addr) {
			if strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var got []string
	for _, m := range a.Mail.All() {
		got = append(got, m.To+": "+m.Subject)
	}
	a.T.Fatalf("no mail to %s about %q within 10 s; sent: %q", addr, subject, got)
	return nil
}

// LogBuffer collects the server's log lines for assertions.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// DefaultPassword is every fixture's password.
const DefaultPassword = "correct horse battery staple"

var (
	hashOnce sync.Once
	hash     string
	seq      atomic.Int64
)

// passwordHash hashes the fixture password once: argon2id at full strength
// costs tens of milliseconds, too much to pay per fixture.
func passwordHash() string {
	hashOnce.Do(func() {
		h, err := models.HashPassword(DefaultPassword)
		if err != nil {
			panic(err)
		}
		hash = h
	})
	return hash
}

// Org finds a seeded organisation by slug.
func (a *App) Org(slug string) models.Organization {
	a.T.Helper()
	orgs, err := a.Store.Organizations(context.Background())
	if err != nil {
		a.T.Fatal(err)
	}
	for _, o := range orgs {
		if o.Slug == slug {
			return o
		}
	}
	a.T.Fatalf("no organisation %q", slug)
	return models.Organization{}
}

// User creates an active account with the role in the organisation (slug, or
// "" for none) and returns it.
func (a *App) User(role, orgSlug string) *models.User {
	a.T.Helper()
	n := seq.Add(1)
	now := time.Now().UTC()
	u := &models.User{Email: fmt.Sprintf("%s%d@example.ma", role, n), Name: fmt.Sprintf("%s %d", strings.ToUpper(role[:1])+role[1:], n),
		Role: role, Status: models.StatusActive, PasswordHash: passwordHash(), Locale: "fr", CreatedAt: now, UpdatedAt: now}
	if orgSlug != "" {
		id := a.Org(orgSlug).ID
		u.OrganizationID = &id
	}
	if err := a.Store.Write(context.Background(), func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
		a.T.Fatalf("create user: %v", err)
	}
	return u
}

// Client is a JSON API client with its own cookie jar.
type Client struct {
	app     *App
	T       testing.TB
	HTTP    *http.Client
	CSRF    string
	Bearer  string
	Headers map[string]string
}

// Anonymous returns a client that is not signed in.
func (a *App) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{app: a, T: a.T, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, Headers: map[string]string{}}
}

// Login gives a client signed in as u: a session made in the store as
// the sign-in handler makes it. Checking the password on every fixture
// sign-in (argon2id at full strength) was a third of the server tests'
// CPU; the sign-in itself is tested through the API by LoginWithPassword
// and the account tests.
func (a *App) Login(u *models.User) *Client {
	a.T.Helper()
	c := a.Anonymous()
	raw, sess, err := a.Store.CreateSession(context.Background(), u.ID)
	if err != nil {
		a.T.Fatalf("login %s: %v", u.Email, err)
	}
	base, err := url.Parse(a.URL)
	if err != nil {
		a.T.Fatal(err)
	}
	c.HTTP.Jar.SetCookies(base, []*http.Cookie{{Name: a.Server.SessionCookieName(), Value: raw, Path: "/"}})
	c.CSRF = sess.CSRFToken
	return c
}

// LoginWithPassword signs a user in through the API (password
// DefaultPassword).
func (a *App) LoginWithPassword(u *models.User) *Client {
	a.T.Helper()
	c := a.Anonymous()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if st := c.Do("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": DefaultPassword}, &out); st != 200 {
		a.T.Fatalf("login %s: status %d", u.Email, st)
	}
	c.CSRF = out.CSRF
	return c
}

// Response is a raw answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// ErrorCode extracts error.code from an error body.
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Raw sends a request with a raw body and content type.
func (c *Client) Raw(method, path, contentType string, body io.Reader) *Response {
	c.T.Helper()
	req, err := http.NewRequest(method, c.app.URL+path, body)
	if err != nil {
		c.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.CSRF != "" && method != "GET" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Request sends body as JSON (nil for none) and returns the raw answer.
func (c *Client) Request(method, path string, body any) *Response {
	c.T.Helper()
	var r io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.T.Fatal(err)
		}
		r, ct = bytes.NewReader(b), "application/json"
	}
	return c.Raw(method, path, ct, r)
}

// Do sends body as JSON and decodes the answer into out (when not nil),
// returning the status.
func (c *Client) Do(method, path string, body, out any) int {
	c.T.Helper()
	resp := c.Request(method, path, body)
	if out != nil && len(resp.Body) > 0 && resp.Status < 300 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			c.T.Fatalf("%s %s: decode %q: %v", method, path, resp.Body, err)
		}
	}
	return resp.Status
}

// Cookies gives the client's cookies for the app's URL.
func (c *Client) Cookies() []*http.Cookie {
	req, _ := http.NewRequest("GET", c.app.URL, nil)
	return c.HTTP.Jar.Cookies(req.URL)
}

// MeasureSpec is a measure a test needs. Left empty, a field takes a
// plausible value: a draft of the author's federation, seen by it only.
type MeasureSpec struct {
	Title, Summary, Body string
	Pillar, Axis         string // digital_economy / sme_digitalisation by default ("-" for no axis)
	Visibility           string // federation (default) or platform
	// Status is where the measure stands; a state other than draft is set
	// directly, as a fixture (the workflow that leads there is tested on
	// its own).
	Status  string
	Editors []*models.User // more editors, added by the author
	// Quiet writes the rows only, with no event, revision or co-editing
	// log: for tests that count the events of what they do next.
	Quiet bool
}

// Measure creates a measure through the store, as the author (a member of
// a federation), and returns its id: the one way tests make a measure they
// need but do not test the creation of.
func (a *App) Measure(t testing.TB, author *models.User, spec MeasureSpec) int64 {
	t.Helper()
	ctx := context.Background()
	in := models.NewMeasure{Title: spec.Title, Summary: spec.Summary, Body: spec.Body, Pillar: spec.Pillar, Axis: spec.Axis}
	if in.Title == "" {
		in.Title = fmt.Sprintf("Mesure %d", seq.Add(1))
	}
	if in.Summary == "" {
		in.Summary = "Ce que la mesure change, et pour qui."
	}
	if in.Pillar == "" {
		in.Pillar = "digital_economy"
		if in.Axis == "" {
			in.Axis = "sme_digitalisation"
		}
	}
	if in.Axis == "-" {
		in.Axis = ""
	}
	if spec.Quiet {
		return a.quietMeasure(t, author, in, spec)
	}
	m, err := a.Store.CreateMeasure(ctx, author, in)
	if err != nil {
		t.Fatalf("create measure: %v", err)
	}
	for _, e := range spec.Editors {
		if _, err := a.Store.AddEditor(ctx, author, m.ID, e.ID); err != nil {
			t.Fatalf("add editor %d: %v", e.ID, err)
		}
	}
	if spec.Visibility == models.VisibilityPlatform {
		vis := models.VisibilityPlatform
		if _, err := a.Store.UpdateMeasure(ctx, author, m.ID, models.MeasureChange{Visibility: &vis, Revision: m.Revision}); err != nil {
			t.Fatalf("open measure: %v", err)
		}
	}
	if spec.Status != "" && spec.Status != models.StatusDraft {
		err := a.Store.Write(ctx, func(tx *models.Tx) error {
			return tx.Exec("UPDATE measures SET status = ? WHERE id = ?", spec.Status, m.ID).Error
		})
		if err != nil {
			t.Fatalf("set status %s: %v", spec.Status, err)
		}
	}
	return m.ID
}

// quietMeasure inserts a measure's rows directly (MeasureSpec.Quiet).
func (a *App) quietMeasure(t testing.TB, author *models.User, in models.NewMeasure, spec MeasureSpec) int64 {
	t.Helper()
	vis, status := spec.Visibility, spec.Status
	if vis == "" {
		vis = models.VisibilityFederation
	}
	if status == "" {
		status = models.StatusDraft
	}
	var axis *string
	if in.Axis != "" {
		axis = &in.Axis
	}
	var id int64
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := a.Store.Write(context.Background(), func(tx *models.Tx) error {
		err := tx.Raw(`INSERT INTO measures (title, summary, body, pillar, axis, lead_organization_id, visibility, status, revision, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`,
			in.Title, in.Summary, in.Body, in.Pillar, axis, author.OrgID(), vis, status, author.ID, now, now).Scan(&id).Error
		if err != nil {
			return err
		}
		for _, e := range append([]*models.User{author}, spec.Editors...) {
			if err := tx.Exec(`INSERT INTO measure_editors (measure_id, user_id, added_by, created_at) VALUES (?, ?, ?, ?)`, id, e.ID, author.ID, now).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || id == 0 {
		t.Fatalf("insert measure: %v", err)
	}
	return id
}

// EachEngine runs fn as a parallel subtest on a fresh server on each
// engine: SQLite, and PostgreSQL when reachable (required when
// PACTE_REQUIRE_POSTGRES=1).
func EachEngine(t *testing.T, fn func(t *testing.T, app *App), opts ...Option) {
	t.Helper()
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, engine, opts...))
		})
	}
}

// App is the server this client talks to.
func (c *Client) App() *App { return c.app }

// Settle waits (up to 10 s) until every notification fan-out enqueued so
// far has run: notifications are written by a background job, a few
// milliseconds after the change that causes them.
func (a *App) Settle() {
	a.T.Helper()
	a.waitJobs("notify.fanout")
}

// SettleMail waits until no mail job is waiting or running (retries
// included).
func (a *App) SettleMail() {
	a.T.Helper()
	a.waitJobs("mail.send")
}

func (a *App) waitJobs(kind string) {
	a.T.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := JobsWaiting(context.Background(), a.Store, kind)
		if err != nil {
			a.T.Fatalf("count jobs: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			a.T.Fatalf("%d %s jobs still waiting after 10 s", n, kind)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// JobsWaiting counts the jobs of a kind that are not finished yet (waiting,
// retrying or running); bench/ uses it too.
func JobsWaiting(ctx context.Context, store *models.Store, kind string) (int64, error) {
	var n int64
	err := store.SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = $1
		AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`, kind).Scan(&n)
	return n, err
}
