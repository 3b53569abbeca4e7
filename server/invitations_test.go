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

// invitationStateOf reads what the invitation page says became of a link.
func invitationStateOf(t *testing.T, r *servertest.Response) string {
	t.Helper()
	const mark = `data-invitation-state="`
	i := strings.Index(string(r.Body), mark)
	if i < 0 {
		return ""
	}
	rest := string(r.Body[i+len(mark):])
	return rest[:strings.IndexByte(rest, '"')]
}

// TestInvitations_UsedExpiredReplacedPages: a link that can no longer be
// used says what happened (410) and offers what to do: sign in when it was
// used, ask for a new link when it expired or was replaced. The request
// shows on the person's account page for moderators.
func TestInvitations_UsedExpiredReplacedPages(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		modUser := app.User(models.RoleModerator, "apebi")
		mod := app.Login(modUser)
		org := app.Org("apebi").ID

		used := invite(t, mod, "used@example.ma", org, models.RoleMember)
		wantStatus(t, script(app).Request("POST", "/api/v1/invitations/"+used.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 201)
		r := getHTML(app.Anonymous(), "/invitations/"+used.Token)
		wantStatus(t, r, 410)
		if st := invitationStateOf(t, r); st != "used" {
			t.Errorf("used link: state %q", st)
		}
		wantBody(t, "used", r, "déjà servi", `href="/login"`, "Connectez-vous")
		if strings.Contains(string(r.Body), "Action impossible") || strings.Contains(string(r.Body), `name="password"`) {
			t.Errorf("used link still shows the generic error or the password form")
		}
		// Posting the form of a page left open is the same answer, not an error page.
		b := browser(t, app)
		wantStatus(t, postForm(b, "/invitations/"+used.Token, url.Values{"csrf_token": {b.CSRF}, "password": {"another long phrase"}, "password_confirm": {"another long phrase"}}), 410)

		late := invite(t, mod, "late@example.ma", org, models.RoleMember)
		app.Clock.Advance(7*24*time.Hour + time.Minute)
		mod = app.Login(modUser) // a week later: a new session
		b = browser(t, app)
		r = getHTML(b, "/invitations/"+late.Token)
		wantStatus(t, r, 410)
		if st := invitationStateOf(t, r); st != "expired" {
			t.Errorf("expired link: state %q", st)
		}
		wantBody(t, "expired", r, "a expiré", `action="/invitations/`+late.Token+`/request"`, "Demander un nouveau lien")
		r = postForm(b, "/invitations/"+late.Token+"/request", url.Values{"csrf_token": {b.CSRF}})
		if r.Status != 303 || r.Header.Get("Location") != "/invitations/"+late.Token+"?requested=1" {
			t.Errorf("request: %d → %s", r.Status, r.Header.Get("Location"))
		}
		r = getHTML(b, "/invitations/"+late.Token+"?requested=1")
		wantStatus(t, r, 410)
		wantBody(t, "requested", r, `id="invitation-requested"`)
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("invitation page cacheable: %q", r.Header.Get("Cache-Control"))
		}
		postForm(b, "/invitations/"+late.Token+"/request", url.Values{"csrf_token": {b.CSRF}}) // asking twice records once
		if n := countRows(t, app, "events", "type = ?", "user.invitation_requested"); n != 1 {
			t.Errorf("%d requests recorded", n)
		}
		var lateID int64
		app.Store.Read(t.Context()).Table("users").Select("id").Where("email = ?", "late@example.ma").Scan(&lateID)
		r = getHTML(mod, fmt.Sprintf("/admin/users/%d", lateID))
		wantStatus(t, r, 200)
		wantBody(t, "account page", r, `data-invitation-status="expired"`, "data-invitation-requested", `id="invitation-renew"`)

		// Renewing replaces the expired link: the old one now says so.
		r = postForm(mod, fmt.Sprintf("/admin/users/%d/invitation", lateID), form(mod))
		wantStatus(t, r, 200)
		wantBody(t, "renewed", r, "data-invite-url", app.URL+"/invitations/", `data-invitation-status="pending"`)
		r = getHTML(app.Anonymous(), "/invitations/"+late.Token)
		if st := invitationStateOf(t, r); r.Status != 410 || st != "replaced" {
			t.Errorf("replaced link: %d %q", r.Status, st)
		}
		wantStatus(t, getHTML(app.Anonymous(), "/invitations/nope"), 404)
		// The request to an anonymous page is for expired or replaced links only.
		fresh := invite(t, mod, "fresh@example.ma", org, models.RoleMember)
		wantStatus(t, postForm(b, "/invitations/"+fresh.Token+"/request", url.Values{"csrf_token": {b.CSRF}}), 303)
		if n := countRows(t, app, "events", "type = ?", "user.invitation_requested"); n != 1 {
			t.Errorf("a usable link recorded a request")
		}
	})
}

// TestInvitations_Resend: POST /api/v1/invitations/:id/resend issues a new
// link; the old one stops working, the new one works; moderators and admins
// only (404 for others), within what they may invite.
func TestInvitations_Resend(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		modUser := app.User(models.RoleModerator, "apebi")
		mod, admin := app.Login(modUser), app.Login(app.User(models.RoleAdmin, ""))
		org := app.Org("apebi").ID
		first := invite(t, mod, "again@example.ma", org, models.RoleMember)
		path := func(id int64) string { return fmt.Sprintf("/api/v1/invitations/%d/resend", id) }

		for name, c := range map[string]*servertest.Client{
			"member":   app.Login(app.User(models.RoleMember, "apebi")),
			"reviewer": app.Login(app.User(models.RoleReviewer, "ministry")),
		} {
			wantError(t, c.Request("POST", path(first.ID), nil), 404, "not_found")
			_ = name
		}
		wantStatus(t, script(app).Request("POST", path(first.ID), nil), 401)
		wantError(t, mod.Request("POST", path(first.ID+1000), nil), 404, "not_found")

		var second invitationJSON
		r := mod.Request("POST", path(first.ID), nil)
		if r.Status != 200 {
			t.Fatalf("resend: %d %s", r.Status, r.Body)
		}
		if err := r.JSON(&second); err != nil {
			t.Fatal(err)
		}
		if second.ID == 0 || second.Token == "" || second.Token == first.Token || second.InviteURL != app.URL+"/invitations/"+second.Token || second.ExpiresAt == "" {
			t.Errorf("resend answer: %+v", second)
		}
		// The old link stops working; the newest link is the one that works.
		wantError(t, script(app).Request("GET", "/api/v1/invitations/"+first.Token, nil), 409, "invitation_used")
		wantError(t, script(app).Request("POST", "/api/v1/invitations/"+first.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 409, "invitation_used")
		var third invitationJSON
		if st := admin.Do("POST", path(first.ID), nil, &third); st != 200 || third.Token == second.Token {
			t.Fatalf("admin resend by the first id: %d %+v", st, third)
		}
		wantError(t, script(app).Request("GET", "/api/v1/invitations/"+second.Token, nil), 409, "invitation_used")
		wantStatus(t, script(app).Request("POST", "/api/v1/invitations/"+third.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 201)
		// Accepted: nothing to resend.
		wantError(t, mod.Request("POST", path(third.ID), nil), 409, "invitation_accepted")

		// A moderator cannot renew an invitation they could not have made.
		big := invite(t, admin, "future.mod@example.ma", app.Org("msec").ID, models.RoleModerator)
		wantError(t, mod.Request("POST", path(big.ID), nil), 403, "forbidden")
		wantStatus(t, admin.Request("POST", path(big.ID), nil), 200)
		if n := countRows(t, app, "events", "type = ?", "user.invitation_renewed"); n != 3 {
			t.Errorf("%d renewal events, want 3", n)
		}
	})
}
