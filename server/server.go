// Package server serves Pacte's pages, JSON API and websocket endpoint with
// Echo, on top of the models store.
package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"pacte/i18n"
	"pacte/jobs"
	"pacte/mail"
	"pacte/models"
	"pacte/pact"
)

// Config is what the server needs to know about its deployment.
type Config struct {
	// BaseURL is the public address, e.g. https://pacte.example.ma. It sets
	// links handed to people, cookie security and the websocket Origin check.
	BaseURL string
	// TrustedProxies are the addresses or CIDR ranges whose X-Forwarded-For
	// is believed. Empty: the TCP peer is the client.
	TrustedProxies []string
	// BodyLimit caps request bodies, e.g. "2M".
	BodyLimit string
	// RequestTimeout bounds every request except the websocket.
	RequestTimeout time.Duration
	Logger         *slog.Logger
	// Console receives what is printed for the operator (the set-up link);
	// standard output by default.
	Console io.Writer
	// RequireTOTPRoles are the roles that must turn on a second factor
	// (reviewer, moderator, admin); until they do, only their profile
	// answers (server/totp.go).
	RequireTOTPRoles []string
	// MetricsToken, when set, lets /metrics answer Authorization: Bearer
	// <token> from anywhere; without it only loopback scrapers are served.
	MetricsToken string
	// WSPerUser caps one account's websockets open at once on this
	// instance (32 when 0); the next upgrade gets 429.
	WSPerUser int
	// WSMax caps this instance's websockets; 0 derives it from the
	// process's descriptor limit, less a reserve that keeps /healthz and
	// sign-in answering under a flood (hub_limits.go).
	WSMax int
	// SMTPURL is where mail goes (PACTE_SMTP_URL, mail/mail.go); without
	// it, each message is written as an .eml file in MailDir.
	SMTPURL  string
	MailFrom string
	MailDir  string
	// DataDir holds the signing key of the Pact's documents (made at first
	// start) unless SigningKey gives it (PACTE_SIGNING_KEY, shared by every
	// instance). With neither, a key is made for this process only (tests).
	DataDir    string
	SigningKey string
	// SearchDir holds this instance's full-text index (search_index.go);
	// empty keeps it in memory, rebuilt at each start (tests).
	SearchDir string
	// DocumentMade, when set, is called after a document of the public Pact
	// is made and before it is checked against the published measures
	// (tests unpublish a measure there).
	DocumentMade func()
	// PDFAhead is how long the public Pact must stay unchanged before its
	// PDFs are made in the background (0: 2 s; negative: never).
	PDFAhead time.Duration
	// Mailer replaces the transport (tests that read what was sent).
	Mailer mail.Sender
	// Jobs tunes the background work's timings; zero fields take the
	// defaults of package jobs.
	Jobs jobs.Config
}

// Server is the HTTP side of Pacte.
type Server struct {
	echo    *echo.Echo
	store   *models.Store
	cfg     Config
	log     *slog.Logger
	secure  bool // base URL is https
	origin  string
	i18n    *i18n.Catalog
	views   *views
	metrics *metrics
	// instance tells this process from the other instances on one
	// database (presence, cursors, the listener's name).
	instance string
	hub      *Hub // the websocket side (hub.go)
	// notifier hears the other instances (PostgreSQL; nil on SQLite): the
	// hub and co-editing register their channels with it.
	notifier *models.Notifier
	// jobs works the background jobs: notification fan-out, mail, digests.
	jobs *jobs.Runner
	// started is set by the first Start, which starts the live side.
	started atomic.Bool
	// Caches of rendered HTML, each bounded (cache.go).
	lists        *cache[listKey, listEntry]           // measures lists (pages_measure_list.go)
	measureViews *cache[measureViewKey, *measureView] // measure pages' shared part (pages_measure_cache.go)
	comments     *cache[commentsKey, *commentsEntry]  // measure pages' comments (pages_comments.go)
	bodies       *cache[uint64, renderEntry]          // Markdown bodies (api_measures.go)
	refs         atomic.Pointer[cachedRefs]           // organisations and taxonomy (pages_measures.go)
	dashboards   *dashboardCache                      // the dashboard's figures (dashboard_cache.go)
	// public serves the public Pact from rendered responses (public_pact.go).
	public *publicSite
	// search is the full-text index, following the event log
	// (search_index.go); searchFresh says it must be filled at Start.
	search      *searchIndex
	searchFresh bool
	signer      *pact.Signer  // signs the manifests of the Pact's documents
	pdf         pagesRenderer // lays out the Pact as PDF
	// cookieless are the routes that read no cookie and no token: the
	// public Pact's (routes.go).
	cookieless map[string]bool
}

// New builds the server: middleware, templates and routes.
func New(cfg Config, store *models.Store) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Console == nil {
		cfg.Console = os.Stdout
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "2M"
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://localhost:8080"
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q must look like https://host[:port]", cfg.BaseURL)
	}
	if err := checkTOTPRoles(cfg.RequireTOTPRoles); err != nil {
		return nil, err
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{
		echo:         echo.New(),
		store:        store,
		cfg:          cfg,
		log:          cfg.Logger,
		secure:       u.Scheme == "https",
		origin:       u.Scheme + "://" + u.Host,
		i18n:         cat,
		instance:     newInstanceID(),
		metrics:      newMetrics(),
		lists:        newListCache(),
		measureViews: newMeasureViewCache(),
		comments:     newCommentsCache(),
		bodies:       newBodyCache(),
		dashboards:   newDashboardCache(store),
		public:       newPublicSite(),
		cookieless:   map[string]bool{},
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s.cfg.BaseURL = cfg.BaseURL
	if s.signer, err = newSigner(cfg); err != nil {
		return nil, err
	}
	if s.pdf, err = newPDFRenderer(); err != nil {
		return nil, err
	}
	if s.views, err = loadViews(cat); err != nil {
		return nil, err
	}
	if s.search, s.searchFresh, err = openSearchIndex(cfg.SearchDir, store, s.log); err != nil {
		return nil, err
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor, err = ipExtractor(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	e.Use(s.recoverPanics, s.logRequests, s.secureHeaders)
	e.Use(middleware.BodyLimit(cfg.BodyLimit))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{
		Timeout: cfg.RequestTimeout,
		Skipper: func(c echo.Context) bool { return c.Path() == "/ws" },
	}))
	e.Use(s.authenticate, s.csrf, s.requireTOTP)
	s.notifier = store.NewNotifier("pacte-listener-"+s.instance, s.log)
	s.hub = newHub(s)
	if s.jobs, err = s.newJobs(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// newSigner loads (or makes) the key that signs the Pact's documents.
func newSigner(cfg Config) (*pact.Signer, error) {
	if cfg.DataDir == "" && cfg.SigningKey == "" {
		seed := make([]byte, 32)
		rand.Read(seed)
		return pact.NewSigner(seed)
	}
	return pact.LoadSigner(cfg.DataDir, cfg.SigningKey)
}

func newInstanceID() string {
	var id [8]byte
	rand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// Echo exposes the router, for routes added by other parts and for tests.
func (s *Server) Echo() *echo.Echo { return s.echo }

// Store gives the store the server runs on.
func (s *Server) Store() *models.Store { return s.store }

// ServeHTTP makes the server an http.Handler. HEAD is answered wherever GET
// is (docs/API.md): the request is routed as a GET and its body is dropped.
// (Echo routes from the request it was handed, so this happens here rather
// than in a middleware.)
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		g := *r
		g.Method = http.MethodGet
		s.echo.ServeHTTP(headWriter{w}, &g)
		return
	}
	s.echo.ServeHTTP(w, r)
}

// headWriter keeps a response's status and headers and drops its body.
type headWriter struct{ http.ResponseWriter }

func (h headWriter) Write(p []byte) (int, error) { return len(p), nil }
func (h headWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// Close stops the live side: websockets first (http.Server.Shutdown does
// not wait for hijacked connections), then the hub's and co-editing's
// background work.
// forgetRenderedNames empties the caches of rendered pages that name
// people (comments, measure pages, lists), after a person's name changed.
func (s *Server) forgetRenderedNames() {
	s.comments.clear()
	s.measureViews.clear()
	s.lists.clear()
}

func (s *Server) Close() {
	if s.public.stop != nil {
		s.public.stop()
		<-s.public.done
	}
	s.jobs.Close()
	s.hub.Close()
	s.notifier.Close()
	s.search.close()
}

// newJobs builds the job runner and its mail transport: SMTP when
// configured, else .eml files.
func (s *Server) newJobs() (*jobs.Runner, error) {
	from := s.cfg.MailFrom
	if from == "" {
		from = mail.DefaultFrom(s.cfg.BaseURL)
	}
	sender := s.cfg.Mailer
	if sender == nil && s.cfg.SMTPURL != "" {
		smtp, err := mail.NewSMTP(s.cfg.SMTPURL, from, "Pacte")
		if err != nil {
			return nil, err
		}
		sender = smtp
	}
	jc := s.cfg.Jobs
	// Retention prunes the mail folder whether or not mail goes there
	// now: files written before SMTP was set up age out all the same.
	jc.MailDir = s.cfg.MailDir
	if sender == nil {
		if jc.MailDir == "" {
			jc.MailDir = "data/mail"
		}
		sender = mail.NewDir(jc.MailDir, from, "Pacte", s.log)
	}
	jc.Store, jc.Sender, jc.Catalog, jc.BaseURL, jc.Logger = s.store, sender, s.i18n, s.cfg.BaseURL, s.log
	return jobs.New(jc)
}

// Jobs gives the background job runner (tests run digests through it).
func (s *Server) Jobs() *jobs.Runner { return s.jobs }

// URL builds an absolute link from a path, for links handed to people.
func (s *Server) URL(path string) string { return s.cfg.BaseURL + path }

// ipExtractor believes X-Forwarded-For only from the configured proxies, so a
// client cannot dodge the login limits by inventing addresses.
func ipExtractor(trusted []string) (echo.IPExtractor, error) {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect(), nil
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, t := range trusted {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !strings.Contains(t, "/") {
			if ip := net.ParseIP(t); ip != nil && ip.To4() != nil {
				t += "/32"
			} else {
				t += "/128"
			}
		}
		_, n, err := net.ParseCIDR(t)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or CIDR range", t)
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}

// ctxUser is the signed-in person, or nil.
func ctxUser(c echo.Context) *models.User {
	u, _ := c.Get("user").(*models.User)
	return u
}

// ctxSession is the browser session, or nil (anonymous or bearer).
func ctxSession(c echo.Context) *models.Session {
	s, _ := c.Get("session").(*models.Session)
	return s
}
