package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server/servertest"
)

// TestWS_Auth: the upgrade is refused without a valid session (401), with a
// foreign or missing Origin on cookie auth (403), and for suspended people;
// a bearer token needs no Origin.
func TestWS_Auth(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	member := app.User(models.RoleMember, "apebi")
	c := app.Login(member)
	var cookie string
	for _, ck := range c.Cookies() {
		cookie = ck.Name + "=" + ck.Value
	}

	refused := func(t *testing.T, h http.Header, wantStatus int, wantCode string) {
		t.Helper()
		conn, resp, err := websocket.DefaultDialer.Dial(wsURL(app), h)
		if err == nil {
			conn.Close()
			t.Fatalf("upgrade accepted, want %d", wantStatus)
		}
		if resp == nil {
			t.Fatalf("no HTTP answer: %v", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != wantStatus {
			t.Fatalf("status %d, want %d", resp.StatusCode, wantStatus)
		}
		body, _ := io.ReadAll(resp.Body)
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != wantCode {
			t.Fatalf("body %s, want error code %q", body, wantCode)
		}
	}

	t.Run("ErrAnonymous", func(t *testing.T) {
		h := http.Header{}
		h.Set("Origin", app.URL)
		refused(t, h, 401, "unauthorized")
	})
	t.Run("ErrStaleCookie", func(t *testing.T) {
		h := http.Header{}
		h.Set("Origin", app.URL)
		h.Set("Cookie", "pacte_session=not-a-session")
		refused(t, h, 401, "unauthorized")
	})
	t.Run("ErrForeignOrigin", func(t *testing.T) {
		h := http.Header{}
		h.Set("Origin", "http://evil.example")
		h.Set("Cookie", cookie)
		refused(t, h, 403, "bad_origin")
	})
	t.Run("ErrNoOrigin", func(t *testing.T) {
		h := http.Header{}
		h.Set("Cookie", cookie)
		refused(t, h, 403, "bad_origin")
	})
	t.Run("ErrBadBearer", func(t *testing.T) {
		h := http.Header{}
		h.Set("Authorization", "Bearer pct_nope")
		refused(t, h, 401, "invalid_token")
	})
	t.Run("CookieWithOrigin", func(t *testing.T) {
		w := dialWS(t, app, c)
		w.subscribeLive(models.UserTopic(member.ID))
	})
	t.Run("BearerWithoutOrigin", func(t *testing.T) {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+bearerToken(t, app, member))
		w := dialHeader(t, app, h)
		w.subscribeLive(models.UserTopic(member.ID))
	})
	t.Run("SignOutClosesTheSocket", func(t *testing.T) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		w := dialWS(t, app, c)
		w.subscribeLive(models.UserTopic(u.ID))
		other := dialWS(t, app, app.Login(u)) // another browser of the same person
		other.subscribeLive(models.UserTopic(u.ID))
		if st := c.Do("DELETE", "/api/v1/session", nil, nil); st != 204 {
			t.Fatalf("sign out: %d", st)
		}
		if code := w.closed(5 * time.Second); code != 4001 {
			t.Fatalf("close code %d after signing out, want 4001", code)
		}
		other.subscribeLive("measures") // the other browser is still signed in, its socket open
	})
	t.Run("SessionEndedElsewhere", func(t *testing.T) {
		// Another instance, or "sign out everywhere", deletes the session:
		// the socket here closes at the next check.
		app.Server.LiveHub().SetSessionCheck(100 * time.Millisecond)
		defer app.Server.LiveHub().SetSessionCheck(30 * time.Second)
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		w := dialWS(t, app, c)
		w.subscribeLive(models.UserTopic(u.ID))
		h := http.Header{}
		h.Set("Authorization", "Bearer "+bearerToken(t, app, u))
		script := dialHeader(t, app, h) // a token has no session: it stays
		script.subscribeLive(models.UserTopic(u.ID))
		err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			return tx.Exec("DELETE FROM sessions WHERE user_id = ?", u.ID).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		if code := w.closed(5 * time.Second); code != 4001 {
			t.Fatalf("close code %d once the session is gone, want 4001", code)
		}
		script.subscribeLive("measures") // still open
	})
	t.Run("ErrSuspended", func(t *testing.T) {
		victim := app.User(models.RoleMember, "apebi")
		vc := app.Login(victim)
		token := bearerToken(t, app, victim)
		w := dialWS(t, app, vc)
		w.subscribeLive(models.UserTopic(victim.ID))
		mod := app.User(models.RoleModerator, "apebi")
		st := app.Login(mod).Do("PATCH", "/api/v1/users/"+itoa(victim.ID), map[string]string{"status": "suspended"}, nil)
		if st != 200 {
			t.Fatalf("suspend: %d", st)
		}
		// The open socket is closed at once…
		if code := w.closed(5 * time.Second); code != 4001 {
			t.Fatalf("close code %d, want 4001", code)
		}
		// …and neither the session nor the token opens a new one.
		h := http.Header{}
		h.Set("Origin", app.URL)
		for _, ck := range vc.Cookies() {
			h.Add("Cookie", ck.Name+"="+ck.Value)
		}
		refused(t, h, 401, "unauthorized")
		h = http.Header{}
		h.Set("Authorization", "Bearer "+token)
		refused(t, h, 401, "invalid_token")
	})
	t.Run("RoleChangeAcrossTheStore", func(t *testing.T) {
		// A change written without going through this instance's handler
		// (another instance did it) still closes the socket: the hub reads
		// user.updated from the log.
		u := app.User(models.RoleMember, "ausim")
		w := dialWS(t, app, app.Login(u))
		w.subscribeLive(models.UserTopic(u.ID))
		admin := app.User(models.RoleAdmin, "")
		role := models.RoleReviewer
		if _, err := app.Store.UpdateUser(context.Background(), admin, u.ID, models.UserChange{Role: &role}); err != nil {
			// A member of a federation may not become reviewer; try moderator.
			role = models.RoleModerator
			if _, err := app.Store.UpdateUser(context.Background(), admin, u.ID, models.UserChange{Role: &role}); err != nil {
				t.Fatalf("role change: %v", err)
			}
		}
		if code := w.closed(5 * time.Second); code != 4001 {
			t.Fatalf("close code %d, want 4001", code)
		}
	})
}

func itoa(n int64) string { return jsonNumber(n) }

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestWS_SessionExpiry: a socket whose browser session idles out is closed
// with 4001 at the next check, as a request with it would be refused; the
// socket's own messages count as activity, so someone working only through
// it (co-editing makes no request for a long while) stays signed in.
func TestWS_SessionExpiry(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	app.Server.LiveHub().SetSessionCheck(50 * time.Millisecond)
	u := app.User(models.RoleMember, "apebi")
	busy, idle := app.Login(u), app.Login(u)
	busyID := models.HashToken(sessionValue(t, busy))
	wb, wi := dialWS(t, app, busy), dialWS(t, app, idle)
	wb.subscribeLive(models.UserTopic(u.ID))
	wi.subscribeLive(models.UserTopic(u.ID))
	// 60 minutes in steps of 20: the idle socket's subscribing counted as
	// activity once (recorded at the first check), so it has been idle 40.
	for step := 0; step < 3; step++ {
		app.Clock.Advance(20 * time.Minute)
		// A message on the busy socket, then a check that records it.
		topic := []string{"measures", models.UserTopic(u.ID)}[step%2]
		wb.send(map[string]any{"type": "unsubscribe", "topic": topic})
		wb.subscribeLive(topic)
		now := app.Clock.Now()
		waitUntil(t, "the busy session's activity recorded", func() bool {
			return countRows(t, app, "sessions", "id = ? AND last_seen_at >= ?", busyID, now.Add(-time.Minute)) == 1
		})
	}
	if code := wi.closed(5 * time.Second); code != 4001 {
		t.Fatalf("close code %d for a session idle 40 minutes, want 4001", code)
	}
	wb.subscribeLive("measures") // still open
	wantStatus(t, busy.Request("GET", "/api/v1/me", nil), 200)
	wantStatus(t, idle.Request("GET", "/api/v1/me", nil), 401)
}
