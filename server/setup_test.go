package server_test

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server"
	"pacte/server/servertest"
)

var setupLink = regexp.MustCompile(`https?://[^\s]+/setup/([A-Za-z0-9_-]+)`)

// setupToken reads the one-time link the server printed for the operator.
func setupToken(t *testing.T, console string) string {
	t.Helper()
	m := setupLink.FindAllStringSubmatch(console, -1)
	if len(m) == 0 {
		t.Fatalf("no set-up link printed: %q", console)
	}
	return m[len(m)-1][1]
}

// Without PACTE_ADMIN_*, the console shows a one-time link that creates the
// first admin and signs them in; it works once.
func TestSetup_Link(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		token := setupToken(t, app.Console.String())
		if strings.Contains(app.Logs.String(), token) {
			t.Error("the set-up token is in the logs")
		}
		b := app.Anonymous()
		r := getHTML(b, "/setup/"+token)
		wantStatus(t, r, 200)
		if !strings.Contains(string(r.Body), `name="password"`) || !strings.Contains(string(r.Body), `name="email"`) {
			t.Fatalf("set-up page has no form: %.500s", r.Body)
		}
		b.CSRF = csrfFromHTML(t, r.Body)
		form := url.Values{"csrf_token": {b.CSRF}, "name": {"Première Admin"}, "email": {"Admin@Example.MA"},
			"password": {"a sturdy first password"}, "password_confirm": {"a different one entirely"}}
		r = postForm(b, "/setup/"+token, form)
		if r.Status != 422 || !strings.Contains(string(r.Body), "Première Admin") {
			t.Errorf("mismatched confirmation: %d", r.Status)
		}
		form.Set("password", "password123")
		form.Set("password_confirm", "password123")
		wantStatus(t, postForm(b, "/setup/"+token, form), 422)
		if n := countRows(t, app, "users", ""); n != 0 {
			t.Fatalf("%d users after refused set-up", n)
		}
		form.Set("password", "a sturdy first password")
		form.Set("password_confirm", "a sturdy first password")
		r = postForm(b, "/setup/"+token, form)
		wantStatus(t, r, 303)
		var me struct {
			User apiUser `json:"user"`
			CSRF string  `json:"csrf_token"`
		}
		if st := b.Do("GET", "/api/v1/me", nil, &me); st != 200 || me.User.Role != "admin" || me.User.Email == nil || *me.User.Email != "admin@example.ma" {
			t.Fatalf("after set-up: %d %+v", st, me)
		}
		b.CSRF = me.CSRF
		wantStatus(t, b.Request("GET", "/api/v1/users", nil), 200)
		// Once only.
		r = getHTML(app.Anonymous(), "/setup/"+token)
		wantStatus(t, r, 409)
		if !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("used link answers %q, want a page", r.Header.Get("Content-Type"))
		}
		other := app.Anonymous()
		other.Headers["Sec-Fetch-Site"] = "same-origin"
		form.Set("email", "second@example.ma")
		wantStatus(t, postForm(other, "/setup/"+token, form), 409)
		if n := countRows(t, app, "users", "role = ?", "admin"); n != 1 {
			t.Errorf("%d admins", n)
		}
		wantStatus(t, getHTML(app.Anonymous(), "/setup/not-a-token"), 404)
	})
}

// A set-up that fails on the email does not burn the link.
func TestSetup_FailedSetupKeepsLink(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		token := setupToken(t, app.Console.String())
		taken := app.User(models.RoleMember, "apebi")
		b := app.Anonymous()
		b.Headers["Sec-Fetch-Site"] = "same-origin"
		form := url.Values{"name": {"Admin"}, "email": {taken.Email}, "password": {"a sturdy first password"}, "password_confirm": {"a sturdy first password"}}
		r := postForm(b, "/setup/"+token, form)
		if r.Status != 409 && r.Status != 422 {
			t.Errorf("set-up with a taken email: %d", r.Status)
		}
		form.Set("email", "admin@example.ma")
		wantStatus(t, postForm(b, "/setup/"+token, form), 303)
	})
}

// With PACTE_ADMIN_EMAIL and PACTE_ADMIN_PASSWORD the first start creates
// the admin, a restart does not create another, and no link is printed.
func TestSetup_AdminFromEnvironment(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			store := storetest.Open(t, engine)
			ctx := context.Background()
			opts := server.StartOptions{AdminEmail: "Boss@Example.MA", AdminPassword: "the operator's long secret"}
			for i := 0; i < 2; i++ {
				var console bytes.Buffer
				srv, err := server.New(server.Config{Console: &console, Logger: quietLogger(), MailDir: t.TempDir()}, store)
				if err != nil {
					t.Fatal(err)
				}
				if err := srv.Start(ctx, opts); err != nil {
					t.Fatalf("start %d: %v", i+1, err)
				}
				srv.Close()
				if strings.Contains(console.String(), "/setup/") {
					t.Errorf("start %d printed a set-up link although an admin exists", i+1)
				}
			}
			var n int64
			store.Read(ctx).Table("users").Where("role = ? AND email = ? AND status = ?", "admin", "boss@example.ma", "active").Count(&n)
			if n != 1 {
				t.Errorf("%d admins after two starts, want 1", n)
			}
			u, err := store.Authenticate(ctx, "boss@example.ma", "the operator's long secret", "127.0.0.1")
			if err != nil || u.Role != models.RoleAdmin {
				t.Errorf("the admin cannot sign in: %v", err)
			}
		})
	}
}

func TestSetup_AdminFromEnvironmentRefusesWeakPassword(t *testing.T) {
	store := storetest.Open(t, models.SQLite)
	srv, err := server.New(server.Config{Console: &bytes.Buffer{}, Logger: quietLogger(), MailDir: t.TempDir()}, store)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	err = srv.Start(context.Background(), server.StartOptions{AdminEmail: "boss@example.ma", AdminPassword: "password123"})
	if err == nil {
		t.Fatal("a common admin password was accepted")
	}
	if strings.Contains(err.Error(), "password123") {
		t.Errorf("the error shows the password: %v", err)
	}
	if has, _ := store.HasAdmin(context.Background()); has {
		t.Error("an admin was created with a weak password")
	}
}
