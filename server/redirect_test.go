package server_test

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// redirectTricks is the corpus of open-redirect tricks (and a few honest
// paths at the end), shared with the browser test that reads each answer
// with Chromium's own URL parser.
func redirectTricks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/redirect-tricks.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// honestPath is a corpus entry that must come back as it is.
func honestPath(s string) bool {
	switch s {
	case "/measures", "/measures?status=draft&q=%C3%A9tat", "/measures/12#comment-3", "/profile", "/%E2%82%AC":
		return true
	}
	return false
}

// wantLocalLocation checks a redirect target the conservative way: one
// leading slash, then no second slash or backslash, and nothing a browser
// would drop or trim. (The browser test reads the same answers with
// Chromium's URL parser.)
func wantLocalLocation(t *testing.T, what, trick string, r *servertest.Response) {
	t.Helper()
	if r.Status != 303 {
		t.Errorf("%s %q: status %d, want 303", what, trick, r.Status)
		return
	}
	loc := r.Header.Get("Location")
	bad := !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`)
	for _, ch := range loc {
		if ch <= ' ' || ch == '\\' || ch > 0x7e {
			bad = true
		}
	}
	if bad {
		t.Errorf("%s %q: Location %q leaves the site", what, trick, loc)
	}
	if honestPath(trick) && loc != trick {
		t.Errorf("%s %q: Location %q, want the path kept", what, trick, loc)
	}
}

// Every redirect target taken from a request (sign-in page when signed in,
// form sign-in, language switch) stays on the site, judged after the
// browser's cleaning.
func TestRedirect_NextStaysOnSite(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	signedIn := app.Login(u)
	for _, trick := range redirectTricks(t) {
		wantLocalLocation(t, "GET /login signed in", trick, getHTML(signedIn, "/login?next="+url.QueryEscape(trick)))
		wantLocalLocation(t, "POST /language", trick, postForm(signedIn, "/language",
			url.Values{"csrf_token": {signedIn.CSRF}, "locale": {"fr"}, "next": {trick}}))
		b := browser(t, app)
		wantLocalLocation(t, "POST /login", trick, postForm(b, "/login",
			url.Values{"csrf_token": {b.CSRF}, "email": {u.Email}, "password": {servertest.DefaultPassword}, "next": {trick}}))
	}
}
