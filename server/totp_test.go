package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pacte/i18n"
	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

var (
	totpSecretRe   = regexp.MustCompile(`data-totp-secret>([A-Z2-7 ]+)</code>`)
	totpURIRe      = regexp.MustCompile(`data-totp-uri>([^<]+)</code>`)
	recoveryCodeRe = regexp.MustCompile(`<code class="secret">([a-z0-9]{5}-[a-z0-9]{5})</code>`)
	pendingRe      = regexp.MustCompile(`name="pending" value="([^"]+)"`)
)

// requireTOTP is the deployment setting that makes the second factor
// compulsory for the staff roles.
func requireTOTP(roles ...string) servertest.Option {
	return servertest.WithConfig(func(c *server.Config) { c.RequireTOTPRoles = roles })
}

// totpCode is what the person's app shows now, by the server's clock.
func totpCode(t *testing.T, app *servertest.App, secret string) string {
	t.Helper()
	code, err := models.TOTPCodeFor(secret, app.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// nextTOTPCode waits (on the injected clock) for the next time step, whose
// code has not been used yet.
func nextTOTPCode(t *testing.T, app *servertest.App, secret string) string {
	t.Helper()
	app.Clock.Advance(models.TOTPPeriod * time.Second)
	return totpCode(t, app, secret)
}

// enrolTOTP turns the second factor on through the profile forms, as a
// person does, and returns the secret and the recovery codes shown.
func enrolTOTP(t *testing.T, app *servertest.App, c *servertest.Client) (string, []string) {
	t.Helper()
	r := postForm(c, "/profile/totp/setup", url.Values{"csrf_token": {c.CSRF}})
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/profile") {
		t.Fatalf("setup: %d %s", r.Status, r.Header.Get("Location"))
	}
	page := getHTML(c, "/profile")
	m := totpSecretRe.FindSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no secret on the profile: %.2000s", page.Body)
	}
	secret := strings.ReplaceAll(string(m[1]), " ", "")
	r = postForm(c, "/profile/totp/enable", url.Values{"csrf_token": {c.CSRF}, "totp_code": {totpCode(t, app, secret)}})
	if r.Status != 200 {
		t.Fatalf("enable: %d %.500s", r.Status, r.Body)
	}
	var codes []string
	for _, m := range recoveryCodeRe.FindAllSubmatch(r.Body, -1) {
		codes = append(codes, string(m[1]))
	}
	if len(codes) != models.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	return secret, codes
}

func signInTOTP(app *servertest.App, u *models.User, password, code string) *servertest.Response {
	body := map[string]string{"email": u.Email, "password": password}
	if code != "" {
		body["totp"] = code
	}
	return script(app).Request("POST", "/api/v1/session", body)
}

func userRow(t *testing.T, app *servertest.App, id int64) *models.User {
	t.Helper()
	u, err := app.Store.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Enrolment through the profile forms: the secret and otpauth address are
// shown, a wrong code is refused, a right one turns it on and shows the
// recovery codes once.
func TestTOTP_EnrolmentFlow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleReviewer, "ministry")
		c := app.Login(u)
		page := getHTML(c, "/profile")
		wantStatus(t, page, 200)
		if !strings.Contains(string(page.Body), `action="/profile/totp/setup"`) {
			t.Fatal("no enable button on a reviewer's profile")
		}
		wantStatus(t, postForm(c, "/profile/totp/setup", url.Values{"csrf_token": {c.CSRF}}), 303)
		if row := userRow(t, app, u.ID); row.TOTPEnabled || row.TOTPSecret == "" {
			t.Fatalf("after setup: enabled=%v secret set=%v", row.TOTPEnabled, row.TOTPSecret != "")
		}
		page = getHTML(c, "/profile")
		m := totpSecretRe.FindSubmatch(page.Body)
		if m == nil || !regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`).Match(m[1]) {
			t.Fatalf("secret not shown in groups of four: %q", m)
		}
		secret := strings.ReplaceAll(string(m[1]), " ", "")
		if secret != userRow(t, app, u.ID).TOTPSecret {
			t.Error("the secret shown is not the one stored")
		}
		um := totpURIRe.FindSubmatch(page.Body)
		if um == nil || html.UnescapeString(string(um[1])) != "otpauth://totp/Pacte:"+u.Email+"?secret="+secret+"&issuer=Pacte" {
			t.Errorf("otpauth address: %q", um)
		}
		// The app is not on until a code proves it.
		wantStatus(t, signInTOTP(app, u, servertest.DefaultPassword, ""), 200)

		r := postForm(c, "/profile/totp/enable", url.Values{"csrf_token": {c.CSRF}, "totp_code": {"000000"}})
		if r.Status != 422 || !strings.Contains(string(r.Body), `class="field-error"`) {
			t.Errorf("wrong first code: %d", r.Status)
		}
		if userRow(t, app, u.ID).TOTPEnabled {
			t.Fatal("a wrong code turned it on")
		}
		code := totpCode(t, app, secret)
		r = postForm(c, "/profile/totp/enable", url.Values{"csrf_token": {c.CSRF}, "totp_code": {code}})
		wantStatus(t, r, 200)
		codes := recoveryCodeRe.FindAllSubmatch(r.Body, -1)
		if len(codes) != models.RecoveryCodeCount {
			t.Fatalf("%d recovery codes shown", len(codes))
		}
		if !userRow(t, app, u.ID).TOTPEnabled {
			t.Fatal("not enabled")
		}
		for _, rc := range codes {
			if countRows(t, app, "totp_recovery_codes", "code_hash = ?", string(rc[1])) != 0 {
				t.Error("a recovery code is stored in clear")
			}
		}
		if n := countRows(t, app, "totp_recovery_codes", "user_id = ? AND used_at IS NULL", u.ID); n != models.RecoveryCodeCount {
			t.Errorf("%d recovery codes stored", n)
		}
		// Shown once: the profile no longer has them, nor the secret.
		page = getHTML(c, "/profile")
		if recoveryCodeRe.Match(page.Body) || strings.Contains(string(page.Body), secret) || totpSecretRe.Match(page.Body) {
			t.Error("the profile still shows the recovery codes or the secret")
		}
		if !strings.Contains(string(page.Body), `action="/profile/totp/disable"`) {
			t.Error("no way to turn it off")
		}
		// Enabling again is refused.
		wantStatus(t, postForm(c, "/profile/totp/setup", url.Values{"csrf_token": {c.CSRF}}), 409)

		// The code used to enrol cannot sign in: its step is spent.
		wantError(t, signInTOTP(app, u, servertest.DefaultPassword, code), 401, "invalid_totp")

		// The event says it is on, and nothing secret.
		var payloads []string
		app.Store.Read(context.Background()).Table("events").Where("subject_user_id = ? AND type = ?", u.ID, "user.updated").Pluck("payload", &payloads)
		all := strings.Join(payloads, "\n")
		if !strings.Contains(all, `"totp_enabled":true`) {
			t.Errorf("no user.updated event with totp_enabled: %s", all)
		}
		if strings.Contains(all, secret) {
			t.Error("an event holds the secret")
		}
		logs := app.Logs.String()
		for _, s := range []string{secret, code, string(codes[0][1])} {
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold %q", s)
			}
		}
	})
}

// A pending secret can be abandoned, and the enrolment refuses stale
// forms.
func TestTOTP_EnrolmentCancel(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleModerator, "apebi")
		c := app.Login(u)
		wantStatus(t, postForm(c, "/profile/totp/enable", url.Values{"csrf_token": {c.CSRF}, "totp_code": {"123456"}}), 409)
		wantStatus(t, postForm(c, "/profile/totp/setup", url.Values{"csrf_token": {c.CSRF}}), 303)
		wantStatus(t, postForm(c, "/profile/totp/cancel", url.Values{"csrf_token": {c.CSRF}}), 303)
		if row := userRow(t, app, u.ID); row.TOTPSecret != "" || row.TOTPEnabled {
			t.Error("cancel kept the secret")
		}
		// Without the CSRF token, nothing happens.
		wantStatus(t, postForm(c, "/profile/totp/setup", url.Values{}), 403)
		if userRow(t, app, u.ID).TOTPSecret != "" {
			t.Error("a forged form drew a secret")
		}
	})
}

// POST /api/v1/session for an account with a second factor.
func TestTOTP_APISignIn(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleAdmin, "")
		secret, codes := enrolTOTP(t, app, app.Login(u))

		t.Run("TOTPRequired", func(t *testing.T) {
			wantError(t, signInTOTP(app, u, servertest.DefaultPassword, ""), 401, "totp_required")
		})
		t.Run("WrongPasswordStaysInvalidCredentials", func(t *testing.T) {
			wantError(t, signInTOTP(app, u, "not the password", ""), 401, "invalid_credentials")
			wantError(t, signInTOTP(app, u, "not the password", totpCode(t, app, secret)), 401, "invalid_credentials")
		})
		t.Run("WrongCode", func(t *testing.T) {
			code := totpCode(t, app, secret)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			r := signInTOTP(app, u, servertest.DefaultPassword, wrong)
			wantError(t, r, 401, "invalid_totp")
			if setCookie(r, "pacte_session") != nil {
				t.Error("a session cookie for a wrong code")
			}
		})
		t.Run("RightCode", func(t *testing.T) {
			code := nextTOTPCode(t, app, secret)
			c := app.Anonymous()
			var out struct {
				CSRF string `json:"csrf_token"`
			}
			if st := c.Do("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": servertest.DefaultPassword, "totp": code}, &out); st != 200 {
				t.Fatalf("status %d", st)
			}
			if out.CSRF == "" {
				t.Error("no csrf_token")
			}
			wantStatus(t, c.Request("GET", "/api/v1/me", nil), 200)
			// Replayed within its window: refused.
			wantError(t, signInTOTP(app, u, servertest.DefaultPassword, code), 401, "invalid_totp")
		})
		t.Run("RecoveryCodeSingleUse", func(t *testing.T) {
			wantStatus(t, signInTOTP(app, u, servertest.DefaultPassword, codes[0]), 200)
			wantError(t, signInTOTP(app, u, servertest.DefaultPassword, codes[0]), 401, "invalid_totp")
			// Typed in capitals with spaces: the same code.
			wantStatus(t, signInTOTP(app, u, servertest.DefaultPassword, " "+strings.ToUpper(strings.ReplaceAll(codes[1], "-", " "))+" "), 200)
			if n := countRows(t, app, "totp_recovery_codes", "user_id = ? AND used_at IS NULL", u.ID); n != int64(len(codes)-2) {
				t.Errorf("%d codes left", n)
			}
		})
	})
}

// Wrong codes count against the same limits as wrong passwords, and a
// right password between guesses does not reset them.
func TestTOTP_LoginLimitsApplyToCodes(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleReviewer, "ministry")
		secret, _ := enrolTOTP(t, app, app.Login(u))
		for i := 1; i <= models.MaxFailuresPerKey; i++ {
			r := signInTOTP(app, u, servertest.DefaultPassword, fmt.Sprintf("99999%d", i%10))
			if i == models.MaxFailuresPerKey/2 {
				wantError(t, signInTOTP(app, u, servertest.DefaultPassword, ""), 401, "totp_required")
			}
			if r.Status != 401 || r.ErrorCode() != "invalid_totp" {
				t.Fatalf("guess %d: %d %s", i, r.Status, r.ErrorCode())
			}
		}
		// Locked: the right code and the right password wait too.
		wantError(t, signInTOTP(app, u, servertest.DefaultPassword, nextTOTPCode(t, app, secret)), 429, "too_many_attempts")
		wantError(t, signInTOTP(app, u, servertest.DefaultPassword, ""), 429, "too_many_attempts")

		// The form says the same at the password step.
		b := browser(t, app)
		r := postForm(b, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {b.CSRF}})
		if r.Status != 429 || !strings.Contains(string(r.Body), `class="form-error"`) {
			t.Errorf("login form while locked: %d", r.Status)
		}

		app.Clock.Advance(models.LoginWindow + time.Minute)
		wantStatus(t, signInTOTP(app, u, servertest.DefaultPassword, totpCode(t, app, secret)), 200)
		// The success cleared the count.
		wantError(t, signInTOTP(app, u, servertest.DefaultPassword, "000001"), 401, "invalid_totp")
	})
}

// Code guesses on the sign-in form count too.
func TestTOTP_LoginLimitsOnForm(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleReviewer, "ministry")
		enrolTOTP(t, app, app.Login(u))
		b := browser(t, app)
		r := postForm(b, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {b.CSRF}})
		for i := 1; i <= models.MaxFailuresPerKey; i++ {
			m := pendingRe.FindSubmatch(r.Body)
			if m == nil {
				t.Fatalf("guess %d: no pending sign-in in the page (%d)", i, r.Status)
			}
			r = postForm(b, "/login/totp", url.Values{"pending": {string(m[1])}, "code": {"abcde-fghij"}, "csrf_token": {b.CSRF}})
			if r.Status != 401 {
				t.Fatalf("guess %d: %d", i, r.Status)
			}
		}
		m := pendingRe.FindSubmatch(r.Body)
		if m == nil {
			t.Fatal("no pending sign-in")
		}
		r = postForm(b, "/login/totp", url.Values{"pending": {string(m[1])}, "code": {"abcde-fghij"}, "csrf_token": {b.CSRF}})
		if r.Status != 429 || !strings.Contains(string(r.Body), `class="form-error"`) {
			t.Errorf("after %d guesses: %d", models.MaxFailuresPerKey, r.Status)
		}
		if setCookie(r, "pacte_session") != nil {
			t.Error("a session after too many guesses")
		}
	})
}

// The sign-in form: a right password for an account with a second factor
// shows the code step without a session; the pending sign-in is single-use
// and short-lived; the right code signs in and rotates the session.
func TestTOTP_LoginPage(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleModerator, "ausim")
		secret, codes := enrolTOTP(t, app, app.Login(u))

		// A browser that already had a session (planted or old).
		b := browser(t, app)
		old := app.Login(app.User(models.RoleMember, "apebi"))
		oldCookie := sessionValue(t, old)
		base, _ := url.Parse(app.URL)
		b.HTTP.Jar.SetCookies(base, []*http.Cookie{{Name: "pacte_session", Value: oldCookie, Path: "/"}})
		b.CSRF = csrfFromHTML(t, getHTML(b, "/").Body)

		sessionsBefore := countRows(t, app, "sessions", "user_id = ?", u.ID)
		r := postForm(b, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "next": {"/profile"}, "csrf_token": {b.CSRF}})
		wantStatus(t, r, 200)
		if !strings.Contains(string(r.Body), `action="/login/totp"`) || !strings.Contains(string(r.Body), `data-page="login-totp"`) {
			t.Fatalf("no code step: %.1000s", r.Body)
		}
		if setCookie(r, "pacte_session") != nil || countRows(t, app, "sessions", "user_id = ?", u.ID) != sessionsBefore {
			t.Fatal("a session was created before the code")
		}
		m := pendingRe.FindSubmatch(r.Body)
		if m == nil {
			t.Fatal("no pending sign-in field")
		}
		first := string(m[1])
		if countRows(t, app, "pending_logins", "id_hash = ?", first) != 0 {
			t.Error("the pending sign-in id is stored in clear")
		}

		// Wrong code: the step again, with a new pending id.
		r = postForm(b, "/login/totp", url.Values{"pending": {first}, "code": {"000000"}, "next": {"/profile"}, "csrf_token": {b.CSRF}})
		if r.Status != 401 || !strings.Contains(string(r.Body), `class="form-error"`) {
			t.Fatalf("wrong code: %d", r.Status)
		}
		m = pendingRe.FindSubmatch(r.Body)
		if m == nil || string(m[1]) == first {
			t.Fatal("no fresh pending sign-in after a wrong code")
		}
		second := string(m[1])
		// The first id is spent.
		r = postForm(b, "/login/totp", url.Values{"pending": {first}, "code": {nextTOTPCode(t, app, secret)}, "csrf_token": {b.CSRF}})
		if r.Status != 401 || !strings.Contains(string(r.Body), `action="/login"`) || setCookie(r, "pacte_session") != nil {
			t.Fatalf("reused pending sign-in: %d", r.Status)
		}
		// The right code signs in and goes on to next.
		r = postForm(b, "/login/totp", url.Values{"pending": {second}, "code": {totpCode(t, app, secret)}, "next": {"/profile"}, "csrf_token": {b.CSRF}})
		if r.Status != 303 || r.Header.Get("Location") != "/profile" {
			t.Fatalf("right code: %d %s %.300s", r.Status, r.Header.Get("Location"), r.Body)
		}
		if setCookie(r, "pacte_session") == nil {
			t.Fatal("no session cookie")
		}
		// Rotation: the session the browser had before is over.
		wantStatus(t, withCookie(app, "pacte_session", oldCookie).Request("GET", "/api/v1/me", nil), 401)
		me := getHTML(b, "/profile")
		if me.Status != 200 || !strings.Contains(string(me.Body), u.Email) {
			t.Errorf("signed in as someone else: %d", me.Status)
		}
		// And the spent id cannot sign in again.
		r = postForm(app.Anonymous(), "/login/totp", url.Values{"pending": {second}, "code": {codes[0]}})
		if setCookie(r, "pacte_session") != nil {
			t.Error("a spent pending sign-in signed in again")
		}

		// A recovery code works on the form; an old pending id expires.
		c := browser(t, app)
		r = postForm(c, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {c.CSRF}})
		m = pendingRe.FindSubmatch(r.Body)
		if m == nil {
			t.Fatal("no pending sign-in")
		}
		app.Clock.Advance(models.PendingLoginTTL + time.Second)
		r = postForm(c, "/login/totp", url.Values{"pending": {string(m[1])}, "code": {codes[0]}, "csrf_token": {c.CSRF}})
		if r.Status != 401 || setCookie(r, "pacte_session") != nil {
			t.Fatalf("expired pending sign-in: %d", r.Status)
		}
		r = postForm(c, "/login", url.Values{"email": {u.Email}, "password": {servertest.DefaultPassword}, "csrf_token": {c.CSRF}})
		m = pendingRe.FindSubmatch(r.Body)
		if m == nil {
			t.Fatal("no pending sign-in")
		}
		r = postForm(c, "/login/totp", url.Values{"pending": {string(m[1])}, "code": {codes[0]}, "csrf_token": {c.CSRF}})
		if r.Status != 303 || setCookie(r, "pacte_session") == nil {
			t.Fatalf("recovery code on the form: %d", r.Status)
		}
		// Without the form's CSRF token, the code step is refused.
		wantStatus(t, postForm(browser(t, app), "/login/totp", url.Values{"pending": {"x"}, "code": {"123456"}}), 403)

		// Nothing secret in the logs.
		logs := app.Logs.String()
		for _, s := range []string{secret, first, second, codes[0]} {
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold %q", s)
			}
		}
	})
}

// Members have no second factor to manage.
func TestTOTP_MembersCannotEnable(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		page := getHTML(c, "/profile")
		wantStatus(t, page, 200)
		if strings.Contains(string(page.Body), "/profile/totp/") {
			t.Error("a member's profile offers two-step sign-in")
		}
		for _, path := range []string{"/profile/totp/setup", "/profile/totp/enable", "/profile/totp/cancel", "/profile/totp/disable"} {
			r := postForm(c, path, url.Values{"csrf_token": {c.CSRF}, "totp_code": {"123456"}, "totp_password": {servertest.DefaultPassword}})
			if r.Status != 403 && r.Status != 404 {
				t.Errorf("member POST %s: %d", path, r.Status)
			}
		}
		if row := userRow(t, app, u.ID); row.TOTPSecret != "" || row.TOTPEnabled {
			t.Error("a member got a secret")
		}
		// Anonymous: sent to sign in.
		r := postForm(app.Anonymous(), "/profile/totp/setup", url.Values{})
		if r.Status != 403 && r.Status != 303 {
			t.Errorf("anonymous setup: %d", r.Status)
		}
	})
}

// Turning it off needs the password and a code.
func TestTOTP_DisableFlow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleReviewer, "ministry")
		c := app.Login(u)
		secret, codes := enrolTOTP(t, app, c)

		r := postForm(c, "/profile/totp/disable", url.Values{"csrf_token": {c.CSRF}, "totp_password": {"not my password"}, "totp_code": {nextTOTPCode(t, app, secret)}})
		if r.Status != 422 || !regexp.MustCompile(`id="totp_password"[^>]*aria-invalid="true"`).Match(r.Body) {
			t.Errorf("wrong password: %d", r.Status)
		}
		r = postForm(c, "/profile/totp/disable", url.Values{"csrf_token": {c.CSRF}, "totp_password": {servertest.DefaultPassword}, "totp_code": {"000000"}})
		if r.Status != 422 || !regexp.MustCompile(`id="totp_code"[^>]*aria-invalid="true"`).Match(r.Body) {
			t.Errorf("wrong code: %d", r.Status)
		}
		r = postForm(c, "/profile/totp/disable", url.Values{"csrf_token": {c.CSRF}, "totp_password": {servertest.DefaultPassword}})
		wantStatus(t, r, 422)
		if !userRow(t, app, u.ID).TOTPEnabled {
			t.Fatal("turned off by a failed attempt")
		}
		// A recovery code will do as the code.
		r = postForm(c, "/profile/totp/disable", url.Values{"csrf_token": {c.CSRF}, "totp_password": {servertest.DefaultPassword}, "totp_code": {codes[3]}})
		if r.Status != 303 || r.Header.Get("Location") != "/profile" {
			t.Fatalf("disable: %d %.300s", r.Status, r.Body)
		}
		row := userRow(t, app, u.ID)
		if row.TOTPEnabled || row.TOTPSecret != "" {
			t.Error("still on, or the secret kept")
		}
		if n := countRows(t, app, "totp_recovery_codes", "user_id = ?", u.ID); n != 0 {
			t.Errorf("%d recovery codes kept", n)
		}
		var payloads []string
		app.Store.Read(context.Background()).Table("events").Where("subject_user_id = ? AND type = ?", u.ID, "user.updated").Order("id").Pluck("payload", &payloads)
		if len(payloads) == 0 || !strings.Contains(payloads[len(payloads)-1], `"totp_enabled":false`) {
			t.Errorf("events: %q", payloads)
		}
		if strings.Contains(strings.Join(payloads, ""), secret) {
			t.Error("an event holds the secret")
		}
		page := getHTML(c, "/profile")
		if !strings.Contains(string(page.Body), `action="/profile/totp/setup"`) {
			t.Error("the profile does not offer to turn it on again")
		}
		// The password alone signs in again.
		wantStatus(t, signInTOTP(app, u, servertest.DefaultPassword, ""), 200)
	})
}

// With --require-totp, a reviewer, moderator or admin without a second
// factor is signed in but kept to the profile until they enrol.
func TestTOTP_Requirement(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.User(models.RoleModerator, "apebi")
		c := app.Login(mod)
		var me struct {
			User struct {
				ID int64 `json:"id"`
			} `json:"user"`
		}
		if st := c.Do("GET", "/api/v1/me", nil, &me); st != 200 || me.User.ID != mod.ID {
			t.Fatalf("GET /api/v1/me: %d", st)
		}
		for _, p := range []string{"/", "/admin/users", "/measures", idPath("/admin/users/", mod.ID)} {
			r := getHTML(c, p)
			if r.Status != 303 || r.Header.Get("Location") != "/profile#totp" {
				t.Errorf("GET %s: %d %s", p, r.Status, r.Header.Get("Location"))
			}
		}
		r := postForm(c, "/profile/tokens", url.Values{"csrf_token": {c.CSRF}, "token_name": {"x"}})
		if r.Status != 303 || r.Header.Get("Location") != "/profile#totp" {
			t.Errorf("POST /profile/tokens: %d", r.Status)
		}
		page := getHTML(c, "/profile")
		wantStatus(t, page, 200)
		cat, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		notice := cat.T("fr", "totp.required_notice")
		if !strings.Contains(html.UnescapeString(string(page.Body)), notice) {
			t.Error("the profile does not ask to turn it on")
		}
		wantError(t, c.Request("GET", "/api/v1/users", nil), 403, "totp_enrolment_required")
		wantError(t, c.Request("POST", "/api/v1/tokens", map[string]string{"name": "x"}), 403, "totp_enrolment_required")
		wantError(t, c.Request("PATCH", "/api/v1/me", map[string]string{"name": "New Name"}), 403, "totp_enrolment_required")
		wantError(t, c.Request("GET", "/ws", nil), 403, "totp_enrolment_required")
		// A bearer token made before the rule does not dodge it.
		_, raw, err := app.Store.CreateToken(context.Background(), mod, "old script")
		if err != nil {
			t.Fatal(err)
		}
		bearer := script(app)
		bearer.Bearer = raw
		wantError(t, bearer.Request("GET", "/api/v1/users", nil), 403, "totp_enrolment_required")

		// Members are not concerned.
		mem := app.Login(app.User(models.RoleMember, "apebi"))
		wantStatus(t, getHTML(mem, "/"), 200)
		wantStatus(t, mem.Request("GET", "/api/v1/tokens", nil), 200)

		// Enrolment is reachable, and lifts the restriction.
		secret, _ := enrolTOTP(t, app, c)
		wantStatus(t, getHTML(c, "/"), 200)
		wantStatus(t, c.Request("GET", "/api/v1/users", nil), 200)
		wantStatus(t, bearer.Request("GET", "/api/v1/users", nil), 200)
		// The next sign-in needs the code.
		wantError(t, signInTOTP(app, mod, servertest.DefaultPassword, ""), 401, "totp_required")
		wantStatus(t, signInTOTP(app, mod, servertest.DefaultPassword, nextTOTPCode(t, app, secret)), 200)

		// Signing out works without enrolling.
		rev := app.Login(app.User(models.RoleReviewer, "ministry"))
		wantStatus(t, rev.Request("GET", "/api/v1/me", nil), 200)
		wantStatus(t, rev.Request("DELETE", "/api/v1/session", nil), 204)
		wantStatus(t, rev.Request("GET", "/api/v1/me", nil), 401)
		adm := app.Login(app.User(models.RoleAdmin, ""))
		r = postForm(adm, "/logout", url.Values{"csrf_token": {adm.CSRF}})
		if r.Status != 303 || r.Header.Get("Location") != "/login" {
			t.Errorf("logout: %d %s", r.Status, r.Header.Get("Location"))
		}
	}, requireTOTP(models.RoleReviewer, models.RoleModerator, models.RoleAdmin))
}

// Only roles that can have a second factor may be required to.
func TestTOTP_RequirementConfig(t *testing.T) {
	for _, roles := range [][]string{{"member"}, {"reviewer", "nobody"}} {
		if _, err := server.New(server.Config{RequireTOTPRoles: roles, Logger: quietLogger()}, nil); err == nil {
			t.Errorf("RequireTOTPRoles %q accepted", roles)
		}
	}
}
