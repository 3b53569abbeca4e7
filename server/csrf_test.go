package server_test

import (
	"net/url"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

func TestCSRF_CookieRequests(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		token := c.CSRF
		post := func(headers map[string]string, csrf string) *servertest.Response {
			t.Helper()
			c.CSRF = csrf
			defer func() { c.CSRF = token }()
			for k, v := range headers {
				c.Headers[k] = v
			}
			defer func() {
				for k := range headers {
					delete(c.Headers, k)
				}
			}()
			return c.Request("POST", "/api/v1/tokens", map[string]string{"name": "csrf check"})
		}
		t.Run("ErrNoToken", func(t *testing.T) {
			wantError(t, post(nil, ""), 403, "csrf_failed")
		})
		t.Run("ErrWrongToken", func(t *testing.T) {
			wrong := "x" + token[1:]
			if wrong == token { // one token in 64 starts with x
				wrong = "y" + token[1:]
			}
			wantError(t, post(nil, wrong), 403, "csrf_failed")
			other := app.Login(app.User(models.RoleMember, "apebi"))
			wantError(t, post(nil, other.CSRF), 403, "csrf_failed")
		})
		t.Run("ErrCrossSiteEvenWithToken", func(t *testing.T) {
			wantError(t, post(map[string]string{"Sec-Fetch-Site": "cross-site"}, token), 403, "csrf_failed")
		})
		t.Run("ErrSameSiteNeedsToken", func(t *testing.T) {
			wantError(t, post(map[string]string{"Sec-Fetch-Site": "same-site"}, ""), 403, "csrf_failed")
		})
		t.Run("ErrTokenInURL", func(t *testing.T) {
			// Tokens never travel in URLs, so one there does not count.
			c.CSRF = ""
			r := c.Raw("POST", "/profile/tokens?csrf_token="+url.QueryEscape(token), "application/x-www-form-urlencoded", strings.NewReader("token_name=from+url"))
			c.CSRF = token
			wantStatus(t, r, 403)
		})
		t.Run("OKToken", func(t *testing.T) {
			wantStatus(t, post(nil, token), 201)
			wantStatus(t, post(map[string]string{"Sec-Fetch-Site": "same-site"}, token), 201)
		})
		t.Run("OKSameOriginWithoutToken", func(t *testing.T) {
			wantStatus(t, post(map[string]string{"Sec-Fetch-Site": "same-origin"}, ""), 201)
		})
		t.Run("OKFormField", func(t *testing.T) {
			r := postForm(c, "/profile/tokens", url.Values{"csrf_token": {token}, "token_name": {"form"}})
			wantStatus(t, r, 201)
			r = postForm(c, "/profile/tokens", url.Values{"token_name": {"form"}})
			wantStatus(t, r, 403)
		})
		if n := countRows(t, app, "api_tokens", "user_id = ?", u.ID); n != 4 {
			t.Errorf("%d tokens created, want 4 (refused requests create none)", n)
		}
	})
}

func TestCSRF_NoCookieNoToken(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		// A script signing in carries no cookie and needs no token.
		wantStatus(t, script(app).Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 200)
		// Nor does a JSON request from a client that holds the anonymous
		// cookie but no session: no form can send JSON (docs/API.md).
		b := app.Anonymous()
		getHTML(b, "/login")
		wantStatus(t, b.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 200)
		// Once signed in, its JSON requests need the token.
		wantError(t, b.Request("POST", "/api/v1/tokens", map[string]string{"name": "no token"}), 403, "csrf_failed")
		// Cross-site is refused whatever it carries.
		s := script(app)
		s.Headers["Sec-Fetch-Site"] = "cross-site"
		wantError(t, s.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 403, "csrf_failed")

		// Bearer requests need none, even alongside a cookie.
		c := app.Login(u)
		var tok tokenOut
		c.Do("POST", "/api/v1/tokens", map[string]string{"name": "b"}, &tok)
		c.CSRF = ""
		c.Bearer = tok.Token
		wantStatus(t, c.Request("PATCH", "/api/v1/me", map[string]string{"name": "By Bearer"}), 200)
	})
}

func TestCSRF_LoginForm(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		b := browser(t, app)
		form := url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}}
		wantStatus(t, postForm(b, "/login", form), 403)
		// Another browser's token does not fit this one's cookie.
		other := browser(t, app)
		form.Set("csrf_token", other.CSRF)
		wantStatus(t, postForm(b, "/login", form), 403)
		form.Set("csrf_token", b.CSRF)
		b.Headers["Sec-Fetch-Site"] = "cross-site"
		wantStatus(t, postForm(b, "/login", form), 403)
		delete(b.Headers, "Sec-Fetch-Site")
		r := postForm(b, "/login", form)
		wantStatus(t, r, 303)
		if r.Header.Get("Location") != "/" {
			t.Errorf("login redirects to %q", r.Header.Get("Location"))
		}
		// The page never puts the token in a link.
		page := getHTML(b, "/profile")
		if strings.Contains(string(page.Body), "csrf_token=") {
			t.Error("a link carries the CSRF token")
		}
	})
}
