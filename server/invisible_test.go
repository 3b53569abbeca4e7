package server_test

import (
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// Names, titles, summaries and comment bodies made only of invisible
// characters are refused beside the field; bidi controls are taken out of
// names.
func TestText_InvisibleRefusedBidiStripped(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	invisible := []string{"\u200b\u200b", "\u3164", "\u2800\u2800", "\u202e", "\u00ad\u2060", "\ufe0f"}
	m := msCreate(t, c, "Une vraie mesure")
	for _, s := range invisible {
		wantError(t, c.Request("PATCH", "/api/v1/me", map[string]string{"name": s}), 422, "invalid_fields", "name")
		body := msNewBody("x")
		body["title"] = s
		wantError(t, c.Request("POST", "/api/v1/measures", body), 422, "invalid_fields", "title")
		body = msNewBody("Titre visible")
		body["summary"] = s
		wantError(t, c.Request("POST", "/api/v1/measures", body), 422, "invalid_fields", "summary")
		wantError(t, c.Request("PATCH", msPath(m.ID), map[string]any{"title": s, "revision": m.Revision}), 422, "invalid_fields", "title")
		wantError(t, c.Request("POST", msPath(m.ID, "/comments"), map[string]string{"body": s}), 422, "invalid_fields", "body")
		wantError(t, c.Request("POST", "/api/v1/tokens", map[string]string{"name": s}), 422, "invalid_fields", "name")
	}
	mod := app.Login(app.User(models.RoleModerator, "apebi"))
	r := mod.Request("POST", "/api/v1/invitations", inviteBody("ghost@example.ma", "\u200b\u3164", app.Org("apebi").ID, models.RoleMember))
	wantError(t, r, 422, "invalid_fields", "name")

	var out struct {
		User apiUser `json:"user"`
	}
	if st := c.Do("PATCH", "/api/v1/me", map[string]string{"name": "\u202eAmina\u202c Benali\u2066"}, &out); st != 200 {
		t.Fatalf("rename: %d", st)
	}
	if out.User.Name != "Amina Benali" {
		t.Errorf("stored name %q, want the bidi controls taken out", out.User.Name)
	}
	page := getHTML(c, "/profile")
	if s := string(page.Body); strings.ContainsAny(s, "\u202e\u202c\u2066") {
		t.Error("the profile page shows a bidi control from the name")
	}
}
