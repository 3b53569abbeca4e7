package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// wantRFC3339UTC checks a time as docs/API.md writes it.
func wantRFC3339UTC(t *testing.T, what, v string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, v)
	if err != nil || !strings.HasSuffix(v, "Z") {
		t.Errorf("%s = %q, want RFC 3339 UTC", what, v)
	}
	return ts
}

// wantUserObject checks the user object of docs/API.md field by field.
func wantUserObject(t *testing.T, raw json.RawMessage, u *models.User, withEmail bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("user object %s: %v", raw, err)
	}
	for _, k := range []string{"id", "name", "organization_id", "role", "status", "created_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("user object lacks %q: %s", k, raw)
		}
	}
	if _, ok := m["password_hash"]; ok {
		t.Errorf("user object shows the password hash: %s", raw)
	}
	if strings.Contains(string(raw), "argon2") {
		t.Errorf("user object leaks a hash: %s", raw)
	}
	var uo apiUser
	json.Unmarshal(raw, &uo)
	if uo.ID != u.ID || uo.Name != u.Name || uo.Role != u.Role {
		t.Errorf("user object %s, want id %d name %q role %s", raw, u.ID, u.Name, u.Role)
	}
	if withEmail && (uo.Email == nil || *uo.Email != u.Email) {
		t.Errorf("user object %s: email missing, want %s", raw, u.Email)
	}
	if !withEmail && uo.Email != nil && *uo.Email != "" {
		t.Errorf("user object %s shows the email to someone who may not see it", raw)
	}
	wantRFC3339UTC(t, "created_at", uo.CreatedAt)
}

func TestAccountsAPI_Health(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		c := script(app)
		r := c.Raw("GET", "/healthz", "", nil)
		wantStatus(t, r, 200)
		if strings.TrimSpace(string(r.Body)) != `{"status":"ok"}` {
			t.Errorf("healthz body %s", r.Body)
		}
		c.Raw("GET", "/api/v1/organizations", "", nil)
		r = c.Raw("GET", "/metrics", "", nil)
		wantStatus(t, r, 200)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("metrics Content-Type %q", ct)
		}
		body := string(r.Body)
		for _, want := range []string{"# TYPE pacte_http_requests_total counter", `pacte_http_requests_total{method="GET",route="/api/v1/organizations",status="200"} 1`,
			"pacte_http_request_duration_seconds_bucket", "pacte_websocket_connections", "pacte_events_published_total"} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func TestAccountsAPI_Session(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		t.Run("OK", func(t *testing.T) {
			c := app.Anonymous()
			r := c.Request("POST", "/api/v1/session", map[string]string{"email": "  " + strings.ToUpper(u.Email) + " ", "password": servertest.DefaultPassword})
			wantStatus(t, r, 200)
			var out struct {
				User json.RawMessage `json:"user"`
				CSRF string          `json:"csrf_token"`
			}
			if err := r.JSON(&out); err != nil {
				t.Fatal(err)
			}
			wantUserObject(t, out.User, u, true)
			if len(out.CSRF) < 22 {
				t.Errorf("csrf_token %q is too short to be random", out.CSRF)
			}
			if setCookie(r, "pacte_session") == nil {
				t.Fatalf("no session cookie in %v", r.Header.Values("Set-Cookie"))
			}
			c.CSRF = out.CSRF
			var me struct {
				User json.RawMessage `json:"user"`
				CSRF string          `json:"csrf_token"`
			}
			if st := c.Do("GET", "/api/v1/me", nil, &me); st != 200 {
				t.Fatalf("me: %d", st)
			}
			wantUserObject(t, me.User, u, true)
			if me.CSRF != out.CSRF {
				t.Errorf("me csrf_token %q, want the session's %q", me.CSRF, out.CSRF)
			}
			r = c.Request("DELETE", "/api/v1/session", nil)
			wantStatus(t, r, 204)
			if len(r.Body) != 0 {
				t.Errorf("204 with a body: %q", r.Body)
			}
			wantError(t, c.Request("GET", "/api/v1/me", nil), 401, "unauthorized")
		})
		t.Run("ErrInvalidCredentials", func(t *testing.T) {
			c := script(app)
			wrong := c.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": "not the right password"})
			wantError(t, wrong, 401, "invalid_credentials")
			unknown := c.Request("POST", "/api/v1/session", map[string]string{"email": "nobody@example.ma", "password": "not the right password"})
			wantError(t, unknown, 401, "invalid_credentials")
			if string(wrong.Body) != string(unknown.Body) {
				t.Errorf("unknown email and wrong password answer differently:\n%s\n%s", wrong.Body, unknown.Body)
			}
		})
		t.Run("ErrSuspended", func(t *testing.T) {
			admin := app.User(models.RoleAdmin, "")
			s := app.User(models.RoleMember, "mnc")
			setStatus(t, app, admin, s, models.StatusSuspended)
			r := script(app).Request("POST", "/api/v1/session", map[string]string{"email": s.Email, "password": servertest.DefaultPassword})
			if r.Status != 403 && r.Status != 401 {
				t.Errorf("suspended sign-in: %d %s", r.Status, r.Body)
			}
			if setCookie(r, "pacte_session") != nil {
				t.Error("a suspended account got a session cookie")
			}
		})
		t.Run("ErrInvitedCannotSignIn", func(t *testing.T) {
			mod := app.Login(app.User(models.RoleModerator, "apebi"))
			invite(t, mod, "pending@example.ma", app.Org("apebi").ID, models.RoleMember)
			r := script(app).Request("POST", "/api/v1/session", map[string]string{"email": "pending@example.ma", "password": ""})
			wantError(t, r, 422, "invalid_fields", "password")
			r = script(app).Request("POST", "/api/v1/session", map[string]string{"email": "pending@example.ma", "password": "whatever at all"})
			wantError(t, r, 401, "invalid_credentials")
		})
		t.Run("ErrLogoutAnonymous", func(t *testing.T) {
			wantError(t, script(app).Request("DELETE", "/api/v1/session", nil), 401, "")
		})
	})
}

type tokenOut struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Token      string  `json:"token"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

func TestAccountsAPI_Tokens(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleReviewer, "ministry")
		c := app.Login(u)
		var tok tokenOut
		r := c.Request("POST", "/api/v1/tokens", map[string]string{"name": "  CI script  "})
		wantStatus(t, r, 201)
		if err := r.JSON(&tok); err != nil {
			t.Fatal(err)
		}
		if tok.ID == 0 || tok.Name != "CI script" || len(tok.Token) < 32 {
			t.Fatalf("created token %+v", tok)
		}
		wantRFC3339UTC(t, "created_at", tok.CreatedAt)

		// The token works as a bearer, without CSRF token or cookie.
		bearer := script(app)
		bearer.Bearer = tok.Token
		var me struct {
			User apiUser `json:"user"`
			CSRF string  `json:"csrf_token"`
		}
		if st := bearer.Do("GET", "/api/v1/me", nil, &me); st != 200 || me.User.ID != u.ID {
			t.Fatalf("bearer me: %d %+v", st, me)
		}
		var second tokenOut
		if st := bearer.Do("POST", "/api/v1/tokens", map[string]string{"name": "second"}, &second); st != 201 {
			t.Fatalf("bearer POST needs no CSRF token: %d", st)
		}

		// The list never shows a value; it tells when a token was last used.
		var ls struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		if st := c.Do("GET", "/api/v1/tokens", nil, &ls); st != 200 {
			t.Fatalf("list: %d", st)
		}
		if len(ls.Items) != 2 || ls.NextCursor == nil {
			t.Fatalf("list %+v", ls)
		}
		for _, it := range ls.Items {
			if _, ok := it["token"]; ok {
				t.Errorf("token value listed: %v", it)
			}
			if _, ok := it["token_hash"]; ok {
				t.Errorf("token hash listed: %v", it)
			}
		}
		if ls.Items[0]["last_used_at"] == nil {
			t.Errorf("last_used_at not recorded after use: %v", ls.Items[0])
		} else {
			wantRFC3339UTC(t, "last_used_at", ls.Items[0]["last_used_at"].(string))
		}
		if strings.Contains(string(c.Request("GET", "/api/v1/tokens", nil).Body), tok.Token) {
			t.Error("the list shows the token value")
		}

		// Someone else cannot revoke it; its owner can, and then it is dead.
		other := app.Login(app.User(models.RoleModerator, "apebi"))
		wantError(t, other.Request("DELETE", idPath("/api/v1/tokens/", tok.ID), nil), 404, "not_found")
		wantStatus(t, c.Request("DELETE", idPath("/api/v1/tokens/", tok.ID), nil), 204)
		wantError(t, bearer.Request("GET", "/api/v1/me", nil), 401, "invalid_token")
		wantError(t, c.Request("DELETE", idPath("/api/v1/tokens/", tok.ID), nil), 404, "not_found")
		wantError(t, c.Request("DELETE", "/api/v1/tokens/abc", nil), 404, "")

		bad := script(app)
		bad.Bearer = "pct_made-up"
		wantError(t, bad.Request("GET", "/api/v1/me", nil), 401, "invalid_token")
		bad.Bearer = ""
		bad.Headers["Authorization"] = "Basic dXNlcjpwYXNz"
		wantError(t, bad.Request("GET", "/api/v1/me", nil), 401, "invalid_token")

		// Names are checked.
		wantError(t, c.Request("POST", "/api/v1/tokens", map[string]string{"name": ""}), 422, "invalid_fields", "name")
		wantError(t, c.Request("POST", "/api/v1/tokens", map[string]string{"name": strings.Repeat("n", 121)}), 422, "invalid_fields", "name")
	})
}

func TestAccountsAPI_OrganizationsAndTaxonomy(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		c := script(app)
		var orgs struct {
			Items []struct {
				ID   int64  `json:"id"`
				Slug string `json:"slug"`
				Name string `json:"name"`
				Kind string `json:"kind"`
			} `json:"items"`
		}
		if st := c.Do("GET", "/api/v1/organizations", nil, &orgs); st != 200 {
			t.Fatalf("organizations: %d", st)
		}
		var slugs []string
		for _, o := range orgs.Items {
			slugs = append(slugs, o.Slug)
			if o.ID == 0 || o.Name == "" || (o.Kind != "federation" && o.Kind != "ministry") {
				t.Errorf("organisation %+v", o)
			}
		}
		sort.Strings(slugs)
		if strings.Join(slugs, ",") != "apebi,ausim,ministry,mnc,msec" {
			t.Errorf("slugs %v", slugs)
		}

		var tax struct {
			Items []struct {
				Key  string `json:"key"`
				Name string `json:"name"`
				Axes []struct {
					Key  string `json:"key"`
					Name string `json:"name"`
				} `json:"axes"`
			} `json:"items"`
		}
		c.Headers["Accept-Language"] = "en"
		if st := c.Do("GET", "/api/v1/taxonomy", nil, &tax); st != 200 {
			t.Fatalf("taxonomy: %d", st)
		}
		var keys []string
		axes := map[string][]string{}
		for _, p := range tax.Items {
			keys = append(keys, p.Key)
			if p.Axes == nil {
				t.Errorf("pillar %s: axes is null, want a list", p.Key)
			}
			for _, a := range p.Axes {
				axes[p.Key] = append(axes[p.Key], a.Key)
				if a.Name == "" {
					t.Errorf("axis %s has no name", a.Key)
				}
			}
		}
		if strings.Join(keys, ",") != "public_services,digital_economy,enablers" {
			t.Errorf("pillars %v", keys)
		}
		if got := strings.Join(axes["digital_economy"], ","); got != "offshoring,startups,sme_digitalisation,youth_it_training" {
			t.Errorf("digital_economy axes %s", got)
		}
		if len(tax.Items) > 0 && tax.Items[1].Name != "Digital economy" {
			t.Errorf("Accept-Language en: pillar name %q", tax.Items[1].Name)
		}
	})
}

func TestAccountsAPI_Invitations(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "ausim"))
		ausim := app.Org("ausim").ID
		r := mod.Request("POST", "/api/v1/invitations", inviteBody("New.Person@Example.MA", " New Person ", ausim, models.RoleMember))
		wantStatus(t, r, 201)
		var inv invitationJSON
		r.JSON(&inv)
		if inv.ID == 0 || len(inv.Token) < 32 {
			t.Fatalf("invitation %s", r.Body)
		}
		if inv.InviteURL != app.URL+"/invitations/"+inv.Token {
			t.Errorf("invite_url %q, want the accepting page", inv.InviteURL)
		}
		exp := wantRFC3339UTC(t, "expires_at", inv.ExpiresAt)
		if d := time.Until(exp); d < 6*24*time.Hour || d > 8*24*time.Hour {
			t.Errorf("invitation expires in %v, want about a week", d)
		}

		// The link shows whom it is for, to anyone holding it.
		var show map[string]any
		if st := script(app).Do("GET", "/api/v1/invitations/"+inv.Token, nil, &show); st != 200 || show["email"] != "new.person@example.ma" || show["name"] != "New Person" {
			t.Errorf("show invitation: %d %v", st, show)
		}
		// The invited person is listed, not yet active.
		var ls struct {
			Items []apiUser `json:"items"`
		}
		mod.Do("GET", "/api/v1/users?status=invited", nil, &ls)
		if len(ls.Items) != 1 || ls.Items[0].Status != "invited" {
			t.Errorf("invited list %+v", ls.Items)
		}

		// Accepting sets the password; no sign-in needed.
		r = script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": "a long and unusual phrase"})
		wantStatus(t, r, 201)
		var acc struct {
			User apiUser `json:"user"`
		}
		r.JSON(&acc)
		if acc.User.Status != "active" || acc.User.Role != "member" || acc.User.OrganizationID == nil || *acc.User.OrganizationID != ausim ||
			acc.User.Email == nil || *acc.User.Email != "new.person@example.ma" {
			t.Errorf("accepted user %s", r.Body)
		}
		if st := script(app).Do("POST", "/api/v1/session", map[string]string{"email": "new.person@example.ma", "password": "a long and unusual phrase"}, nil); st != 200 {
			t.Errorf("sign-in after accepting: %d", st)
		}
		// Single use.
		wantError(t, script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": "another long phrase"}), 409, "invitation_used")
		wantError(t, script(app).Request("GET", "/api/v1/invitations/"+inv.Token, nil), 409, "invitation_used")
		wantError(t, script(app).Request("GET", "/api/v1/invitations/not-a-token", nil), 404, "invitation_not_found")
		wantError(t, script(app).Request("POST", "/api/v1/invitations/not-a-token/accept", map[string]string{"password": "a long and unusual phrase"}), 404, "invitation_not_found")

		// An active address cannot be invited again.
		wantError(t, mod.Request("POST", "/api/v1/invitations", inviteBody("new.person@example.ma", "Again", ausim, models.RoleMember)), 409, "email_taken", "email")

		// Inviting a still-invited address again issues a fresh link and
		// revokes the old one.
		first := invite(t, mod, "twice@example.ma", ausim, models.RoleMember)
		second := invite(t, mod, "twice@example.ma", ausim, models.RoleMember)
		wantError(t, script(app).Request("POST", "/api/v1/invitations/"+first.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 409, "invitation_used")
		wantStatus(t, script(app).Request("POST", "/api/v1/invitations/"+second.Token+"/accept", map[string]string{"password": "a long and unusual phrase"}), 201)
		if n := countRows(t, app, "users", "email = ?", "twice@example.ma"); n != 1 {
			t.Errorf("%d accounts for one address", n)
		}
		// Events record who invited whom.
		if n := countRows(t, app, "events", "type = ?", "user.invited"); n != 3 {
			t.Errorf("%d user.invited events, want 3", n)
		}
		if n := countRows(t, app, "events", "type = ?", "user.activated"); n != 2 {
			t.Errorf("%d user.activated events, want 2", n)
		}
	})
}

func TestAccountsAPI_Users(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		admin := app.User(models.RoleAdmin, "")
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		for i := 0; i < 6; i++ {
			app.User(models.RoleMember, []string{"apebi", "ausim", "mnc"}[i%3])
		}
		rev := app.User(models.RoleReviewer, "ministry")
		susp := app.User(models.RoleMember, "msec")
		setStatus(t, app, admin, susp, models.StatusSuspended)

		list := func(query string) ([]apiUser, string) {
			t.Helper()
			var out struct {
				Items      []apiUser `json:"items"`
				NextCursor *string   `json:"next_cursor"`
			}
			r := mod.Request("GET", "/api/v1/users"+query, nil)
			if r.Status != 200 {
				t.Fatalf("GET /api/v1/users%s: %d %s", query, r.Status, r.Body)
			}
			if err := r.JSON(&out); err != nil || out.Items == nil || out.NextCursor == nil {
				t.Fatalf("list envelope %s", r.Body)
			}
			return out.Items, *out.NextCursor
		}
		all, next := list("")
		if len(all) != 10 || next != "" {
			t.Fatalf("%d users, next %q; want 10 and no cursor", len(all), next)
		}
		for _, u := range all {
			if u.Email == nil || *u.Email == "" {
				t.Errorf("moderator does not see the email of %d", u.ID)
			}
		}

		t.Run("Search", func(t *testing.T) {
			got, _ := list("?q=" + url.QueryEscape(strings.ToUpper(rev.Name[:5])))
			if len(got) != 1 || got[0].ID != rev.ID {
				t.Errorf("search by name: %+v", got)
			}
			got, _ = list("?q=" + url.QueryEscape(susp.Email))
			if len(got) != 1 || got[0].ID != susp.ID {
				t.Errorf("search by email: %+v", got)
			}
			// LIKE wildcards are taken literally.
			for _, q := range []string{"%", "_", `\`} {
				if got, _ := list("?q=" + url.QueryEscape(q)); len(got) != 0 {
					t.Errorf("q=%s matched %d users", q, len(got))
				}
			}
		})
		t.Run("Filters", func(t *testing.T) {
			if got, _ := list("?role=reviewer"); len(got) != 1 || got[0].ID != rev.ID {
				t.Errorf("role filter: %+v", got)
			}
			if got, _ := list("?status=suspended"); len(got) != 1 || got[0].ID != susp.ID {
				t.Errorf("status filter: %+v", got)
			}
			ausim := app.Org("ausim").ID
			got, _ := list(fmt.Sprintf("?organization_id=%d&role=member", ausim))
			if len(got) != 2 {
				t.Errorf("organisation filter: %d users", len(got))
			}
			for _, u := range got {
				if u.OrganizationID == nil || *u.OrganizationID != ausim {
					t.Errorf("organisation filter let %+v through", u)
				}
			}
			wantError(t, mod.Request("GET", "/api/v1/users?role=king", nil), 422, "invalid_fields", "role")
			wantError(t, mod.Request("GET", "/api/v1/users?status=gone", nil), 422, "invalid_fields", "status")
			r := mod.Request("GET", "/api/v1/users?organization_id=abc", nil)
			if r.Status != 400 && r.Status != 422 {
				t.Errorf("organization_id=abc: %d", r.Status)
			}
		})
		t.Run("Pagination", func(t *testing.T) {
			var ids []int64
			cursor, pages := "", 0
			for {
				got, next := list("?limit=3&cursor=" + url.QueryEscape(cursor))
				if len(got) > 3 {
					t.Fatalf("limit 3 gave %d", len(got))
				}
				for _, u := range got {
					ids = append(ids, u.ID)
				}
				pages++
				if next == "" || pages > 10 {
					break
				}
				cursor = next
			}
			if pages != 4 || len(ids) != len(all) {
				t.Errorf("%d pages, %d users; want 4 pages of the %d users", pages, len(ids), len(all))
			}
			for i := range ids {
				if i < len(all) && ids[i] != all[i].ID {
					t.Errorf("page order differs at %d: %v", i, ids)
					break
				}
			}
			wantError(t, mod.Request("GET", "/api/v1/users?cursor=%21%21", nil), 400, "invalid_cursor")
			r := mod.Request("GET", "/api/v1/users?limit=-1", nil)
			if r.Status != 400 && r.Status != 422 {
				t.Errorf("limit=-1: %d", r.Status)
			}
		})
		t.Run("GetAndPatch", func(t *testing.T) {
			var got json.RawMessage
			if st := mod.Do("GET", idPath("/api/v1/users/", rev.ID), nil, &got); st != 200 {
				t.Fatalf("get: %d", st)
			}
			wantUserObject(t, got, rev, true)
			wantError(t, mod.Request("GET", "/api/v1/users/999999", nil), 404, "not_found")
			wantError(t, mod.Request("GET", "/api/v1/users/abc", nil), 404, "")

			target := app.User(models.RoleMember, "apebi")
			r := mod.Request("PATCH", idPath("/api/v1/users/", target.ID), map[string]string{"status": "suspended"})
			wantStatus(t, r, 200)
			var u apiUser
			r.JSON(&u)
			if u.Status != "suspended" || u.ID != target.ID {
				t.Errorf("patched %s", r.Body)
			}
			r = mod.Request("PATCH", idPath("/api/v1/users/", target.ID), map[string]string{"status": "active", "role": "reviewer"})
			wantError(t, r, 422, "invalid_fields", "role") // a reviewer belongs to the ministry
			r = mod.Request("PATCH", idPath("/api/v1/users/", target.ID), map[string]string{"status": "active"})
			wantStatus(t, r, 200)
			if n := countRows(t, app, "events", "type = ? AND subject_user_id = ?", "user.updated", target.ID); n != 2 {
				t.Errorf("%d user.updated events, want 2", n)
			}
			wantError(t, mod.Request("PATCH", idPath("/api/v1/users/", target.ID), map[string]string{}), 422, "invalid_fields")
			wantError(t, mod.Request("PATCH", "/api/v1/users/999999", map[string]string{"status": "active"}), 404, "not_found")
		})
	})
}

func TestAccountsAPI_ListLimits(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		for i := 0; i < 204; i++ {
			app.User(models.RoleMember, "mnc")
		}
		var out struct {
			Items      []apiUser `json:"items"`
			NextCursor string    `json:"next_cursor"`
		}
		mod.Do("GET", "/api/v1/users", nil, &out)
		if len(out.Items) != 50 || out.NextCursor == "" {
			t.Errorf("default page: %d items, cursor %q; want 50 and a cursor", len(out.Items), out.NextCursor)
		}
		mod.Do("GET", "/api/v1/users?limit=1000", nil, &out)
		if len(out.Items) != 200 || out.NextCursor == "" {
			t.Errorf("limit=1000: %d items; want the maximum, 200", len(out.Items))
		}
		first := out.Items[199].ID
		mod.Do("GET", "/api/v1/users?limit=200&cursor="+out.NextCursor, nil, &out)
		if len(out.Items) != 5 || out.NextCursor != "" || out.Items[0].ID <= first {
			t.Errorf("last page: %d items, cursor %q", len(out.Items), out.NextCursor)
		}
	})
}

func TestAccountsAPI_Me(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		c := app.Login(u)
		var out struct {
			User apiUser `json:"user"`
		}
		r := c.Request("PATCH", "/api/v1/me", map[string]string{"name": "  Nouveau Nom ", "locale": "en"})
		wantStatus(t, r, 200)
		r.JSON(&out)
		if out.User.Name != "Nouveau Nom" {
			t.Errorf("patched name %q", out.User.Name)
		}
		var me struct {
			User map[string]any `json:"user"`
		}
		c.Do("GET", "/api/v1/me", nil, &me)
		if me.User["name"] != "Nouveau Nom" || me.User["locale"] != "en" {
			t.Errorf("me after patch %v", me.User)
		}

		// Mass assignment: role, status and organisation are not the
		// person's to change.
		r = c.Request("PATCH", "/api/v1/me", map[string]any{"role": "admin", "status": "active", "organization_id": app.Org("ministry").ID, "email": "x@example.ma"})
		if r.Status >= 500 {
			t.Fatalf("PATCH /me with foreign fields: %d", r.Status)
		}
		c.Do("GET", "/api/v1/me", nil, &me)
		if me.User["role"] != "member" || me.User["email"] != u.Email || int64(me.User["organization_id"].(float64)) != app.Org("apebi").ID {
			t.Errorf("PATCH /me changed protected fields: %v", me.User)
		}
		wantError(t, c.Request("PATCH", "/api/v1/me", map[string]string{"locale": "de"}), 422, "invalid_fields", "locale")
		wantError(t, c.Request("PATCH", "/api/v1/me", map[string]string{"name": " "}), 422, "invalid_fields", "name")

		t.Run("Export", func(t *testing.T) {
			c.Do("POST", "/api/v1/tokens", map[string]string{"name": "export check"}, nil)
			for _, path := range []string{"/api/v1/me/export", "/profile/export"} {
				r := c.Request("GET", path, nil)
				wantStatus(t, r, 200)
				if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, ".json") {
					t.Errorf("%s Content-Disposition %q", path, cd)
				}
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("%s Content-Type %q", path, ct)
				}
				var data struct {
					Account  map[string]any   `json:"account"`
					Tokens   []map[string]any `json:"tokens"`
					Sessions []map[string]any `json:"sessions"`
					Events   []map[string]any `json:"events"`
					Comments *[]any           `json:"comments"`
				}
				if err := r.JSON(&data); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if data.Account["email"] != u.Email || data.Account["name"] != "Nouveau Nom" || int64(data.Account["id"].(float64)) != u.ID {
					t.Errorf("%s account %v", path, data.Account)
				}
				if len(data.Tokens) != 1 || len(data.Sessions) != 1 || len(data.Events) == 0 {
					t.Errorf("%s: %d tokens, %d sessions, %d events", path, len(data.Tokens), len(data.Sessions), len(data.Events))
				}
				if data.Comments == nil || len(*data.Comments) != 0 {
					t.Errorf("%s: no comments is %v, want an empty list", path, data.Comments)
				}
				for _, secret := range []string{"argon2", "token_hash", "password_hash", "csrf"} {
					if strings.Contains(string(r.Body), secret) {
						t.Errorf("%s contains %q", path, secret)
					}
				}
			}
			wantError(t, script(app).Request("GET", "/api/v1/me/export", nil), 401, "")
		})
	})
}

// Two people racing on one link: exactly one gets the account.
func TestAccountsAPI_InvitationAcceptRace(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		inv := invite(t, mod, "race@example.ma", app.Org("apebi").ID, models.RoleMember)
		const n = 6
		statuses := make(chan int, n)
		clients := make([]*servertest.Client, n)
		for i := range clients {
			clients[i] = script(app)
		}
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(c *servertest.Client, i int) {
				defer wg.Done()
				statuses <- c.Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": fmt.Sprintf("racing passphrase number %d", i)}).Status
			}(clients[i], i)
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for st := range statuses {
			got[st]++
		}
		if got[201] != 1 || got[409] != n-1 {
			t.Errorf("statuses %v, want one 201 and %d 409", got, n-1)
		}
		if c := countRows(t, app, "events", "type = ?", "user.activated"); c != 1 {
			t.Errorf("%d activations", c)
		}
	})
}
