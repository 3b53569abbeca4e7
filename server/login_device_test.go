package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// Lockout is no denial of service: strangers' wrong passwords lock the
// account for strangers only; the owner's browser, which signed in before
// and holds a device cookie, still signs in with the right password, within
// its own small budget of failures. The limit says how long it lasts.
func TestLoginLimits_DeviceCookieKeepsOwnerIn(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		other := app.User(models.RoleMember, "apebi")
		// The owner signed in from this browser before, then signed out.
		owner := app.LoginWithPassword(u)
		if setCookie(owner.Request("DELETE", "/api/v1/session", nil), "pacte_session") == nil {
			t.Fatal("sign-out did not clear the session")
		}
		hasDevice := false
		for _, ck := range owner.Cookies() {
			hasDevice = hasDevice || ck.Name == "pacte_device"
		}
		if !hasDevice {
			t.Fatal("signing in gave the browser no device cookie")
		}
		owner.CSRF = ""
		// A browser that signed in to another account.
		elsewhere := app.LoginWithPassword(other)
		elsewhere.Request("DELETE", "/api/v1/session", nil)
		elsewhere.CSRF = ""

		// Strangers, from many addresses, lock the account for strangers.
		for i := 1; i <= models.MaxFailuresPerKey+3; i++ {
			signIn(app, u.Email, fmt.Sprintf("guess %d", i), "")
		}
		r := signIn(app, u.Email, servertest.DefaultPassword, "")
		wantError(t, r, 429, "too_many_attempts")
		if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("429 without a useful Retry-After: %q", ra)
		}
		if !strings.Contains(string(r.Body), "15 minutes") {
			t.Errorf("the 429 does not say how long: %s", r.Body)
		}
		// A made-up device cookie, or one bound to another account, is a stranger.
		wantError(t, withCookie(app, "pacte_device", "made-up").Request("POST", "/api/v1/session",
			map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 429, "too_many_attempts")
		wantError(t, elsewhere.Request("POST", "/api/v1/session",
			map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 429, "too_many_attempts")

		// The owner's browser gets in.
		r = owner.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword})
		wantStatus(t, r, 200)
		var me struct {
			CSRF string `json:"csrf_token"`
		}
		r.JSON(&me)
		owner.CSRF = me.CSRF
		wantStatus(t, owner.Request("DELETE", "/api/v1/session", nil), 204)
		owner.CSRF = ""

		// Its own budget is small: after 5 wrong passwords it waits too.
		for i := 1; i <= models.MaxFailuresPerDevice; i++ {
			wantError(t, owner.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": "owner typo"}), 401, "invalid_credentials")
		}
		wantError(t, owner.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword}), 429, "too_many_attempts")

		// The sign-in form says when a limit applies, in the page's language.
		b := browser(t, app)
		page := postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {u.Email}, "password": {servertest.DefaultPassword}})
		if page.Status != 429 || !strings.Contains(string(page.Body), "réessayez dans 15 minutes") {
			t.Errorf("sign-in page while limited: %d %s", page.Status, untranslated(page.Body))
		}
		app.Clock.Advance(models.LoginWindow + time.Minute)
		wantStatus(t, signIn(app, u.Email, servertest.DefaultPassword, ""), 200)
	})
}

// An empty sign-in form asks for the email (and the password) beside the
// field; it does not say "incorrect", and counts no failure.
func TestLoginForm_EmptyAsksForEmail(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		b := browser(t, app)
		before := countRows(t, app, "login_failures", "1 = 1")
		r := postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {"  "}, "password": {""}})
		body := string(r.Body)
		if r.Status != 422 || !strings.Contains(body, "Saisissez votre adresse e-mail.") || !strings.Contains(body, "Saisissez votre mot de passe.") {
			t.Errorf("empty form: %d", r.Status)
		}
		if strings.Contains(body, "incorrect") {
			t.Error("an empty form is called incorrect")
		}
		i := strings.Index(body, `id="email"`)
		if i < 0 || !strings.Contains(body[i:i+strings.Index(body[i:], ">")], `aria-invalid="true" autofocus`) {
			t.Error("the email field is not marked and focused")
		}
		r = postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {u.Email}})
		if r.Status != 422 || !strings.Contains(string(r.Body), u.Email) || strings.Contains(string(r.Body), "Saisissez votre adresse e-mail.") {
			t.Errorf("form without a password: %d", r.Status)
		}
		if n := countRows(t, app, "login_failures", "1 = 1"); n != before {
			t.Errorf("empty forms counted %d failures", n-before)
		}
	})
}

// The current-password check of /profile/password is limited like a
// sign-in: a borrowed session cannot guess at will.
func TestPasswordChange_CurrentPasswordLimited(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		c.CSRF = csrfFromHTML(t, getHTML(c, "/profile").Body)
		next := "a brand new passphrase for " + u.Name
		form := func(current string) url.Values {
			return url.Values{"csrf_token": {c.CSRF}, "current_password": {current}, "new_password": {next}, "new_password_confirm": {next}}
		}
		for i := 1; i <= models.MaxFailuresPerKey; i++ {
			r := postForm(c, "/profile/password", form(fmt.Sprintf("guess %d", i)))
			if r.Status != 422 {
				t.Fatalf("guess %d: %d", i, r.Status)
			}
		}
		r := postForm(c, "/profile/password", form(servertest.DefaultPassword))
		if r.Status != 429 || !strings.Contains(string(r.Body), "réessayez dans") {
			t.Errorf("after %d wrong current passwords: %d, want 429 saying when", models.MaxFailuresPerKey, r.Status)
		}
		if !strings.Contains(string(r.Body), `class="form-error"`) {
			t.Error("the limit is not shown on the form")
		}
		app.Clock.Advance(models.LoginWindow + time.Minute)
		c2 := app.Login(u) // the session above went idle while the clock moved
		c2.CSRF = csrfFromHTML(t, getHTML(c2, "/profile").Body)
		c = c2
		wantStatus(t, postForm(c, "/profile/password", form(servertest.DefaultPassword)), 303)
	})
}

// "Sign out my other sessions" says that API tokens keep working, and the
// form offers to revoke them too; the flash says which happened.
func TestPasswordChange_RevokeTokensToo(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		here := app.Login(u)
		var tok tokenOut
		if st := here.Do("POST", "/api/v1/tokens", map[string]string{"name": "script"}, &tok); st != 201 {
			t.Fatalf("token: %d", st)
		}
		bearer := script(app)
		bearer.Bearer = tok.Token
		there := app.Login(u)
		here.CSRF = csrfFromHTML(t, getHTML(here, "/profile").Body)
		pw := servertest.DefaultPassword
		change := func(extra ...string) string {
			t.Helper()
			next := "passphrase number " + fmt.Sprint(len(extra)) + " for " + u.Name
			f := url.Values{"csrf_token": {here.CSRF}, "current_password": {pw}, "new_password": {next}, "new_password_confirm": {next}}
			for _, k := range extra {
				f.Set(k, "on")
			}
			wantStatus(t, postForm(here, "/profile/password", f), 303)
			pw = next
			return string(getHTML(here, "/profile").Body)
		}
		page := change("end_other_sessions")
		if !strings.Contains(page, "vos jetons d&#39;API restent valides") {
			t.Errorf("the flash does not say the tokens still work: %s", untranslated([]byte(page)))
		}
		wantStatus(t, there.Request("GET", "/api/v1/me", nil), 401)
		wantStatus(t, bearer.Request("GET", "/api/v1/me", nil), 200)
		if !strings.Contains(page, `name="revoke_tokens"`) {
			t.Error("the password form does not offer to revoke tokens")
		}

		page = change("end_other_sessions", "revoke_tokens")
		if !strings.Contains(page, "vos jetons d&#39;API révoqués") {
			t.Error("the flash does not say the tokens were revoked")
		}
		wantError(t, bearer.Request("GET", "/api/v1/me", nil), 401, "invalid_token")
		wantStatus(t, here.Request("GET", "/api/v1/me", nil), 200)
	})
}
