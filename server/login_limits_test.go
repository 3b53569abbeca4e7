package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

func signIn(app *servertest.App, email, password, xff string) *servertest.Response {
	c := script(app)
	if xff != "" {
		c.Headers["X-Forwarded-For"] = xff
	}
	return c.Request("POST", "/api/v1/session", map[string]string{"email": email, "password": password})
}

// 50 wrong passwords for one account: refused with 429 after the threshold,
// even when every request claims another address; the owner gets in after
// the window.
func TestLoginLimits_PerAccount(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		for i := 1; i <= 50; i++ {
			r := signIn(app, u.Email, fmt.Sprintf("wrong password %d", i), fmt.Sprintf("198.51.100.%d", i))
			want, code := 401, "invalid_credentials"
			if i > models.MaxFailuresPerKey {
				want, code = 429, "too_many_attempts"
			}
			if r.Status != want || r.ErrorCode() != code {
				t.Fatalf("attempt %d: %d %s, want %d %s", i, r.Status, r.ErrorCode(), want, code)
			}
		}
		// Locked: even the right password waits.
		wantError(t, signIn(app, u.Email, servertest.DefaultPassword, ""), 429, "too_many_attempts")
		// The address is not blamed for one account's failures alone, and
		// other accounts still get in.
		other := app.User(models.RoleMember, "ausim")
		wantStatus(t, signIn(app, other.Email, servertest.DefaultPassword, ""), 200)
		// The login form says the same.
		b := browser(t, app)
		r := postForm(b, "/login", map[string][]string{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {b.CSRF}})
		if r.Status != 429 || !strings.Contains(string(r.Body), `class="form-error"`) {
			t.Errorf("login form while locked: %d", r.Status)
		}

		app.Clock.Advance(models.LoginWindow + time.Minute)
		wantStatus(t, signIn(app, u.Email, servertest.DefaultPassword, ""), 200)
		// A success clears the account's count: one more mistake is a 401.
		wantError(t, signIn(app, u.Email, "wrong again", ""), 401, "invalid_credentials")

		// Without trusted proxies, X-Forwarded-For is not believed.
		logs := app.Logs.String()
		if strings.Contains(logs, "198.51.100.") {
			t.Error("X-Forwarded-For from an untrusted peer reached the logs as the client address")
		}
	})
}

// Behind a trusted proxy, X-Forwarded-For is the client address, and the
// per-address limit holds across accounts.
func TestLoginLimits_PerAddressBehindProxy(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		const attacker, neighbour = "203.0.113.7", "203.0.113.8"
		for i := 1; i <= models.MaxFailuresPerIP; i++ {
			r := signIn(app, fmt.Sprintf("guess%d@example.ma", i), "some password", attacker)
			if r.Status != 401 {
				t.Fatalf("guess %d: %d", i, r.Status)
			}
		}
		wantError(t, signIn(app, u.Email, servertest.DefaultPassword, attacker), 429, "too_many_attempts")
		wantError(t, signIn(app, "fresh@example.ma", "some password", "10.9.9.9, "+attacker), 429, "too_many_attempts")
		wantStatus(t, signIn(app, u.Email, servertest.DefaultPassword, neighbour), 200)
		if !strings.Contains(app.Logs.String(), "ip="+attacker) {
			t.Error("the client address from X-Forwarded-For is not the one logged")
		}
		app.Clock.Advance(models.LoginWindow + time.Minute)
		wantStatus(t, signIn(app, u.Email, servertest.DefaultPassword, attacker), 200)
	}, servertest.WithTrustedProxies("127.0.0.1"))
}

// TestLoginLimits_UnknownEmailCostsTheSame: an unknown email costs the
// server as much password hashing as a wrong password, so the answer time
// tells nothing about which accounts exist. The work is counted
// (Store.PasswordWork), not timed: a clock fails on a busy machine.
func TestLoginLimits_UnknownEmailCostsTheSame(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		work := func(email string) int64 {
			before := app.Store.PasswordWork()
			if r := signIn(app, email, "not the password", ""); r.Status != 401 {
				t.Fatalf("%s: %d", email, r.Status)
			}
			return app.Store.PasswordWork() - before
		}
		wrong, unknown := work(u.Email), work("nobody@example.ma")
		if wrong == 0 || unknown != wrong {
			t.Errorf("a wrong password costs %d, an unknown email %d: accounts can be told apart", wrong, unknown)
		}
	})
}
