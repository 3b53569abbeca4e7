package server_test

import (
	"net/url"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// A script with a cookie jar reads /healthz and a JSON 401, then accepts an
// invitation: no answer but an HTML page with a form sets the anonymous CSRF
// cookie, and a JSON request without a session cookie needs no token.
func TestCSRF_AnonymousCookieOnlyOnPages(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		inv := invite(t, mod, "jar.script@example.ma", app.Org("apebi").ID, models.RoleMember)

		jar := app.Anonymous()
		for _, path := range []string{"/healthz", "/api/v1/me", "/api/v1/organizations", "/nowhere"} {
			r := jar.Request("GET", path, nil)
			if ck := setCookie(r, "pacte_csrf"); ck != nil {
				t.Errorf("GET %s (%d) set the anonymous CSRF cookie", path, r.Status)
			}
		}
		if ck := setCookie(jar.Raw("HEAD", "/healthz", "", nil), "pacte_csrf"); ck != nil {
			t.Error("HEAD /healthz set the anonymous CSRF cookie")
		}
		r := jar.Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": "a long passphrase for the script"})
		wantStatus(t, r, 201)

		// An HTML page with a form does set it, and a form needs it.
		b := app.Anonymous()
		page := getHTML(b, "/login")
		if setCookie(page, "pacte_csrf") == nil {
			t.Error("the sign-in page did not set the anonymous CSRF cookie")
		}
		wantStatus(t, postForm(b, "/language", url.Values{"locale": {"ar"}, "next": {"/login"}}), 403)
		b.CSRF = csrfFromHTML(t, page.Body)
		wantStatus(t, postForm(b, "/language", url.Values{"csrf_token": {b.CSRF}, "locale": {"ar"}, "next": {"/login"}}), 303)

		// Cross-site JSON is still refused, cookie or not.
		s := script(app)
		s.Headers["Sec-Fetch-Site"] = "cross-site"
		wantError(t, s.Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": "another long passphrase"}), 403, "csrf_failed")
		s = script(app)
		s.Headers["Origin"] = "http://evil.example"
		wantError(t, s.Request("POST", "/api/v1/session", map[string]string{"email": "x@example.ma", "password": "whatever it is"}), 403, "csrf_failed")
	})
}

// Login CSRF: a cookie-less sign-in form posted from another site (Origin,
// or Referer without Origin, or neither) signs nobody in; from this site it
// does.
func TestCSRF_LoginFormOrigin(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		post := func(headers map[string]string) *servertest.Response {
			t.Helper()
			c := script(app)
			for k, v := range headers {
				c.Headers[k] = v
			}
			return postForm(c, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}})
		}
		for name, h := range map[string]map[string]string{
			"foreign Origin":              {"Origin": "http://evil.example"},
			"null Origin":                 {"Origin": "null"},
			"same-site but other origin":  {"Origin": strings.Replace(app.URL, "127.0.0.1", "localhost", 1)},
			"foreign Referer, no Origin":  {"Referer": "http://evil.example/page"},
			"neither Origin nor Referer":  {},
			"foreign Origin, same-site":   {"Origin": "http://evil.example", "Sec-Fetch-Site": "same-site"},
			"foreign Origin, cross-site":  {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
			"our Referer, foreign Origin": {"Origin": "http://evil.example", "Referer": app.URL + "/login"},
		} {
			r := post(h)
			if r.Status != 403 || setCookie(r, "pacte_session") != nil {
				t.Errorf("%s: %d, session cookie %v; want 403 and no session", name, r.Status, setCookie(r, "pacte_session") != nil)
			}
		}
		for name, h := range map[string]map[string]string{
			"our Origin":             {"Origin": app.URL},
			"our Referer, no Origin": {"Referer": app.URL + "/login"},
			"same-origin fetch site": {"Sec-Fetch-Site": "same-origin"},
		} {
			r := post(h)
			if r.Status != 303 || setCookie(r, "pacte_session") == nil {
				t.Errorf("%s: %d; want 303 and a session", name, r.Status)
			}
		}
	})
}

// A script whose jar still holds an ended session signs in again without a
// token; the ended cookie carries no authority.
func TestCSRF_JSONSignInWithEndedSession(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		stale := withCookie(app, "pacte_session", "an-ended-session")
		r := stale.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword})
		wantStatus(t, r, 200)
		// But an unsafe JSON request riding on a live session needs the token.
		c := app.Login(u)
		c.CSRF = ""
		wantError(t, c.Request("POST", "/api/v1/tokens", map[string]string{"name": "x"}), 403, "csrf_failed")
	})
}
