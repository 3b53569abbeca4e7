package server_test

import (
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// TestSessions_LifetimesAreSettings: the session lifetimes are settings
// (PACTE_SESSION_IDLE, PACTE_SESSION_ABSOLUTE) that HTTP, the websocket
// and the cookie read alike: with a 2-minute idle timeout, a request after
// 3 quiet minutes is 401 and the session's websocket closes 4001; a
// session in use ends at its absolute lifetime; the cookie lives no longer.
func TestSessions_LifetimesAreSettings(t *testing.T) {
	app := servertest.New(t, models.SQLite, servertest.WithStore(func(s *models.Store) {
		s.Sessions = models.SessionLifetimes{Idle: 2 * time.Minute, Absolute: 10 * time.Minute}
	}))
	app.Server.LiveHub().SetSessionCheck(50 * time.Millisecond)
	u := app.User(models.RoleMember, "apebi")

	r := script(app).Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword})
	wantStatus(t, r, 200)
	if ck := setCookie(r, "pacte_session"); ck == nil || ck.MaxAge != 600 {
		t.Errorf("session cookie %+v: want Max-Age 600, the absolute lifetime", ck)
	}

	quiet := app.Login(u)
	// A socket that sends nothing: messages count as the session's
	// activity (TestWS_SessionExpiry), silence does not.
	ws := dialWS(t, app, quiet)
	wantStatus(t, quiet.Request("GET", "/api/v1/me", nil), 200)
	app.Clock.Advance(3 * time.Minute)
	if code := ws.closed(5 * time.Second); code != 4001 {
		t.Fatalf("websocket of a session idle 3 minutes closed with %d, want 4001", code)
	}
	wantStatus(t, quiet.Request("GET", "/api/v1/me", nil), 401)

	busy := app.Login(u)
	for range 9 { // 9 × 61 s: used every minute, still within 10 minutes
		app.Clock.Advance(61 * time.Second)
		wantStatus(t, busy.Request("GET", "/api/v1/me", nil), 200)
	}
	app.Clock.Advance(61 * time.Second)
	wantStatus(t, busy.Request("GET", "/api/v1/me", nil), 401)
}
