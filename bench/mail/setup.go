package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"pacte/jobs"
	"pacte/models"
	"pacte/models/storetest"
	"pacte/server"
	"pacte/server/servertest"
)

// env is a running Pacte on a fresh database, mailing to an in-process
// SMTP server.
type env struct {
	store  *models.Store
	srv    *server.Server
	http   *http.Server
	client *http.Client
	url    string
	box    *mailbox
	logs   *logTail
	// cleanup undoes the set-up, last step first.
	cleanup []func()
}

// start opens the store (SQLite in a temporary directory, or a PostgreSQL
// schema of its own), starts the SMTP server and the app, as bench/measures
// does, with the production job timings unless flags say otherwise.
func start(ctx context.Context, o options) (*env, error) {
	e := &env{logs: &logTail{}}
	dir, err := os.MkdirTemp("", "pacte-bench-mail-")
	if err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { os.RemoveAll(dir) })
	dbURL := ""
	if o.engine == models.Postgres {
		var drop func()
		dbURL, drop, err = storetest.CreateSchema(o.pgURL, fmt.Sprintf("bench_mail_%d", os.Getpid()))
		if err != nil {
			e.Close()
			return nil, err
		}
		e.cleanup = append(e.cleanup, drop)
	}
	e.box, err = newMailbox()
	if err != nil {
		e.Close()
		return nil, err
	}
	e.cleanup = append(e.cleanup, e.box.Stop)
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.store, err = models.Open(ctx, models.Options{DatabaseURL: dbURL, DataDir: dir, Logger: logger})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	e.cleanup = append(e.cleanup, func() { e.store.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Close()
		return nil, err
	}
	e.url = "http://" + ln.Addr().String()
	cfg := server.Config{BaseURL: e.url, Logger: logger, Console: io.Discard, SMTPURL: e.box.URL,
		Jobs: jobs.Config{PollInterval: o.poll, MailWorkers: o.mailWorkers}}
	e.srv, err = server.New(cfg, e.store)
	if err != nil {
		ln.Close()
		e.Close()
		return nil, err
	}
	if err := e.srv.Start(ctx, server.StartOptions{}); err != nil {
		ln.Close()
		e.Close()
		return nil, err
	}
	e.cleanup = append(e.cleanup, e.srv.Close)
	e.http = &http.Server{Handler: e.srv, ReadHeaderTimeout: 10 * time.Second}
	go e.http.Serve(ln)
	e.cleanup = append(e.cleanup, func() { e.http.Close() })
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute},
		Timeout: time.Minute}
	return e, nil
}

// Close stops everything start started.
func (e *env) Close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
	e.cleanup = nil
}

// person is an account and its bearer token.
type person struct {
	user  *models.User
	token string
}

// people creates n active members spread over the seeded federations, each
// with a bearer token (no password sign-in: argon2id a thousand times
// would be the set-up's whole cost).
func (e *env) people(ctx context.Context, n int, prefix string) ([]person, error) {
	orgs, err := e.store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	var feds []int64
	for _, org := range orgs {
		if org.Kind == models.KindFederation {
			feds = append(feds, org.ID)
		}
	}
	if len(feds) == 0 {
		return nil, errors.New("no federation seeded")
	}
	now := e.store.Now().UTC()
	users := make([]*models.User, n)
	for i := range users {
		org := feds[i%len(feds)]
		users[i] = &models.User{Email: fmt.Sprintf("%s%d@bench.pacte.ma", prefix, i), Name: fmt.Sprintf("%s %d", prefix, i),
			OrganizationID: &org, Role: models.RoleMember, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	}
	if err := e.store.Write(ctx, func(tx *models.Tx) error { return tx.CreateInBatches(users, 200).Error }); err != nil {
		return nil, fmt.Errorf("create users: %w", err)
	}
	out := make([]person, n)
	for i, u := range users {
		_, raw, err := e.store.CreateToken(ctx, u, "bench")
		if err != nil {
			return nil, err
		}
		out[i] = person{user: u, token: raw}
	}
	return out, nil
}

// call sends a JSON request as p and decodes a 2xx answer into out.
func (e *env) call(ctx context.Context, p person, method, path string, body, out any, want int) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.url+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// measure creates a measure through the API and opens it to the platform,
// so that every member may read it and follow it.
func (e *env) measure(ctx context.Context, author person, title string) (int64, error) {
	var m struct {
		ID       int64 `json:"id"`
		Revision int   `json:"revision"`
	}
	err := e.call(ctx, author, "POST", "/api/v1/measures", map[string]any{"title": title, "summary": "Résumé de " + title,
		"body": "## " + title + "\n\nPremier paragraphe.\n", "pillar": "enablers", "axis": "cloud_computing"}, &m, 201)
	if err != nil {
		return 0, err
	}
	err = e.call(ctx, author, "PATCH", fmt.Sprintf("/api/v1/measures/%d", m.ID),
		map[string]any{"visibility": "platform", "revision": m.Revision}, nil, 200)
	return m.ID, err
}

// follow has each person choose mail at once for comments on what they
// follow, then follow the measure, through the API, a few at a time.
func (e *env) follow(ctx context.Context, people []person, measureID int64) error {
	work := make(chan person)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				err := e.call(ctx, p, "PUT", "/api/v1/me/notification-settings",
					map[string]any{"settings": map[string]string{models.KindComment: models.DeliverImmediate}}, nil, 200)
				if err == nil {
					err = e.call(ctx, p, "POST", fmt.Sprintf("/api/v1/measures/%d/follow", measureID), nil, nil, 204)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, p := range people {
		work <- p
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// settle waits until no job of the kind is left.
func (e *env) settle(ctx context.Context, kind string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n, err := servertest.JobsWaiting(ctx, e.store, kind)
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d %s jobs still waiting after %s", n, kind, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logTail counts the warnings and errors the app logged and keeps the
// first few, for the report.
type logTail struct {
	mu    sync.Mutex
	lines int
	first []string
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines++
	if len(l.first) < 5 {
		l.first = append(l.first, strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (l *logTail) summary() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines, append([]string(nil), l.first...)
}
