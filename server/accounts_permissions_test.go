package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// Actor names of the permission table.
const (
	anon      = "anonymous"
	member    = "member"
	reviewer  = "reviewer"
	moderator = "moderator"
	admin     = "admin"
	suspended = "suspended"
)

var actors = []string{anon, member, reviewer, moderator, admin, suspended}

// permissionWorld holds one signed-in client per actor and the fixtures
// every row can draw fresh targets from.
type permissionWorld struct {
	app     *servertest.App
	clients map[string]*servertest.Client
	users   map[string]*models.User
	n       atomic.Int64
}

func newPermissionWorld(t *testing.T, app *servertest.App) *permissionWorld {
	w := &permissionWorld{app: app, clients: map[string]*servertest.Client{}, users: map[string]*models.User{}}
	w.users[member] = app.User(models.RoleMember, "apebi")
	w.users[reviewer] = app.User(models.RoleReviewer, "ministry")
	w.users[moderator] = app.User(models.RoleModerator, "ausim")
	w.users[admin] = app.User(models.RoleAdmin, "")
	w.users[suspended] = app.User(models.RoleMember, "mnc")
	for _, a := range []string{member, reviewer, moderator, admin} {
		w.clients[a] = app.Login(w.users[a])
	}
	// A suspended person replays the cookie they had before suspension.
	sc := app.Login(w.users[suspended])
	var raw string
	for _, ck := range sc.Cookies() {
		if ck.Name == "pacte_session" {
			raw = ck.Value
		}
	}
	if raw == "" {
		t.Fatal("no session cookie for the suspended actor")
	}
	setStatus(t, app, w.users[admin], w.users[suspended], models.StatusSuspended)
	w.clients[suspended] = withCookie(app, "pacte_session", raw)
	w.clients[suspended].CSRF = sc.CSRF
	w.clients[anon] = script(app)
	return w
}

// fresh makes a new account to act on, so that rows never share state.
func (w *permissionWorld) fresh(role, org string) *models.User { return w.app.User(role, org) }

// email returns a new unique address to invite.
func (w *permissionWorld) email() string {
	return fmt.Sprintf("invitee%d-%s@example.ma", w.n.Add(1), strings.ToLower(w.app.Engine))
}

// permissionRow is one account action and the status each actor gets.
type permissionRow struct {
	name string
	// do performs the action as the actor; it may create fresh targets.
	do   func(w *permissionWorld, actor string) *servertest.Response
	want map[string]int
}

// same builds a want map: the base status for every actor, then overrides.
func same(base int, over ...any) map[string]int {
	m := map[string]int{}
	for _, a := range actors {
		m[a] = base
	}
	for i := 0; i+1 < len(over); i += 2 {
		m[over[i].(string)] = over[i+1].(int)
	}
	return m
}

// signedIn: anonymous and suspended get 401, the others the given statuses.
func signedIn(mem, rev, mod, adm int) map[string]int {
	return map[string]int{anon: 401, suspended: 401, member: mem, reviewer: rev, moderator: mod, admin: adm}
}

func patchUser(w *permissionWorld, actor string, target *models.User, body map[string]string) *servertest.Response {
	return w.clients[actor].Request("PATCH", idPath("/api/v1/users/", target.ID), body)
}

var permissionRows = []permissionRow{
	{"GET /me", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", "/api/v1/me", nil)
	}, signedIn(200, 200, 200, 200)},
	{"PATCH /me", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("PATCH", "/api/v1/me", map[string]string{"name": "Renamed " + a})
	}, signedIn(200, 200, 200, 200)},
	{"GET /me/export", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", "/api/v1/me/export", nil)
	}, signedIn(200, 200, 200, 200)},
	{"DELETE /session", func(w *permissionWorld, a string) *servertest.Response {
		// A second session, so the actor's own client stays signed in.
		if u := w.users[a]; u != nil && a != suspended {
			c := w.app.Login(u)
			return c.Request("DELETE", "/api/v1/session", nil)
		}
		return w.clients[a].Request("DELETE", "/api/v1/session", nil)
	}, signedIn(204, 204, 204, 204)},
	{"GET /tokens", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", "/api/v1/tokens", nil)
	}, signedIn(200, 200, 200, 200)},
	{"POST /tokens", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("POST", "/api/v1/tokens", map[string]string{"name": "table"})
	}, signedIn(201, 201, 201, 201)},
	{"DELETE /tokens/:someone-else's", func(w *permissionWorld, a string) *servertest.Response {
		owner := w.fresh(models.RoleMember, "msec")
		c := w.app.Login(owner)
		var tok tokenOut
		c.Do("POST", "/api/v1/tokens", map[string]string{"name": "not yours"}, &tok)
		return w.clients[a].Request("DELETE", idPath("/api/v1/tokens/", tok.ID), nil)
	}, signedIn(404, 404, 404, 404)},
	{"GET /organizations", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", "/api/v1/organizations", nil)
	}, same(200, suspended, 200)},
	{"GET /taxonomy", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", "/api/v1/taxonomy", nil)
	}, same(200)},
	{"invite a member", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("POST", "/api/v1/invitations", inviteBody(w.email(), "Invitee", w.app.Org("apebi").ID, models.RoleMember))
	}, signedIn(403, 403, 201, 201)},
	{"invite a reviewer", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("POST", "/api/v1/invitations", inviteBody(w.email(), "Invitee", w.app.Org("ministry").ID, models.RoleReviewer))
	}, signedIn(403, 403, 201, 201)},
	{"invite a moderator", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("POST", "/api/v1/invitations", inviteBody(w.email(), "Invitee", w.app.Org("ausim").ID, models.RoleModerator))
	}, signedIn(403, 403, 403, 201)},
	{"invite an admin", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("POST", "/api/v1/invitations", inviteBody(w.email(), "Invitee", 0, models.RoleAdmin))
	}, signedIn(403, 403, 403, 201)},
	{"re-invite an invited admin as a member", func(w *permissionWorld, a string) *servertest.Response {
		email := w.email()
		invite(w.app.T.(*testing.T), w.clients[admin], email, 0, models.RoleAdmin)
		return w.clients[a].Request("POST", "/api/v1/invitations", inviteBody(email, "Invitee", w.app.Org("apebi").ID, models.RoleMember))
	}, signedIn(403, 403, 403, 201)},
	{"GET /users", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", "/api/v1/users", nil)
	}, signedIn(403, 403, 200, 200)},
	{"GET /users/:other", func(w *permissionWorld, a string) *servertest.Response {
		return w.clients[a].Request("GET", idPath("/api/v1/users/", w.fresh(models.RoleMember, "apebi").ID), nil)
	}, signedIn(404, 404, 200, 200)},
	{"GET /users/:self", func(w *permissionWorld, a string) *servertest.Response {
		id := int64(1)
		if u := w.users[a]; u != nil {
			id = u.ID
		}
		return w.clients[a].Request("GET", idPath("/api/v1/users/", id), nil)
	}, signedIn(200, 200, 200, 200)},
	{"suspend a member", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleMember, "apebi"), map[string]string{"status": "suspended"})
	}, signedIn(404, 404, 200, 200)},
	{"reactivate a member", func(w *permissionWorld, a string) *servertest.Response {
		u := w.fresh(models.RoleMember, "apebi")
		setStatus(w.app.T.(*testing.T), w.app, w.users[admin], u, models.StatusSuspended)
		return patchUser(w, a, u, map[string]string{"status": "active"})
	}, signedIn(404, 404, 200, 200)},
	{"suspend a moderator", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleModerator, "mnc"), map[string]string{"status": "suspended"})
	}, signedIn(404, 404, 200, 200)},
	{"suspend an admin", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleAdmin, ""), map[string]string{"status": "suspended"})
	}, signedIn(404, 404, 403, 200)},
	{"change an admin's role", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleAdmin, "apebi"), map[string]string{"role": "member"})
	}, signedIn(404, 404, 403, 200)},
	{"make a member a reviewer (wrong organisation)", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleMember, "apebi"), map[string]string{"role": "reviewer"})
	}, signedIn(404, 404, 422, 422)},
	{"grant moderator", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleMember, "apebi"), map[string]string{"role": "moderator"})
	}, signedIn(404, 404, 403, 200)},
	{"grant admin", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleMember, "apebi"), map[string]string{"role": "admin"})
	}, signedIn(404, 404, 403, 200)},
	{"demote a moderator to member", func(w *permissionWorld, a string) *servertest.Response {
		return patchUser(w, a, w.fresh(models.RoleModerator, "apebi"), map[string]string{"role": "member"})
	}, signedIn(404, 404, 200, 200)},
	{"suspend oneself", func(w *permissionWorld, a string) *servertest.Response {
		id := int64(1)
		if u := w.users[a]; u != nil {
			id = u.ID
		}
		return w.clients[a].Request("PATCH", idPath("/api/v1/users/", id), map[string]string{"status": "suspended"})
	}, signedIn(403, 403, 403, 403)},
	{"change one's own role", func(w *permissionWorld, a string) *servertest.Response {
		id := int64(1)
		if u := w.users[a]; u != nil {
			id = u.ID
		}
		return w.clients[a].Request("PATCH", idPath("/api/v1/users/", id), map[string]string{"role": "admin"})
	}, signedIn(403, 403, 403, 403)},
}

func TestAccountsPermissions_Table(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newPermissionWorld(t, app)
		for _, row := range permissionRows {
			for _, a := range actors {
				r := row.do(w, a)
				if want := row.want[a]; r.Status != want {
					t.Errorf("%-45s as %-9s → %d, want %d (%.200s)", row.name, a, r.Status, want, r.Body)
				}
				if r.Status >= 400 && r.ErrorCode() == "" {
					t.Errorf("%s as %s: error without a code: %s", row.name, a, r.Body)
				}
			}
		}
		// Nobody's role or status changed by a refused attempt.
		for _, a := range []string{member, reviewer, moderator, admin} {
			u, err := app.Store.UserByID(t.Context(), w.users[a].ID)
			if err != nil || u.Role != w.users[a].Role || u.Status != models.StatusActive {
				t.Errorf("%s is now %s/%s", a, u.Role, u.Status)
			}
		}
	})
}

// A failed invitation writes nothing: no account, no link, no event.
func TestAccountsPermissions_RefusedInviteWritesNothing(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		mem := app.Login(app.User(models.RoleMember, "apebi"))
		users, invs, evs := countRows(t, app, "users", ""), countRows(t, app, "invitations", ""), countRows(t, app, "events", "")
		wantStatus(t, mod.Request("POST", "/api/v1/invitations", inviteBody("boss@example.ma", "Boss", 0, models.RoleAdmin)), 403)
		wantStatus(t, mem.Request("POST", "/api/v1/invitations", inviteBody("friend@example.ma", "Friend", app.Org("apebi").ID, models.RoleMember)), 403)
		if u, i, e := countRows(t, app, "users", ""), countRows(t, app, "invitations", ""), countRows(t, app, "events", ""); u != users || i != invs || e != evs {
			t.Errorf("refused invitations wrote rows: users %d→%d, invitations %d→%d, events %d→%d", users, u, invs, i, evs, e)
		}
	})
}

// A role change takes effect at the next request; suspension ends sessions
// and tokens at once.
func TestAccountsPermissions_ChangesApplyAtOnce(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		adm := app.Login(app.User(models.RoleAdmin, ""))
		modUser := app.User(models.RoleModerator, "apebi")
		mod := app.Login(modUser)
		wantStatus(t, mod.Request("GET", "/api/v1/users", nil), 200)
		wantStatus(t, adm.Request("PATCH", idPath("/api/v1/users/", modUser.ID), map[string]string{"role": "member"}), 200)
		wantStatus(t, mod.Request("GET", "/api/v1/users", nil), 403)

		memUser := app.User(models.RoleMember, "apebi")
		mem := app.Login(memUser)
		var tok tokenOut
		mem.Do("POST", "/api/v1/tokens", map[string]string{"name": "script"}, &tok)
		bearer := script(app)
		bearer.Bearer = tok.Token
		wantStatus(t, bearer.Request("GET", "/api/v1/me", nil), 200)
		wantStatus(t, adm.Request("PATCH", idPath("/api/v1/users/", memUser.ID), map[string]string{"status": "suspended"}), 200)
		wantError(t, mem.Request("GET", "/api/v1/me", nil), 401, "")
		wantError(t, bearer.Request("GET", "/api/v1/me", nil), 401, "invalid_token")
		if n := countRows(t, app, "sessions", "user_id = ?", memUser.ID); n != 0 {
			t.Errorf("%d sessions left after suspension", n)
		}
		if n := countRows(t, app, "api_tokens", "user_id = ?", memUser.ID); n != 0 {
			t.Errorf("%d tokens left after suspension", n)
		}
		// Reactivation does not bring old sessions or tokens back.
		wantStatus(t, adm.Request("PATCH", idPath("/api/v1/users/", memUser.ID), map[string]string{"status": "active"}), 200)
		wantStatus(t, bearer.Request("GET", "/api/v1/me", nil), 401)
		wantStatus(t, app.Login(memUser).Request("GET", "/api/v1/me", nil), 200)
	})
}

// routePath fills a route pattern's parameters.
var routeParam = regexp.MustCompile(`:[a-z_]+|\*`)

func fillRoute(path string, id int64) string {
	return routeParam.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case ":token":
			return "not-a-real-token"
		case "*":
			return "css/app.css"
		}
		return fmt.Sprint(id)
	})
}

// publicAPI are the /api/v1 routes docs/API.md opens to people who are not
// signed in.
var publicAPI = map[string]bool{
	"GET /api/v1/openapi.json":               true,
	"POST /api/v1/session":                   true,
	"GET /api/v1/organizations":              true,
	"GET /api/v1/taxonomy":                   true,
	"GET /api/v1/invitations/:token":         true,
	"POST /api/v1/invitations/:token/accept": true,
	"POST /api/v1/password-reset":            true,
	"POST /api/v1/password-reset/:token":     true,
	"GET /api/v1/public/measures":            true,
}

// Every /api/v1 route refuses an anonymous client (no cookie at all, the way
// a script calls), except the public ones, which never fail with a 5xx.
func TestAccountsPermissions_EveryRouteAnonymous(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		c := script(app)
		routes := app.Server.Echo().Routes()
		seen := 0
		for _, rt := range routes {
			if !strings.HasPrefix(rt.Path, "/api/v1") || !isHTTPMethod(rt.Method) {
				continue
			}
			seen++
			key := rt.Method + " " + rt.Path
			var body any
			if rt.Method != "GET" && rt.Method != "DELETE" {
				body = map[string]any{}
			}
			r := c.Request(rt.Method, fillRoute(rt.Path, 1), body)
			if publicAPI[key] {
				if r.Status >= 500 || r.Status == 401 || r.Status == 403 {
					t.Errorf("public %s → %d %s", key, r.Status, r.Body)
				}
				continue
			}
			if r.Status != 401 && r.Status != 404 && r.Status != 405 {
				t.Errorf("anonymous %s → %d, want 401 (%.200s)", key, r.Status, r.Body)
			} else if r.Status != 401 {
				t.Logf("anonymous %s → %d (allowed, but 401 is clearer)", key, r.Status)
			}
			if r.ErrorCode() == "" {
				t.Errorf("anonymous %s: no JSON error body: %.200s", key, r.Body)
			}
		}
		if seen < 16 {
			t.Errorf("only %d /api/v1 routes found", seen)
		}
	})
}

func isHTTPMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// No GET changes state: a signed-in moderator GETs every route, and the
// event log does not grow.
func TestAccountsPermissions_GetChangesNothing(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		modUser := app.User(models.RoleModerator, "apebi")
		mod := app.Login(modUser)
		before := countRows(t, app, "events", "")
		users := countRows(t, app, "users", "")
		for _, rt := range app.Server.Echo().Routes() {
			if rt.Method != "GET" || rt.Path == "/ws" {
				continue
			}
			for _, id := range []int64{modUser.ID, 1} {
				r := getHTML(mod, fillRoute(rt.Path, id))
				if r.Status >= 500 {
					t.Errorf("GET %s → %d", fillRoute(rt.Path, id), r.Status)
				}
			}
		}
		if after := countRows(t, app, "events", ""); after != before {
			t.Errorf("GET requests wrote %d events", after-before)
		}
		if after := countRows(t, app, "users", ""); after != users {
			t.Errorf("GET requests created %d users", after-users)
		}
		wantStatus(t, mod.Request("GET", "/api/v1/me", nil), 200)
	})
}
