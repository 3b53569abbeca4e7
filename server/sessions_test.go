package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// sessionValue is the client's current session cookie value.
func sessionValue(t *testing.T, c *servertest.Client) string {
	t.Helper()
	for _, ck := range c.Cookies() {
		if ck.Name == "pacte_session" {
			return ck.Value
		}
	}
	t.Fatal("client has no session cookie")
	return ""
}

func TestSessions_Cookie(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		r := script(app).Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword})
		wantStatus(t, r, 200)
		ck := setCookie(r, "pacte_session")
		if ck == nil {
			t.Fatal("no session cookie")
		}
		line := ""
		for _, l := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(l, "pacte_session=") {
				line = l
			}
		}
		if !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || strings.Contains(strings.ToLower(line), "domain=") {
			t.Errorf("session cookie %q: want HttpOnly, Path=/, no Domain", line)
		}
		if !strings.Contains(line, "SameSite=Lax") {
			t.Errorf("session cookie %q: want SameSite=Lax", line)
		}
		if ck.Secure {
			t.Errorf("Secure cookie over plain http would never come back: %q", line)
		}
		if len(ck.Value) < 22 { // 128 bits in base64
			t.Errorf("session token %q is shorter than 128 bits", ck.Value)
		}
		// Stored hashed: the cookie value is nowhere in the database.
		if n := countRows(t, app, "sessions", "id = ?", ck.Value); n != 0 {
			t.Error("the session id is the cookie value in clear")
		}
		if n := countRows(t, app, "sessions", "user_id = ?", u.ID); n != 1 {
			t.Errorf("%d sessions", n)
		}
		if h := r.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS over plain http: %q", h)
		}
	})
}

func TestSessions_HTTPSCookie(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		r := script(app).Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword})
		wantStatus(t, r, 200)
		ck := setCookie(r, "__Host-pacte_session")
		if ck == nil {
			t.Fatalf("no __Host- session cookie in %v", r.Header.Values("Set-Cookie"))
		}
		if setCookie(r, "pacte_session") != nil {
			t.Error("a plain session cookie too")
		}
		if !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("__Host- cookie %+v: want Secure, HttpOnly, Path=/, no Domain", ck)
		}
		if h := r.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
			t.Errorf("HSTS %q", h)
		}
		// The cookie works (sent by hand: a jar keeps Secure cookies for https).
		c := withCookie(app, "__Host-pacte_session", ck.Value)
		wantStatus(t, c.Request("GET", "/api/v1/me", nil), 200)
		// And every other cookie the server sets is Secure too.
		r = app.Anonymous().Raw("GET", "/login", "", nil)
		for _, l := range r.Header.Values("Set-Cookie") {
			if !strings.Contains(l, "Secure") {
				t.Errorf("cookie without Secure over https: %q", l)
			}
		}
		wantStatus(t, r, 200)
		if h := r.Header.Get("Strict-Transport-Security"); h == "" {
			t.Error("no HSTS on pages")
		}
	}, servertest.WithHTTPS())
}

// Login rotates the session: the cookie from before is dead after.
func TestSessions_LoginRotates(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		before := sessionValue(t, c)
		var out struct {
			CSRF string `json:"csrf_token"`
		}
		if st := c.Do("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword}, &out); st != 200 {
			t.Fatalf("second login: %d", st)
		}
		after := sessionValue(t, c)
		if after == before {
			t.Fatal("login kept the old session cookie")
		}
		if out.CSRF == c.CSRF {
			t.Error("login kept the old CSRF token")
		}
		c.CSRF = out.CSRF
		wantStatus(t, c.Request("GET", "/api/v1/me", nil), 200)
		wantError(t, withCookie(app, "pacte_session", before).Request("GET", "/api/v1/me", nil), 401, "")
		if n := countRows(t, app, "sessions", "user_id = ?", u.ID); n != 1 {
			t.Errorf("%d sessions after rotation, want 1", n)
		}

		// Through the login page too.
		page := browser(t, app)
		r := postForm(page, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {page.CSRF}})
		wantStatus(t, r, 303)
		first := sessionValue(t, page)
		page.CSRF = csrfFromHTML(t, getHTML(page, "/profile").Body)
		r = postForm(page, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {page.CSRF}})
		wantStatus(t, r, 303)
		if sessionValue(t, page) == first {
			t.Error("the login page kept the old session")
		}
		wantStatus(t, withCookie(app, "pacte_session", first).Request("GET", "/api/v1/me", nil), 401)
	})
}

// Logout ends the session on the server: the old cookie replayed is refused.
func TestSessions_Logout(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		old := sessionValue(t, c)
		wantStatus(t, c.Request("DELETE", "/api/v1/session", nil), 204)
		wantError(t, withCookie(app, "pacte_session", old).Request("GET", "/api/v1/me", nil), 401, "")

		// The logout form.
		page := app.Login(u)
		old = sessionValue(t, page)
		page.CSRF = csrfFromHTML(t, getHTML(page, "/profile").Body)
		r := postForm(page, "/logout", url.Values{"csrf_token": {page.CSRF}})
		wantStatus(t, r, 303)
		if loc := r.Header.Get("Location"); loc != "/login" {
			t.Errorf("logout redirects to %q", loc)
		}
		wantStatus(t, withCookie(app, "pacte_session", old).Request("GET", "/api/v1/me", nil), 401)
		if n := countRows(t, app, "sessions", "user_id = ?", u.ID); n != 0 {
			t.Errorf("%d sessions left after logging out twice", n)
		}
		// A page with the dead cookie asks to sign in again.
		r = getHTML(withCookie(app, "pacte_session", old), "/profile")
		if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("profile with a dead cookie: %d → %q", r.Status, r.Header.Get("Location"))
		}
	})
}

func TestSessions_IdleExpiry(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		active := app.Login(u)
		idle := app.Login(u)
		idleCookie := sessionValue(t, idle)
		for i := 0; i < 3; i++ { // 60 minutes of activity every 20
			app.Clock.Advance(20 * time.Minute)
			wantStatus(t, active.Request("GET", "/api/v1/me", nil), 200)
		}
		wantError(t, withCookie(app, "pacte_session", idleCookie).Request("GET", "/api/v1/me", nil), 401, "")
		// Just under the limit is fine, just over is not.
		c := app.Login(u)
		app.Clock.Advance(29 * time.Minute)
		wantStatus(t, c.Request("GET", "/api/v1/me", nil), 200)
		app.Clock.Advance(30*time.Minute + time.Second)
		wantStatus(t, c.Request("GET", "/api/v1/me", nil), 401)
	})
}

func TestSessions_AbsoluteExpiry(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			app.Clock.Advance(20 * time.Minute)
			if r := c.Request("GET", "/api/v1/me", nil); r.Status != 200 {
				t.Fatalf("after %v of activity: %d", elapsed+20*time.Minute, r.Status)
			}
		}
		app.Clock.Advance(25 * time.Minute) // 12 h 5 min since sign-in, 25 min idle
		wantError(t, c.Request("GET", "/api/v1/me", nil), 401, "")
		if n := countRows(t, app, "sessions", "user_id = ?", u.ID); n != 0 {
			t.Errorf("expired session still stored (%d)", n)
		}
	})
}

// A password change offers to end the other sessions; the current one stays.
func TestSessions_PasswordChange(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		for _, endOthers := range []bool{true, false} {
			u := app.User(models.RoleMember, "apebi")
			here, there := app.Login(u), app.Login(u)
			here.CSRF = csrfFromHTML(t, getHTML(here, "/profile").Body)
			next := "a brand new passphrase " + u.Name
			form := url.Values{"csrf_token": {here.CSRF}, "current_password": {servertest.DefaultPassword},
				"new_password": {next}, "new_password_confirm": {next}}
			if endOthers {
				form.Set("end_other_sessions", "on")
			}
			// Wrong current password: nothing changes.
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set("current_password", "not my password")
			r := postForm(here, "/profile/password", bad)
			if r.Status != 422 || !strings.Contains(string(r.Body), `class="field-error"`) {
				t.Errorf("wrong current password: %d", r.Status)
			}
			r = postForm(here, "/profile/password", form)
			wantStatus(t, r, 303)
			wantStatus(t, here.Request("GET", "/api/v1/me", nil), 200)
			if endOthers {
				wantStatus(t, there.Request("GET", "/api/v1/me", nil), 401)
			} else {
				wantStatus(t, there.Request("GET", "/api/v1/me", nil), 200)
			}
			wantStatus(t, script(app).Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 401)
			wantStatus(t, script(app).Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": next}), 200)
		}
	})
}

// Two instances on one PostgreSQL database: a session started on one works
// on the other, a logout on one ends it on both, and failed sign-ins count
// on both.
func TestSessions_SharedAcrossInstances(t *testing.T) {
	if !storetestPostgres(t) {
		return
	}
	t.Parallel()
	a := servertest.New(t, models.Postgres)
	b := servertest.NewOnURL(t, a.DatabaseURL)
	u := a.User(models.RoleMember, "apebi")
	c := a.Login(u)
	cookie := sessionValue(t, c)
	wantStatus(t, withCookie(b, "pacte_session", cookie).Request("GET", "/api/v1/me", nil), 200)
	wantStatus(t, c.Request("DELETE", "/api/v1/session", nil), 204)
	wantStatus(t, withCookie(b, "pacte_session", cookie).Request("GET", "/api/v1/me", nil), 401)
	for i := 0; i < models.MaxFailuresPerKey; i++ {
		app := a
		if i%2 == 1 {
			app = b
		}
		wantStatus(t, signIn(app, u.Email, "wrong password", ""), 401)
	}
	wantError(t, signIn(a, u.Email, servertest.DefaultPassword, ""), 429, "too_many_attempts")
	wantError(t, signIn(b, u.Email, servertest.DefaultPassword, ""), 429, "too_many_attempts")
}
