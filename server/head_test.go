package server_test

import (
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// HEAD works wherever GET does: same status and headers, no body.
func TestHEAD_AnswersAsGET(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	anon := app.Anonymous()
	for _, tc := range []struct {
		c    *servertest.Client
		path string
	}{
		{anon, "/login"}, {anon, "/"}, {anon, "/healthz"}, {anon, "/static/css/app.css"},
		{c, "/profile"}, {c, "/measures"}, {c, "/api/v1/me"}, {c, "/api/v1/organizations"}, {anon, "/no/such/page"},
	} {
		get := tc.c.Raw("GET", tc.path, "", nil)
		head := tc.c.Raw("HEAD", tc.path, "", nil)
		if head.Status != get.Status {
			t.Errorf("HEAD %s: %d, GET: %d", tc.path, head.Status, get.Status)
		}
		if len(head.Body) != 0 {
			t.Errorf("HEAD %s has a body of %d bytes", tc.path, len(head.Body))
		}
		if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: Content-Type %q, GET: %q", tc.path, head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
		}
		if head.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("HEAD %s lacks the security headers", tc.path)
		}
	}
	// HEAD changes nothing and needs no CSRF token; POST-only routes stay 405.
	wantStatus(t, anon.Raw("HEAD", "/logout", "", nil), 405)
}
