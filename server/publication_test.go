package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pacte/models"
	"pacte/pact/pdf"
	"pacte/server"
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

// TestPublicPact_Cache: public pages carry an ETag and Last-Modified, a
// second request with them gets 304, and a publication makes them stale.
func TestPublicPact_Cache(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "ausim")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, rc := app.Login(author), app.Login(reviewer)
	first := pubApprove(t, ac, rc, "Identité numérique pour tous")
	msDo(t, rc, "POST", msPath(first.ID, "/publish"), nil, 200, nil)

	for _, path := range []string{"/pacte", "/pacte?lang=ar", "/pacte/print", "/pacte/feed.atom", "/sitemap.xml"} {
		r := pubGet(t, app, path)
		etag, lastMod := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
		if r.Status != 200 || etag == "" || lastMod == "" || !strings.Contains(r.Header.Get("Cache-Control"), "public") {
			t.Fatalf("%s: %d etag %q last-modified %q cache-control %q", path, r.Status, etag, lastMod, r.Header.Get("Cache-Control"))
		}
		if r2 := pubGet(t, app, path, "If-None-Match", etag); r2.Status != http.StatusNotModified || len(r2.Body) != 0 {
			t.Fatalf("%s with If-None-Match: %d", path, r2.Status)
		}
		if r2 := pubGet(t, app, path, "If-Modified-Since", lastMod); r2.Status != http.StatusNotModified {
			t.Fatalf("%s with If-Modified-Since: %d", path, r2.Status)
		}
	}
	before := pubGet(t, app, "/pacte")
	etag := before.Header.Get("ETag")

	// A second publication: the same ETag now gets the new page.
	second := pubApprove(t, ac, rc, "Fibre optique dans les zones rurales")
	if r := pubGet(t, app, "/pacte", "If-None-Match", etag); r.Status != 304 {
		t.Fatalf("an approval alone changed the public page: %d", r.Status)
	}
	msDo(t, rc, "POST", msPath(second.ID, "/publish"), nil, 200, nil)
	after := pubGet(t, app, "/pacte", "If-None-Match", etag)
	if after.Status != 200 || after.Header.Get("ETag") == etag || !strings.Contains(string(after.Body), second.Title) {
		t.Fatalf("after a publication: %d etag %q (was %q)", after.Status, after.Header.Get("ETag"), etag)
	}
	// And an unpublication too.
	etag = after.Header.Get("ETag")
	msDo(t, rc, "POST", msPath(first.ID, "/unpublish"), map[string]any{"note": "Erreur de publication."}, 200, nil)
	gone := pubGet(t, app, "/pacte", "If-None-Match", etag)
	if gone.Status != 200 || strings.Contains(string(gone.Body), first.Title) {
		t.Fatalf("after an unpublication: %d", gone.Status)
	}
}

// TestPublicPact_VersionFollowsPublicChanges: the public caches and the
// PDFs made ahead are keyed on a version that moves on a publication, an
// unpublication and changes to a published measure, and not when drafts
// move along (each bump re-renders three PDFs in the background).
func TestPublicPact_VersionFollowsPublicChanges(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "mnc")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, oc, rc := app.Login(author), app.Login(other), app.Login(reviewer)
	// Each event that counts moves the version twice: in the writer's
	// commit hook (its next read is fresh) and when the hub publishes it
	// (as on every instance). The hub observes events in order, so waiting
	// for the version a later event gives proves the earlier ones gave none.
	waitVersion := func(step string, want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for app.Server.PublicVersion() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // room for a wrong extra bump to show
		if got := app.Server.PublicVersion(); got != want {
			t.Fatalf("%s: public version %d, want %d", step, got, want)
		}
	}
	v := app.Server.PublicVersion()

	m := pubApprove(t, ac, rc, "Cloud souverain pour les administrations") // created, submitted, approved
	draft := msCreate(t, ac, "Brouillon ouvert à la plateforme")
	msDo(t, ac, "PATCH", msPath(draft.ID), map[string]any{"visibility": "platform", "revision": draft.Revision}, 200, nil)
	msDo(t, oc, "POST", msPath(draft.ID, "/cosponsor"), nil, 201, nil)
	msDo(t, rc, "POST", msPath(m.ID, "/publish"), nil, 200, nil)
	waitVersion("drafts moving, then a publication", v+2)

	msDo(t, ac, "POST", msPath(m.ID, "/amend"), nil, 200, nil)
	waitVersion("a published measure amended", v+4)
	msDo(t, oc, "POST", msPath(m.ID, "/cosponsor"), nil, 201, nil)
	waitVersion("a published measure co-sponsored", v+6)
	msDo(t, oc, "DELETE", msPath(draft.ID, "/cosponsor"), nil, 204, nil)
	msDo(t, rc, "POST", msPath(m.ID, "/unpublish"), map[string]any{"note": "Mise à jour juridique."}, 200, nil)
	waitVersion("a draft's co-sponsor leaving, then an unpublication", v+8)
}

// TestPublicPact_NotFoundIsTheSame: an unpublished measure, a private draft
// and an id that never existed get the same 404, with no cookie.
func TestPublicPact_NotFoundIsTheSame(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "mnc")
	private := app.Measure(t, author, servertest.MeasureSpec{Title: "Brouillon fédéral"})
	var bodies []string
	for _, path := range []string{"/pacte/" + strconv.FormatInt(private, 10), "/pacte/" + strconv.FormatInt(private, 10) + "-brouillon-federal",
		"/pacte/999999", "/pacte/abc", "/pacte/0", "/pacte/-5"} {
		r := pubGet(t, app, path)
		if r.Status != 404 || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s: %d set-cookie %q", path, r.Status, r.Header.Get("Set-Cookie"))
		}
		bodies = append(bodies, string(r.Body))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatal("the 404 pages differ: an existing private id can be told from a missing one")
		}
	}
	// An unknown language is the default, not an error.
	if r := pubGet(t, app, "/pacte?lang=xx"); r.Status != 200 || !strings.Contains(string(r.Body), `lang="fr"`) {
		t.Fatalf("/pacte?lang=xx: %d", r.Status)
	}
}

// TestPublicPact_UnpublishedWhileMade: a measure unpublished while the PDF
// is being made is not in the PDF that is served.
func TestPublicPact_UnpublishedWhileMade(t *testing.T) {
	// The hook runs in the request's goroutine or in the background
	// maker's: the one-shot action is taken under a lock.
	var mu sync.Mutex
	var unpublish func()
	app := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) {
		c.DocumentMade = func() {
			mu.Lock()
			f := unpublish
			unpublish = nil // once
			mu.Unlock()
			if f != nil {
				f()
			}
		}
	}))
	author := app.User(models.RoleMember, "msec")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, rc := app.Login(author), app.Login(reviewer)
	stays := pubApprove(t, ac, rc, "Mesure qui reste STAYSQX")
	goes := pubApprove(t, ac, rc, "Mesure retirée GOESQX")
	msDo(t, rc, "POST", msPath(stays.ID, "/publish"), nil, 200, nil)
	msDo(t, rc, "POST", msPath(goes.ID, "/publish"), nil, 200, nil)
	mu.Lock()
	unpublish = func() {
		if _, err := app.Store.UnpublishMeasure(context.Background(), reviewer, goes.ID, "Retirée pendant la fabrication."); err != nil {
			t.Errorf("unpublish: %v", err)
		}
	}
	mu.Unlock()
	r := pubGet(t, app, "/pacte.pdf")
	if r.Status != 200 {
		t.Fatalf("/pacte.pdf: %d", r.Status)
	}
	files, err := pdf.Attachments(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	data := string(files["pacte.json"])
	mu.Lock()
	ran := unpublish == nil
	mu.Unlock()
	if !ran || !strings.Contains(data, "STAYSQX") || strings.Contains(data, "GOESQX") {
		t.Fatalf("the PDF made while a measure was unpublished holds it (hook ran: %v)", ran)
	}
}

// TestPublicPact_PDFMadeAhead: after a publication the PDFs are made in the
// background, so the next reader gets one without waiting for it.
func TestPublicPact_PDFMadeAhead(t *testing.T) {
	var made atomic.Int32
	app := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) {
		c.DocumentMade = func() { made.Add(1) }
		c.PDFAhead = 100 * time.Millisecond
	}))
	author := app.User(models.RoleMember, "ausim")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, rc := app.Login(author), app.Login(reviewer)
	m := pubApprove(t, ac, rc, "Archivage électronique à valeur probante")
	msDo(t, rc, "POST", msPath(m.ID, "/publish"), nil, 200, nil)
	waitWithin(t, 30*time.Second, "the three PDFs to be made ahead", func() bool { return made.Load() >= 3 })
	before := made.Load()
	for _, lang := range []string{"fr", "en", "ar"} {
		r := pubGet(t, app, "/pacte.pdf?lang="+lang)
		if r.Status != 200 || !strings.HasPrefix(string(r.Body), "%PDF-") {
			t.Fatalf("/pacte.pdf?lang=%s: %d", lang, r.Status)
		}
	}
	if made.Load() != before {
		t.Fatalf("the PDFs were made again on request (%d makings, %d before)", made.Load(), before)
	}
}

// TestPublicPact_Search: the portal's words filter goes through the search
// index's published texts: folded and stemmed like the signed-in search,
// and blind to drafts, to unpublished measures and to an amendment under
// way.
func TestPublicPact_Search(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, rc := app.Login(author), app.Login(reviewer)
	m := pubApprove(t, ac, rc, "La modernisation de l'État numérique")
	msDo(t, rc, "POST", msPath(m.ID, "/publish"), nil, 200, nil)
	pubApprove(t, ac, rc, "Fonds d'amorçage pour les jeunes pousses") // approved, never published
	msCreate(t, ac, "Brouillon sur l'État des lieux")                 // a draft
	msDo(t, ac, "POST", msPath(m.ID, "/amend"), nil, 200, nil)
	cur := msGet(t, ac, m.ID)
	msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"title": "Refonte du guichet unique", "revision": cur.Revision}, 200, nil)

	count := func(q string) int {
		t.Helper()
		r := pubGet(t, app, "/pacte?q="+url.QueryEscape(q))
		if r.Status != 200 {
			t.Fatalf("/pacte?q=%s: %d", q, r.Status)
		}
		return strings.Count(string(r.Body), `class="public-measure"`)
	}
	for q, want := range map[string]int{"etat": 1, "numeriques": 1, "MODERNISER": 1, "modernisation": 1,
		"amorcage": 0, "lieux": 0, "guichet": 0, "!!!": 1} {
		if got := count(q); got != want {
			t.Errorf("/pacte?q=%s shows %d measures, want %d", q, got, want)
		}
	}
	// Unpublished, its text leaves the index's public side too (not only
	// the page, which also checks the published list).
	msDo(t, rc, "POST", msPath(m.ID, "/unpublish"), map[string]any{"note": "Correction."}, 200, nil)
	if n, err := app.Server.PublicMatches(context.Background(), "etat"); err != nil || n != 0 {
		t.Errorf("after unpublishing, the index still finds %d published texts (%v)", n, err)
	}
}
