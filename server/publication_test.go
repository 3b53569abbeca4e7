package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// pubApprove takes a new measure through submission and approval.
func pubApprove(t *testing.T, ac, rc *servertest.Client, title string) msMeasure {
	t.Helper()
	m := msCreate(t, ac, title)
	var cur msMeasure
	msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)
	msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "revision": cur.Revision}, 201, nil)
	return msGet(t, ac, m.ID)
}

// pubGet reads a public address with no cookie and no token.
func pubGet(t *testing.T, app *servertest.App, path string, headers ...string) *servertest.Response {
	t.Helper()
	c := app.Anonymous()
	c.Headers = map[string]string{"Accept": "text/html"}
	for i := 0; i+1 < len(headers); i += 2 {
		c.Headers[headers[i]] = headers[i+1]
	}
	return c.Raw("GET", path, "", nil)
}

// TestPublication_Workflow: only reviewers and admins publish, only an
// approved measure, and publishing puts its approved text on the public
// side; unpublishing (with a note) takes it off.
func TestPublication_Workflow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		reviewer := app.User(models.RoleReviewer, "ministry")
		ac, rc := app.Login(author), app.Login(reviewer)

		draft := msCreate(t, ac, "Brouillon jamais publié")
		msWantError(t, rc.Request("POST", msPath(draft.ID, "/publish"), nil), 404, "not_found")
		var sub msMeasure
		msDo(t, ac, "POST", msPath(draft.ID, "/submit"), nil, 200, &sub)
		msWantError(t, rc.Request("POST", msPath(draft.ID, "/publish"), nil), 409, "not_approved")

		m := pubApprove(t, ac, rc, "Cloud souverain pour les administrations")
		msWantError(t, ac.Request("POST", msPath(m.ID, "/publish"), nil), 403, "forbidden")
		if r := pubGet(t, app, "/pacte/"+strconv.FormatInt(m.ID, 10)); r.Status != 404 {
			t.Fatalf("approved, unpublished measure: public page %d, want 404", r.Status)
		}

		var pub struct {
			msMeasure
			PublishedAt *string `json:"published_at"`
		}
		msDo(t, rc, "POST", msPath(m.ID, "/publish"), map[string]any{"note": "Conforme à la feuille de route."}, 200, &pub)
		if pub.PublishedAt == nil || pub.Revision != m.Revision+1 {
			t.Fatalf("published: %+v at %v", pub.msMeasure, pub.PublishedAt)
		}
		msWantError(t, rc.Request("POST", msPath(m.ID, "/publish"), nil), 409, "already_published")
		if ev := msEvents(t, app, m.ID); msCount(ev, "measure.published") != 1 {
			t.Fatalf("events: %v", ev)
		}

		// The public side: no cookie is read or set.
		r := pubGet(t, app, "/pacte")
		if r.Status != 200 || !strings.Contains(string(r.Body), m.Title) || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("/pacte: %d set-cookie %q", r.Status, r.Header.Get("Set-Cookie"))
		}
		if strings.Contains(string(r.Body), draft.Title) {
			t.Fatal("/pacte shows a measure in review")
		}
		r = pubGet(t, app, "/pacte/"+strconv.FormatInt(m.ID, 10))
		if r.Status != http.StatusMovedPermanently || !strings.HasPrefix(r.Header.Get("Location"), "/pacte/"+strconv.FormatInt(m.ID, 10)+"-cloud-souverain") {
			t.Fatalf("/pacte/id: %d → %q", r.Status, r.Header.Get("Location"))
		}
		page := pubGet(t, app, r.Header.Get("Location")+"?lang=ar")
		if page.Status != 200 || !strings.Contains(string(page.Body), `dir="rtl"`) || !strings.Contains(string(page.Body), m.Title) {
			t.Fatalf("public page: %d", page.Status)
		}
		if !strings.Contains(string(page.Body), `property="og:title"`) {
			t.Error("no OpenGraph tags")
		}

		msWantError(t, rc.Request("POST", msPath(m.ID, "/unpublish"), map[string]any{"note": " "}), 422, "invalid_fields")
		msDo(t, rc, "POST", msPath(m.ID, "/unpublish"), map[string]any{"note": "Retiré le temps d'une mise à jour juridique."}, 200, nil)
		if r := pubGet(t, app, r.Header.Get("Location")); r.Status != 404 {
			t.Fatalf("unpublished measure: %d", r.Status)
		}
		if r := pubGet(t, app, "/pacte"); strings.Contains(string(r.Body), m.Title) {
			t.Fatal("/pacte still shows the unpublished measure")
		}
		msWantError(t, rc.Request("POST", msPath(m.ID, "/unpublish"), map[string]any{"note": "encore"}), 409, "not_published")
	})
}
