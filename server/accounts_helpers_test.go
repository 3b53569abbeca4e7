package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// apiUser is the user object of docs/API.md, decoded with every field optional
// so that a missing one shows.
type apiUser struct {
	ID             int64   `json:"id"`
	Email          *string `json:"email"`
	Name           string  `json:"name"`
	OrganizationID *int64  `json:"organization_id"`
	Role           string  `json:"role"`
	Status         string  `json:"status"`
	CreatedAt      string  `json:"created_at"`
}

// apiErrorBody is the error body of docs/API.md.
type apiErrorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// wantError checks the status and the error body shape: a code, a sentence,
// and (when fields are named) those fields.
func wantError(t *testing.T, r *servertest.Response, status int, code string, fields ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d (%s)", r.Status, status, r.Body)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want JSON", ct)
	}
	var e apiErrorBody
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Errorf("error body is not JSON: %q", r.Body)
		return
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("error body without code or message: %s", r.Body)
	}
	if code != "" && e.Error.Code != code {
		t.Errorf("error code %q, want %q (%s)", e.Error.Code, code, r.Body)
	}
	for _, f := range fields {
		if e.Error.Fields[f] == "" {
			t.Errorf("no message for field %q in %s", f, r.Body)
		}
	}
	if strings.Contains(string(r.Body), "goroutine ") || strings.Contains(string(r.Body), ".go:") {
		t.Errorf("error body looks like a stack trace: %s", r.Body)
	}
}

// wantStatus checks a status only.
func wantStatus(t *testing.T, r *servertest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d (%.300s)", r.Status, status, r.Body)
	}
}

// script is a client without a cookie jar: what a script or curl is.
func script(app *servertest.App) *servertest.Client {
	c := app.Anonymous()
	c.HTTP.Jar = nil
	return c
}

// browser is an anonymous client that has loaded a page, so it holds the
// anonymous CSRF cookie and knows the token, as a browser on /login does.
func browser(t *testing.T, app *servertest.App) *servertest.Client {
	t.Helper()
	c := app.Anonymous()
	r := getHTML(c, "/login")
	if r.Status != 200 {
		t.Fatalf("GET /login: %d", r.Status)
	}
	c.CSRF = csrfFromHTML(t, r.Body)
	return c
}

// getHTML loads a page as a browser does.
func getHTML(c *servertest.Client, path string) *servertest.Response {
	c.T.Helper()
	old, had := c.Headers["Accept"]
	c.Headers["Accept"] = "text/html,application/xhtml+xml"
	defer func() {
		if had {
			c.Headers["Accept"] = old
		} else {
			delete(c.Headers, "Accept")
		}
	}()
	return c.Raw("GET", path, "", nil)
}

// postForm submits an HTML form (the client's CSRF header is left out: forms
// carry the token as a field).
func postForm(c *servertest.Client, path string, v url.Values) *servertest.Response {
	c.T.Helper()
	token := c.CSRF
	c.CSRF = ""
	defer func() { c.CSRF = token }()
	old, had := c.Headers["Accept"]
	c.Headers["Accept"] = "text/html,application/xhtml+xml"
	defer func() {
		if had {
			c.Headers["Accept"] = old
		} else {
			delete(c.Headers, "Accept")
		}
	}()
	return c.Raw("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// csrfFromHTML reads the token a page hands to its forms and scripts.
func csrfFromHTML(t *testing.T, body []byte) string {
	t.Helper()
	m := csrfMeta.FindSubmatch(body)
	if m == nil || len(m[1]) == 0 {
		t.Fatalf("no CSRF token in page: %.500s", body)
	}
	return string(m[1])
}

// countRows counts the rows of a table, straight from the database.
func countRows(t *testing.T, app *servertest.App, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := app.Store.Read(context.Background()).Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// inviteBody is an invitation request.
func inviteBody(email, name string, orgID int64, role string) map[string]any {
	return map[string]any{"email": email, "name": name, "organization_id": orgID, "role": role}
}

type invitationJSON struct {
	ID        int64  `json:"id"`
	Token     string `json:"token"`
	InviteURL string `json:"invite_url"`
	ExpiresAt string `json:"expires_at"`
}

// invite invites someone through the API and returns the answer.
func invite(t *testing.T, c *servertest.Client, email string, orgID int64, role string) invitationJSON {
	t.Helper()
	var out invitationJSON
	r := c.Request("POST", "/api/v1/invitations", inviteBody(email, "Invited Person", orgID, role))
	if r.Status != 201 {
		t.Fatalf("invite %s as %s: %d %s", email, role, r.Status, r.Body)
	}
	if err := r.JSON(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// setStatus changes an account through the store, as the admin would.
func setStatus(t *testing.T, app *servertest.App, admin, u *models.User, status string) {
	t.Helper()
	if _, err := app.Store.UpdateUser(context.Background(), admin, u.ID, models.UserChange{Status: &status}); err != nil {
		t.Fatalf("set status of %d to %s: %v", u.ID, status, err)
	}
}

// sessionCookie finds the session cookie among a response's Set-Cookie lines.
func setCookie(r *servertest.Response, name string) *http.Cookie {
	for _, line := range r.Header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == name {
			return c
		}
	}
	return nil
}

// withCookie is a jar-less client that always sends one cookie: a replayed
// or stolen session.
func withCookie(app *servertest.App, name, value string) *servertest.Client {
	c := script(app)
	c.Headers["Cookie"] = name + "=" + value
	return c
}

func idPath(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// quietLogger drops log lines, for servers a test builds by hand.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// storetestPostgres reports whether the PostgreSQL variant runs (a test that
// needs two instances only makes sense there).
func storetestPostgres(t *testing.T) bool {
	for _, e := range storetest.Engines(t) {
		if e == models.Postgres {
			return true
		}
	}
	t.Skip("PostgreSQL not reachable")
	return false
}
