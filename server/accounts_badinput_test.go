package server_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// onlyReader hides a reader's length, so the body goes out chunked.
type onlyReader struct{ io.Reader }

func TestAccountsBadInput_JSON(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		target := app.User(models.RoleMember, "apebi")
		inv := invite(t, mod, "json@example.ma", app.Org("apebi").ID, models.RoleMember)
		endpoints := []struct {
			method, path string
			c            *servertest.Client
		}{
			{"POST", "/api/v1/session", script(app)},
			{"POST", "/api/v1/tokens", mod},
			{"POST", "/api/v1/invitations", mod},
			{"POST", "/api/v1/invitations/" + inv.Token + "/accept", script(app)},
			{"PATCH", idPath("/api/v1/users/", target.ID), mod},
			{"PATCH", "/api/v1/me", mod},
		}
		for _, ep := range endpoints {
			for _, body := range []string{`{"email":`, `{"name": "x",}`, `[1, 2]`, `"just a string"`, `{} {}`, `nul`} {
				r := ep.c.Raw(ep.method, ep.path, "application/json", strings.NewReader(body))
				wantError(t, r, 400, "malformed_json")
			}
			r := ep.c.Raw(ep.method, ep.path, "application/json", nil)
			wantError(t, r, 400, "malformed_json")
			r = ep.c.Raw(ep.method, ep.path, "text/plain", strings.NewReader(`{"name":"x"}`))
			if r.Status != 400 && r.Status != 415 {
				t.Errorf("%s %s as text/plain: %d, want 400 or 415", ep.method, ep.path, r.Status)
			}
			wantError(t, r, r.Status, "")
			r = ep.c.Raw(ep.method, ep.path, "application/x-www-form-urlencoded", strings.NewReader(`name=x&email=y`))
			if r.Status != 400 && r.Status != 415 {
				t.Errorf("%s %s as a form: %d, want 400 or 415", ep.method, ep.path, r.Status)
			}
		}
		// Wrong types name their field.
		wantError(t, script(app).Raw("POST", "/api/v1/session", "application/json", strings.NewReader(`{"email": 5, "password": "x"}`)), 422, "invalid_fields", "email")
		wantError(t, mod.Raw("POST", "/api/v1/invitations", "application/json", strings.NewReader(`{"email":"a@b.ma","name":"A","role":"member","organization_id":"apebi"}`)), 422, "invalid_fields", "organization_id")
		wantError(t, mod.Raw("PATCH", idPath("/api/v1/users/", target.ID), "application/json", strings.NewReader(`{"role": 7}`)), 422, "invalid_fields", "role")
		wantError(t, mod.Raw("PATCH", "/api/v1/me", "application/json", strings.NewReader(`{"name": ["a"]}`)), 422, "invalid_fields", "name")
		wantError(t, mod.Raw("POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name": {"a": 1}}`)), 422, "invalid_fields", "name")
		wantError(t, script(app).Raw("POST", "/api/v1/invitations/"+inv.Token+"/accept", "application/json", strings.NewReader(`{"password": 1234567890123}`)), 422, "invalid_fields", "password")
		// The invitation survived all of that.
		wantStatus(t, script(app).Request("GET", "/api/v1/invitations/"+inv.Token, nil), 200)
	})
}

func TestAccountsBadInput_TooLarge(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		big := `{"name": "` + strings.Repeat("x", 3<<20) + `"}`
		for _, c := range []*servertest.Client{script(app), mod} {
			r := c.Raw("POST", "/api/v1/session", "application/json", strings.NewReader(big))
			wantError(t, r, 413, "")
			// Without a Content-Length the limit still holds while reading.
			r = c.Raw("POST", "/api/v1/tokens", "application/json", onlyReader{bytes.NewReader([]byte(big))})
			if c == mod {
				wantError(t, r, 413, "")
			} else if r.Status != 413 && r.Status != 401 {
				t.Errorf("anonymous chunked 3 MB: %d", r.Status)
			}
		}
		if n := countRows(t, app, "api_tokens", ""); n != 0 {
			t.Errorf("%d tokens created from oversized bodies", n)
		}
	})
}

func TestAccountsBadInput_Invitations(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		apebi, ministry := app.Org("apebi").ID, app.Org("ministry").ID
		users, invs := countRows(t, app, "users", ""), countRows(t, app, "invitations", "")
		cases := []struct {
			name   string
			body   map[string]any
			fields []string
		}{
			{"Empty", map[string]any{}, []string{"email", "name", "role", "organization_id"}},
			{"NameTooLong", inviteBody("long@example.ma", strings.Repeat("n", 121), apebi, "member"), []string{"name"}},
			{"NameBlank", inviteBody("blank@example.ma", "   ", apebi, "member"), []string{"name"}},
			{"NameLineBreak", inviteBody("lb@example.ma", "Two\nLines", apebi, "member"), []string{"name"}},
			{"EmailTooLong", inviteBody(strings.Repeat("e", 250)+"@example.ma", "Long", apebi, "member"), []string{"email"}},
			{"EmailInvalid", inviteBody("not-an-email", "X", apebi, "member"), []string{"email"}},
			{"EmailNoDomain", inviteBody("someone@localhost", "X", apebi, "member"), []string{"email"}},
			{"EmailDisplayName", inviteBody("Someone <someone@example.ma>", "X", apebi, "member"), []string{"email"}},
			{"RoleUnknown", inviteBody("role@example.ma", "X", apebi, "king"), []string{"role"}},
			{"OrganizationUnknown", inviteBody("org@example.ma", "X", 99999, "member"), []string{"organization_id"}},
			{"OrganizationMissing", inviteBody("org2@example.ma", "X", 0, "member"), []string{"organization_id"}},
			{"MemberOfTheMinistry", inviteBody("mm@example.ma", "X", ministry, "member"), []string{"role"}},
			{"ReviewerOfAFederation", inviteBody("rf@example.ma", "X", apebi, "reviewer"), []string{"role"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, mod.Request("POST", "/api/v1/invitations", tc.body), 422, "invalid_fields", tc.fields...)
			})
		}
		if u, i := countRows(t, app, "users", ""), countRows(t, app, "invitations", ""); u != users || i != invs {
			t.Errorf("failed invitations wrote rows: users %d→%d, invitations %d→%d", users, u, invs, i)
		}
		// The limits themselves are allowed: 120 characters (any script)
		// and a 254-character address.
		name := strings.Repeat("م", 120)
		email := strings.Repeat("e", 254-len("@example.ma")) + "@example.ma"
		r := mod.Request("POST", "/api/v1/invitations", inviteBody(email, name, apebi, "member"))
		wantStatus(t, r, 201)
		var u apiUser
		var ls struct {
			Items []apiUser `json:"items"`
		}
		mod.Do("GET", "/api/v1/users?status=invited", nil, &ls)
		if len(ls.Items) == 1 {
			u = ls.Items[0]
		}
		if u.Name != name || u.Email == nil || *u.Email != email {
			t.Errorf("stored %q <%v>; nothing may be truncated", u.Name, u.Email)
		}
	})
}

func TestAccountsBadInput_Passwords(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		inv := invite(t, mod, "weak@example.ma", app.Org("apebi").ID, models.RoleMember)
		accept := func(pw string) *servertest.Response {
			return script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": pw})
		}
		for _, pw := range []string{"", "password123", "PASSWORD123", "aaaaaaaaaa", "k7#pQ2!xz", "0123456789", "abcabcabcabc", "weak@example.ma", strings.Repeat("x", 200) + strings.Repeat("y", 57)} {
			wantError(t, accept(pw), 422, "invalid_fields", "password")
		}
		// A failed accept leaves the link usable and the account invited.
		var show map[string]any
		if st := script(app).Do("GET", "/api/v1/invitations/"+inv.Token, nil, &show); st != 200 {
			t.Fatalf("invitation after failed accepts: %d", st)
		}
		if n := countRows(t, app, "users", "email = ? AND status = ?", "weak@example.ma", "invited"); n != 1 {
			t.Fatal("the account left the invited state")
		}
		// 10 characters, unusual, is enough; 256 with spaces too (no truncation).
		long := strings.Repeat("horse battery ", 19)[:256]
		wantStatus(t, accept(long), 201)
		wantStatus(t, script(app).Request("POST", "/api/v1/session", map[string]string{"email": "weak@example.ma", "password": long}), 200)
		wantError(t, script(app).Request("POST", "/api/v1/session", map[string]string{"email": "weak@example.ma", "password": long[:255]}), 401, "invalid_credentials")
	})
}

func TestAccountsBadInput_InvitationExpired(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		modUser := app.User(models.RoleModerator, "apebi")
		inv := invite(t, app.Login(modUser), "late@example.ma", app.Org("apebi").ID, models.RoleMember)
		app.Clock.Advance(7*24*time.Hour - time.Minute)
		wantStatus(t, script(app).Request("GET", "/api/v1/invitations/"+inv.Token, nil), 200)
		app.Clock.Advance(2 * time.Minute)
		wantError(t, script(app).Request("GET", "/api/v1/invitations/"+inv.Token, nil), 409, "invitation_expired")
		wantError(t, script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 409, "invitation_expired")
		if n := countRows(t, app, "users", "email = ? AND status = ?", "late@example.ma", "invited"); n != 1 {
			t.Error("an expired link activated the account")
		}
		// A moderator can send a fresh one.
		again := invite(t, app.Login(modUser), "late@example.ma", app.Org("apebi").ID, models.RoleMember)
		wantStatus(t, script(app).Request("POST", "/api/v1/invitations/"+again.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 201)
	})
}

func TestAccountsBadInput_UserUpdates(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		adm := app.Login(app.User(models.RoleAdmin, ""))
		target := app.User(models.RoleMember, "apebi")
		path := idPath("/api/v1/users/", target.ID)
		wantError(t, adm.Request("PATCH", path, map[string]string{"role": "king"}), 422, "invalid_fields", "role")
		wantError(t, adm.Request("PATCH", path, map[string]string{"status": "invited"}), 422, "invalid_fields", "status")
		wantError(t, adm.Request("PATCH", path, map[string]string{"status": "deleted"}), 422, "invalid_fields", "status")
		wantError(t, adm.Request("PATCH", path, map[string]string{"role": "reviewer"}), 422, "invalid_fields", "role")
		// An invited account cannot be suspended before it exists.
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		invite(t, mod, "notyet@example.ma", app.Org("apebi").ID, models.RoleMember)
		var ls struct {
			Items []apiUser `json:"items"`
		}
		adm.Do("GET", "/api/v1/users?status=invited", nil, &ls)
		if len(ls.Items) != 1 {
			t.Fatalf("invited: %+v", ls.Items)
		}
		wantError(t, adm.Request("PATCH", idPath("/api/v1/users/", ls.Items[0].ID), map[string]string{"status": "suspended"}), 409, "not_active")
		if n := countRows(t, app, "events", "type = ? AND subject_user_id = ?", "user.updated", target.ID); n != 0 {
			t.Errorf("%d events from refused updates", n)
		}
		u, _ := app.Store.UserByID(t.Context(), target.ID)
		if u.Role != "member" || u.Status != "active" {
			t.Errorf("target is now %s/%s", u.Role, u.Status)
		}
	})
}
