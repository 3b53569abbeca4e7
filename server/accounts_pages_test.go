package server_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"pacte/i18n"
	"pacte/models"
	"pacte/server/servertest"
)

func wantBody(t *testing.T, what string, r *servertest.Response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(string(r.Body), p) {
			t.Errorf("%s: page lacks %q", what, p)
		}
	}
}

func wantRedirect(t *testing.T, what string, r *servertest.Response, prefix string) {
	t.Helper()
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), prefix) {
		t.Errorf("%s: %d → %q, want a redirect to %s", what, r.Status, r.Header.Get("Location"), prefix)
	}
}

func TestAccountsPages_Render(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	fr := func(key string) string { return html.EscapeString(cat.T("fr", key)) }
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		anon := app.Anonymous()
		memUser := app.User(models.RoleMember, "apebi")
		mem := app.Login(memUser)
		modUser := app.User(models.RoleModerator, "ausim")
		mod := app.Login(modUser)
		target := app.User(models.RoleMember, "mnc")

		r := getHTML(anon, "/")
		wantStatus(t, r, 200)
		wantBody(t, "home", r, `<html lang="fr" dir="ltr">`, fr("home.heading"), "apebi", `href="/login"`)
		wantStatus(t, getHTML(anon, "/login"), 200)
		wantRedirect(t, "anonymous profile", getHTML(anon, "/profile"), "/login?next=%2Fprofile")
		wantRedirect(t, "anonymous users", getHTML(anon, "/admin/users"), "/login")

		r = getHTML(mem, "/")
		wantStatus(t, r, 200)
		wantBody(t, "member home", r, memUser.Name, fr("home.member.title"))
		if strings.Contains(string(r.Body), `href="/admin/users"`) {
			t.Error("a member is shown the accounts link")
		}
		r = getHTML(mem, "/profile")
		wantStatus(t, r, 200)
		wantBody(t, "profile", r, memUser.Email, `action="/profile/password"`, `href="/profile/export"`)
		wantRedirect(t, "member on login", getHTML(mem, "/login"), "/")
		r = getHTML(mem, "/admin/users")
		wantStatus(t, r, 403)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("403 for a person is %q, want a page", r.Header.Get("Content-Type"))
		}
		wantStatus(t, getHTML(mem, idPath("/admin/users/", target.ID)), 404)
		wantStatus(t, getHTML(mem, idPath("/admin/users/", memUser.ID)), 404)

		r = getHTML(mod, "/admin/users")
		wantStatus(t, r, 200)
		wantBody(t, "users", r, target.Name, target.Email, `action="/admin/users/invite"`)
		r = getHTML(mod, "/admin/users?q="+url.QueryEscape(target.Email))
		wantStatus(t, r, 200)
		if strings.Contains(string(r.Body), memUser.Email) {
			t.Error("the search does not filter the list")
		}
		r = getHTML(mod, idPath("/admin/users/", target.ID))
		wantStatus(t, r, 200)
		wantBody(t, "user", r, target.Name, target.Email, `value="suspended"`)
		wantStatus(t, getHTML(mod, "/admin/users/999999"), 404)

		// A moderator invites and changes accounts from the pages.
		r = postForm(mod, "/admin/users/invite", url.Values{"csrf_token": {mod.CSRF}, "email": {"page@example.ma"}, "name": {"Page Invitee"},
			"organization_id": {idStr(app.Org("apebi").ID)}, "role": {"member"}})
		wantStatus(t, r, 201)
		wantBody(t, "invited", r, app.URL+"/invitations/")
		r = postForm(mod, "/admin/users/invite", url.Values{"csrf_token": {mod.CSRF}, "email": {"bad"}, "name": {"Kept Name"}, "organization_id": {""}, "role": {"member"}})
		wantStatus(t, r, 422)
		wantBody(t, "invite errors", r, `value="Kept Name"`, `class="field-error"`)
		r = postForm(mod, idPath("/admin/users/", target.ID), url.Values{"csrf_token": {mod.CSRF}, "status": {"suspended"}})
		wantBody(t, "suspension asks first", r, `name="confirmed" value="yes"`)
		r = postForm(mod, idPath("/admin/users/", target.ID), url.Values{"csrf_token": {mod.CSRF}, "status": {"suspended"}, "confirmed": {"yes"}})
		wantRedirect(t, "suspend from the page", r, idPath("/admin/users/", target.ID))
		wantBody(t, "after suspension", getHTML(mod, idPath("/admin/users/", target.ID)), fr("flash.user_saved"), `value="active"`)
		admin := app.User(models.RoleAdmin, "")
		r = postForm(mod, idPath("/admin/users/", admin.ID), url.Values{"csrf_token": {mod.CSRF}, "status": {"suspended"}})
		wantStatus(t, r, 403)

		// The profile forms.
		r = postForm(mem, "/profile", url.Values{"csrf_token": {mem.CSRF}, "name": {"Nom De Page"}, "locale": {"fr"}})
		wantRedirect(t, "profile save", r, "/profile")
		wantBody(t, "profile saved", getHTML(mem, "/profile"), "Nom De Page", fr("flash.profile_saved"))
		r = postForm(mem, "/profile", url.Values{"csrf_token": {mem.CSRF}, "name": {strings.Repeat("x", 121)}, "locale": {"fr"}})
		wantStatus(t, r, 422)
		r = postForm(mem, "/profile/tokens", url.Values{"csrf_token": {mem.CSRF}, "token_name": {"page token"}})
		wantStatus(t, r, 201)
		wantBody(t, "token shown once", r, "data-new-token")
		if strings.Contains(string(getHTML(mem, "/profile").Body), "data-new-token") {
			t.Error("the token is shown again")
		}
	})
}

func TestAccountsPages_LoginForm(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		b := browser(t, app)
		r := postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {u.Email}, "password": {"wrong password here"}, "next": {"/profile"}})
		wantStatus(t, r, 401)
		wantBody(t, "failed login", r, `value="`+u.Email+`"`, `class="form-error"`, `value="/profile"`)
		if strings.Contains(string(r.Body), "wrong password here") {
			t.Error("the password is echoed back")
		}
		r = postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {u.Email}, "password": {servertest.DefaultPassword}, "next": {"/profile"}})
		wantRedirect(t, "login", r, "/profile")
		// next never leaves the site.
		for _, next := range []string{"//evil.example", "https://evil.example/", `/\evil.example`} {
			b := browser(t, app)
			r := postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {u.Email}, "password": {servertest.DefaultPassword}, "next": {next}})
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Errorf("next=%s redirects to %q", next, loc)
			}
		}
	})
}

func TestAccountsPages_NotFound(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		r := getHTML(app.Anonymous(), "/no/such/page")
		wantStatus(t, r, 404)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("404 Content-Type %q", r.Header.Get("Content-Type"))
		}
		wantBody(t, "404", r, html.EscapeString(cat.T("fr", "error.404.title")), html.EscapeString(cat.T("fr", "error.404.text")), `href="/"`)
		c := app.Anonymous()
		c.Headers["Accept-Language"] = "en-GB,en;q=0.9"
		wantBody(t, "404 in English", getHTML(c, "/no/such/page"), html.EscapeString(cat.T("en", "error.404.title")))
		// The API keeps to JSON.
		wantError(t, app.Anonymous().Request("GET", "/api/v1/nothing/here", nil), 404, "not_found")
		wantError(t, app.Anonymous().Request("GET", "/no/such/page", nil), 404, "not_found")
	})
}

func TestAccountsPages_Language(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		b := browser(t, app)
		r := postForm(b, "/language", url.Values{"csrf_token": {b.CSRF}, "locale": {"ar"}, "next": {"/login"}})
		wantRedirect(t, "language", r, "/login")
		r = getHTML(b, "/login")
		wantBody(t, "arabic", r, `<html lang="ar" dir="rtl">`)
		wantStatus(t, postForm(b, "/language", url.Values{"csrf_token": {b.CSRF}, "locale": {"de"}}), 422)

		// Signed in, the choice is the account's.
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		wantRedirect(t, "language signed in", postForm(c, "/language", url.Values{"csrf_token": {c.CSRF}, "locale": {"en"}}), "/")
		var me struct {
			User map[string]any `json:"user"`
		}
		c.Do("GET", "/api/v1/me", nil, &me)
		if me.User["locale"] != "en" {
			t.Errorf("account locale %v", me.User["locale"])
		}
		wantBody(t, "english", getHTML(app.Login(u), "/"), `<html lang="en" dir="ltr">`)
	})
}

func TestAccountsPages_Invitation(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "ausim"))
		inv := invite(t, mod, "welcome@example.ma", app.Org("ausim").ID, models.RoleMember)
		b := app.Anonymous()
		r := getHTML(b, "/invitations/"+inv.Token)
		wantStatus(t, r, 200)
		// Law 09-08: who processes the data, why, and the person's rights.
		wantBody(t, "invitation", r, "welcome@example.ma", html.EscapeString(cat.T("fr", "privacy.controller")),
			html.EscapeString(cat.T("fr", "privacy.purpose")), html.EscapeString(cat.T("fr", "privacy.rights")))
		b.CSRF = csrfFromHTML(t, r.Body)
		r = postForm(b, "/invitations/"+inv.Token, url.Values{"csrf_token": {b.CSRF}, "password": {"aaaaaaaaaa"}, "password_confirm": {"aaaaaaaaaa"}})
		wantStatus(t, r, 422)
		wantBody(t, "weak password", r, `class="field-error"`)
		r = postForm(b, "/invitations/"+inv.Token, url.Values{"csrf_token": {b.CSRF}, "password": {"a fine long phrase"}, "password_confirm": {"a fine long phrase"}})
		wantRedirect(t, "accept", r, "/")
		var me struct {
			User apiUser `json:"user"`
		}
		if st := b.Do("GET", "/api/v1/me", nil, &me); st != 200 || me.User.Status != "active" {
			t.Errorf("after accepting: %d %+v", st, me.User)
		}
		wantStatus(t, getHTML(app.Anonymous(), "/invitations/"+inv.Token), 410) // used: TestInvitations_UsedExpiredReplacedPages
		wantStatus(t, getHTML(app.Anonymous(), "/invitations/nope"), 404)
	})
}

func idStr(id int64) string { return idPath("", id) }
