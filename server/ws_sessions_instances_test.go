package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server"
	"pacte/server/servertest"
)

// clockedInstance starts one more Pacte instance on an existing PostgreSQL
// database, as a second machine behind the load balancer would, on the
// clock given, so that several instances can be moved forward together
// (newInstance gives each its own).
func clockedInstance(t *testing.T, databaseURL string, clock *servertest.Clock) *servertest.App {
	t.Helper()
	logs := &servertest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := models.Open(context.Background(), models.Options{DatabaseURL: databaseURL, DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	store.Now = clock.Now
	ts := httptest.NewUnstartedServer(nil)
	console := &servertest.LogBuffer{}
	srv, err := server.New(server.Config{BaseURL: "http://" + ts.Listener.Addr().String(), Logger: logger,
		Console: console, MailDir: t.TempDir()}, store)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := srv.Start(context.Background(), server.StartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		store.Close()
	})
	return &servertest.App{T: t, Store: store, Server: srv, HTTP: ts, URL: ts.URL, Logs: logs, Console: console, Engine: models.Postgres, Clock: clock}
}

// sameSession is a client of another instance holding the same session
// cookie: the same browser, its next request balanced elsewhere.
func sameSession(t *testing.T, on *servertest.App, c *servertest.Client) *servertest.Client {
	t.Helper()
	out := on.Anonymous()
	out.CSRF = c.CSRF
	v := sessionValue(t, c)
	base, err := url.Parse(on.URL)
	if err != nil {
		t.Fatal(err)
	}
	out.HTTP.Jar.SetCookies(base, []*http.Cookie{{Name: on.Server.SessionCookieName(), Value: v, Path: "/"}})
	return out
}

// TestWS_SessionsEndOnEveryInstance: two instances on one PostgreSQL. One
// browser has tabs open on both (the balancer sent its sockets to each);
// signing out in one tab closes every tab of that session, here at once and
// on the other instance at its next check, while the person's other
// session stays open. Then expiry, and erasure, close sockets on both.
func TestWS_SessionsEndOnEveryInstance(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewPostgresSchema(t)
	clock := &servertest.Clock{}
	a, b := clockedInstance(t, dbURL, clock), clockedInstance(t, dbURL, clock)
	a.Server.LiveHub().SetSessionCheck(50 * time.Millisecond)
	b.Server.LiveHub().SetSessionCheck(50 * time.Millisecond)
	u := a.User(models.RoleMember, "apebi")
	topic := models.UserTopic(u.ID)

	browserOne := a.Login(u)
	tabs := []*wsClient{dialWS(t, a, browserOne), dialWS(t, a, browserOne), dialWS(t, b, sameSession(t, b, browserOne))}
	other := b.Login(u)
	otherTab := dialWS(t, b, other)
	for _, w := range append(tabs, otherTab) {
		w.subscribeLive(topic)
	}
	wantStatus(t, browserOne.Request("DELETE", "/api/v1/session", nil), 204)
	for i, w := range tabs {
		if code := w.closed(5 * time.Second); code != 4001 {
			t.Errorf("tab %d of the signed-out session closed with %d, want 4001", i, code)
		}
	}
	otherTab.subscribeLive("measures") // still open
	wantStatus(t, other.Request("GET", "/api/v1/me", nil), 200)

	// Expiry: 13 hours later (absolute lifetime 12 h) on both instances.
	onA := dialWS(t, a, other)
	onA.subscribeLive(topic)
	clock.Advance(13 * time.Hour)
	for name, w := range map[string]*wsClient{"on A": onA, "on B": otherTab} {
		if code := w.closed(5 * time.Second); code != 4001 {
			t.Errorf("the expired session's socket %s closed with %d, want 4001", name, code)
		}
	}
	wantStatus(t, other.Request("GET", "/api/v1/me", nil), 401)

	// Erasure through A closes the person's sockets on B.
	v := a.User(models.RoleMember, "mnc")
	vb := b.LoginWithPassword(v)
	wv := dialWS(t, b, vb)
	wv.subscribeLive(models.UserTopic(v.ID))
	va := sameSession(t, a, vb)
	wantStatus(t, va.Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword}), 202)
	if code := wv.closed(5 * time.Second); code != 4001 {
		t.Errorf("the erased person's socket on B closed with %d, want 4001", code)
	}
}
