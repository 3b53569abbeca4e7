package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// TestErasure_NoTraceLeft: a member who co-wrote a measure, commented,
// was mentioned, renamed herself and had a token, a reset link and a live
// socket erases her account. Afterwards every way in is refused, her
// address can be invited again, her comments stay under the pseudonym,
// her co-editor keeps working on their measure, and no API answer, page,
// export, event payload, table or log line written since holds any of her
// names or her address.
func TestErasure_NoTraceLeft(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		admin := app.User(models.RoleAdmin, "")
		mod := app.User(models.RoleModerator, "")
		reviewer := app.User(models.RoleReviewer, "ministry")
		karim := app.User(models.RoleMember, "apebi")
		zineb := app.User(models.RoleMember, "apebi")
		secrets := []string{zineb.Email, zineb.Name, "Zineb Ouazzani-Tahiri", "Zineb El Ouazzani", "Ouazzani"}

		zc := app.LoginWithPassword(zineb)
		for _, name := range []string{"Zineb Ouazzani-Tahiri", "Zineb El Ouazzani"} {
			wantStatus(t, zc.Request("PATCH", "/api/v1/me", map[string]any{"name": name}), 200)
		}
		mid := app.Measure(t, zineb, servertest.MeasureSpec{Editors: []*models.User{karim}})
		kc := app.Login(karim)
		wantStatus(t, kc.Request("POST", fmt.Sprintf("/api/v1/measures/%d/follow", mid), nil), 204)
		var before struct{ Revision int }
		msDo(t, kc, "GET", fmt.Sprintf("/api/v1/measures/%d", mid), nil, 200, &before)
		body := fmt.Sprintf("Un calendrier par région, piloté avec @[Zineb El Ouazzani](user:%d).", zineb.ID)
		wantStatus(t, kc.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", mid), map[string]any{"body": body, "revision": before.Revision}), 200)
		var own struct{ ID int64 }
		msDo(t, zc, "POST", commentsPath(mid), map[string]any{"body": "Je propose d'ajouter un calendrier régional."}, 201, &own)
		msDo(t, kc, "POST", commentsPath(mid), map[string]any{
			"body": fmt.Sprintf("D'accord avec @[Zineb El Ouazzani](user:%d), merci.", zineb.ID)}, 201, nil)
		token := bearerToken(t, app, zineb)
		msDo(t, app.Anonymous(), "POST", "/api/v1/password-reset", map[string]any{"email": zineb.Email}, 202, nil)
		reset := ""
		waitUntil(t, "the reset mail", func() bool {
			for _, m := range app.Mail.To(zineb.Email) {
				if i := strings.Index(m.Text, "/password-reset/"); i >= 0 {
					reset = strings.TrimPrefix(linkRe.FindString(m.Text[i-len(app.URL):]), app.URL+"/password-reset/")
					return true
				}
			}
			return false
		})
		ws := dialWS(t, app, zc)
		app.Settle()

		// Wrong password: refused, said on the field, nothing erased.
		wantError(t, zc.Request("POST", "/api/v1/me/erase", map[string]any{"password": "not my password"}), 422, "invalid_fields", "password")
		wantError(t, zc.Request("POST", "/api/v1/me/erase", map[string]any{}), 422, "invalid_fields", "password")
		wantStatus(t, zc.Request("GET", "/api/v1/me", nil), 200)

		logMark := len(app.Logs.String())
		wantStatus(t, zc.Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword}), 202)
		if code := ws.closed(5 * time.Second); code != 4001 {
			t.Errorf("her websocket closed with %d, want 4001", code)
		}

		// Every way in is refused.
		wantStatus(t, zc.Request("GET", "/api/v1/me", nil), 401)
		bearer := app.Anonymous()
		bearer.Bearer = token
		wantError(t, bearer.Request("GET", "/api/v1/me", nil), 401, "invalid_token")
		wantError(t, app.Anonymous().Request("POST", "/api/v1/session", map[string]string{"email": zineb.Email, "password": servertest.DefaultPassword}), 401, "invalid_credentials")
		wantError(t, app.Anonymous().Request("POST", "/api/v1/password-reset/"+reset, map[string]any{"password": "a brand new passphrase 42"}), 410, "reset_invalid")
		for _, table := range []string{"sessions", "api_tokens", "account_links", "notification_settings", "follows", "login_devices"} {
			if n := countRows(t, app, table, "user_id = ?", zineb.ID); n != 0 {
				t.Errorf("%d rows of %s left", n, table)
			}
		}

		// Her comment stays, under the pseudonym; so does the measure, and
		// her co-editor keeps working on it.
		pseudonym := models.ErasedName(zineb.ID)
		var list struct {
			Items []struct {
				ID     int64
				Author map[string]any
			}
		}
		msDo(t, kc, "GET", commentsPath(mid), nil, 200, &list)
		found := false
		for _, c := range list.Items {
			if c.ID == own.ID {
				found = true
				if c.Author["name"] != pseudonym || c.Author["erased"] != true {
					t.Errorf("her comment's author is %v, want the pseudonym %q, erased", c.Author, pseudonym)
				}
			}
		}
		if !found {
			t.Error("her comment is gone")
		}
		var meas struct{ Revision int }
		msDo(t, kc, "GET", fmt.Sprintf("/api/v1/measures/%d", mid), nil, 200, &meas)
		wantStatus(t, kc.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", mid), map[string]any{"title": "Calendrier régional du numérique", "revision": meas.Revision}), 200)
		var user struct {
			Name   string
			Email  string
			Erased bool
		}
		ac := app.Login(admin)
		msDo(t, ac, "GET", idPath("/api/v1/users/", zineb.ID), nil, 200, &user)
		if user.Name != pseudonym || !user.Erased || user.Email != "" {
			t.Errorf("the account reads %+v, want the pseudonym, erased, no email", user)
		}

		// The scan: nothing anyone can read holds her names or address.
		mc, rc := app.Login(mod), app.Login(reviewer)
		reads := []struct {
			c    *servertest.Client
			path string
		}{
			{ac, "/api/v1/users?limit=200"}, {ac, idPath("/api/v1/users/", zineb.ID)},
			{kc, fmt.Sprintf("/api/v1/measures/%d", mid)}, {kc, commentsPath(mid)},
			{kc, fmt.Sprintf("/api/v1/measures/%d/revisions", mid)}, {kc, fmt.Sprintf("/api/v1/measures/%d/suggestions", mid)},
			{kc, fmt.Sprintf("/api/v1/measures/%d/revisions/%d", mid, before.Revision+1)},
			{kc, fmt.Sprintf("/api/v1/measures/%d/diff?from=%d&to=%d", mid, before.Revision, before.Revision+1)},
			{kc, "/api/v1/notifications"}, {kc, "/api/v1/events?after=0&topic=" + url.QueryEscape(fmt.Sprintf("measure:%d", mid))},
			{kc, "/api/v1/search?q=calendrier"}, {kc, "/api/v1/search?q=Ouazzani"},
			{mc, "/api/v1/audit?limit=200"}, {rc, "/api/v1/audit?limit=200"},
			{kc, fmt.Sprintf("/measures/%d", mid)}, {kc, fmt.Sprintf("/measures/%d/history", mid)},
			{kc, fmt.Sprintf("/measures/%d/export.md", mid)}, {kc, "/notifications"}, {kc, "/measures"},
			{kc, "/search?q=calendrier"},
			{mc, "/audit"}, {ac, idPath("/admin/users/", zineb.ID)}, {ac, "/dashboard"},
		}
		for _, r := range reads {
			resp := r.c.Request("GET", r.path, nil)
			if resp.Status != 200 {
				t.Errorf("GET %s: %d", r.path, resp.Status)
				continue
			}
			body := string(resp.Body)
			for _, s := range secrets {
				if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
					t.Errorf("GET %s still says %q", r.path, s)
				}
			}
		}
		// The mention in the measure's text went through the co-editing
		// log: the live document says the pseudonym too.
		doc, _, err := app.Store.CollabDoc(ctx, mid)
		if err != nil || !strings.Contains(doc, fmt.Sprintf("@[%s](user:%d)", pseudonym, zineb.ID)) {
			t.Errorf("the co-edited text after erasure: %q, %v", doc, err)
		}
		page := string(kc.Request("GET", fmt.Sprintf("/measures/%d", mid), nil).Body)
		if !strings.Contains(page, "Ancien membre n° "+fmt.Sprint(zineb.ID)) {
			t.Error("the measure page does not show her comment under the pseudonym")
		}
		var erasedID int64
		if err := app.Store.Read(ctx).Raw("SELECT id FROM events WHERE type = 'user.erased' AND subject_user_id = ?", zineb.ID).Row().Scan(&erasedID); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"SELECT payload FROM events WHERE id <= ?",
			"SELECT excerpt FROM notifications WHERE id > ?",
			"SELECT to_address FROM mail_log WHERE id > ?",
			"SELECT body || body_html FROM comments WHERE id > ?",
			"SELECT body FROM revisions WHERE number > ?",
			"SELECT body FROM measures WHERE id > ?",
			"SELECT changes FROM collab_updates WHERE version > ? AND client_id = 'server' AND user_id = " + fmt.Sprint(zineb.ID),
			"SELECT name || email FROM users WHERE id = " + fmt.Sprint(zineb.ID) + " AND id > ?",
		} {
			arg := int64(0)
			if strings.Contains(q, "<=") {
				arg = erasedID
			}
			rows, err := app.Store.Read(ctx).Raw(q, arg).Rows()
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				for _, s := range secrets {
					if strings.Contains(strings.ToLower(v), strings.ToLower(s)) {
						t.Errorf("%s: a row still says %q: %s", q, s, v)
					}
				}
			}
			rows.Close()
		}
		for _, line := range strings.Split(app.Logs.String()[logMark:], "\n") {
			for _, s := range secrets {
				if strings.Contains(line, s) {
					t.Errorf("a log line says %q: %s", s, line)
				}
			}
		}
		var payload string
		if err := app.Store.Read(ctx).Raw("SELECT payload FROM events WHERE id = ?", erasedID).Row().Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if payload != fmt.Sprintf(`{"comment_ids":[%d],"measure_ids":[%d],"user_id":%d}`, own.ID+1, mid, zineb.ID) {
			t.Errorf("the erasure's event holds %s, want the user id and the comment that mentioned her", payload)
		}
		// The log was rewritten where it named her, and its chain holds.
		if v, err := app.Store.CheckAuditChain(ctx); err != nil || v.Problem != "" {
			t.Errorf("after erasure the audit chain: %+v, %v", v, err)
		}
		// The profile page of the account is gone with it.
		wantStatus(t, kc.Request("GET", idPath("/people/", zineb.ID), nil), 404)

		// Her address is free: it can be invited as a new person.
		invite(t, ac, zineb.Email, app.Org("apebi").ID, models.RoleMember)
	})
}

// TestErasure_Refusals: who may erase whom, the last admin, a second
// erasure, the rate limit on wrong passwords, and an invited person's
// link.
func TestErasure_Refusals(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		admin := app.User(models.RoleAdmin, "")
		mod := app.User(models.RoleModerator, "")
		member := app.User(models.RoleMember, "apebi")
		other := app.User(models.RoleMember, "mnc")
		ac, mc, memc := app.Login(admin), app.Login(mod), app.Login(member)

		wantStatus(t, memc.Request("POST", idPath("/api/v1/users/", other.ID)+"/erase", nil), 404)
		wantStatus(t, mc.Request("POST", idPath("/api/v1/users/", other.ID)+"/erase", nil), 403)
		wantStatus(t, ac.Request("POST", idPath("/api/v1/users/", admin.ID)+"/erase", nil), 403) // oneself: from the profile
		wantStatus(t, ac.Request("POST", "/api/v1/users/999999/erase", nil), 404)
		wantError(t, app.LoginWithPassword(admin).Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword}), 409, "last_admin")

		second := app.User(models.RoleAdmin, "")
		wantStatus(t, ac.Request("POST", idPath("/api/v1/users/", second.ID)+"/erase", nil), 204)
		wantError(t, ac.Request("POST", idPath("/api/v1/users/", second.ID)+"/erase", nil), 409, "already_erased")
		wantStatus(t, ac.Request("POST", idPath("/api/v1/users/", other.ID)+"/erase", nil), 204)

		// An invited person erased before accepting: the link is dead.
		inv := invite(t, ac, "nouvelle.personne@example.ma", app.Org("msec").ID, models.RoleMember)
		var pending struct{ ID int64 }
		if err := app.Store.Read(context.Background()).Raw("SELECT id FROM users WHERE email = ?", "nouvelle.personne@example.ma").Row().Scan(&pending.ID); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, ac.Request("POST", idPath("/api/v1/users/", pending.ID)+"/erase", nil), 204)
		if st := app.Anonymous().Request("GET", "/api/v1/invitations/"+inv.Token, nil).Status; st != 404 && st != 410 {
			t.Errorf("the erased person's invitation link answers %d", st)
		}

		// Wrong passwords are counted like sign-ins: the eleventh is told
		// to wait, even with the right password.
		mp := app.LoginWithPassword(member)
		for i := 0; i < models.MaxFailuresPerKey; i++ {
			wantError(t, mp.Request("POST", "/api/v1/me/erase", map[string]any{"password": fmt.Sprint("wrong ", i)}), 422, "invalid_fields", "password")
		}
		wantError(t, mp.Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword}), 429, "too_many_attempts")
		wantStatus(t, mp.Request("GET", "/api/v1/me", nil), 200)
	})
}

// TestErasure_Pages: the profile's form keeps the person on the page with
// the field marked when the password is wrong, and erases and signs out
// when it is right; the admin's form asks first.
func TestErasure_Pages(t *testing.T) {
	app := servertest.New(t, "sqlite")
	admin := app.User(models.RoleAdmin, "")
	member := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "ausim")

	b := browser(t, app)
	r := postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {member.Email}, "password": {servertest.DefaultPassword}})
	wantStatus(t, r, 303)
	r = getHTML(b, "/profile")
	wantBody(t, "profile", r, `action="/profile/erase"`, "Effacer mon compte", models.ErasedName(member.ID))
	b.CSRF = csrfFromHTML(t, r.Body)
	r = postForm(b, "/profile/erase", url.Values{"csrf_token": {b.CSRF}, "erase_password": {"wrong one"}})
	wantStatus(t, r, 422)
	wantBody(t, "wrong password", r, `id="erase_password" name="erase_password" type="password" autocomplete="current-password" required aria-invalid="true" autofocus`)
	r = postForm(b, "/profile/erase", url.Values{"csrf_token": {b.CSRF}, "erase_password": {servertest.DefaultPassword}})
	wantStatus(t, r, 303)
	if loc := r.Header.Get("Location"); loc != "/login" {
		t.Errorf("after erasure: redirected to %q", loc)
	}
	r = getHTML(b, "/login")
	wantBody(t, "farewell", r, "Votre compte a été effacé")
	if st := getHTML(b, "/profile").Status; st != 303 && st != 401 {
		t.Errorf("the erased person's browser still reaches the profile: %d", st)
	}

	a := browser(t, app)
	wantStatus(t, postForm(a, "/login", url.Values{"csrf_token": {a.CSRF}, "email": {admin.Email}, "password": {servertest.DefaultPassword}}), 303)
	r = getHTML(a, idPath("/admin/users/", other.ID))
	wantBody(t, "admin's user page", r, idPath(`action="/admin/users/`, other.ID)+`/erase"`)
	a.CSRF = csrfFromHTML(t, r.Body)
	r = postForm(a, idPath("/admin/users/", other.ID)+"/erase", url.Values{"csrf_token": {a.CSRF}})
	wantStatus(t, r, 200)
	wantBody(t, "confirmation", r, "Effacer le compte de", `name="confirmed" value="yes"`)
	r = postForm(a, idPath("/admin/users/", other.ID)+"/erase", url.Values{"csrf_token": {a.CSRF}, "confirmed": {"yes"}})
	wantStatus(t, r, 303)
	r = getHTML(a, idPath("/admin/users/", other.ID))
	wantBody(t, "erased account", r, "Le compte a été effacé", models.ErasedName(other.ID), "Effacé")
	if strings.Contains(string(r.Body), other.Email) {
		t.Error("the erased account's page still shows its address")
	}
}

// TestErasure_SecondFactor: with two-step sign-in on, erasing oneself also
// needs a code; a missing or wrong one is said on its field, and a
// recovery code works.
func TestErasure_SecondFactor(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleReviewer, "ministry")
	c := app.Login(u)
	secret, codes := enrolTOTP(t, app, c)
	wantError(t, c.Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword}), 422, "invalid_fields", "totp")
	wantError(t, c.Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword, "totp": "000000"}), 422, "invalid_fields", "totp")
	wantError(t, c.Request("POST", "/api/v1/me/erase", map[string]any{"password": "wrong one", "totp": nextTOTPCode(t, app, secret)}), 422, "invalid_fields", "password")
	wantStatus(t, c.Request("GET", "/api/v1/me", nil), 200)
	wantStatus(t, c.Request("POST", "/api/v1/me/erase", map[string]any{"password": servertest.DefaultPassword, "totp": codes[0]}), 202)
	if n := countRows(t, app, "totp_recovery_codes", "user_id = ?", u.ID); n != 0 {
		t.Errorf("%d recovery codes left", n)
	}
	if n := countRows(t, app, "users", "id = ? AND totp_secret = '' AND NOT totp_enabled AND password_hash = ''", u.ID); n != 1 {
		t.Error("the second factor or the password is still on the erased account")
	}
}
