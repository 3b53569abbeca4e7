package server_test

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"pacte/i18n"
	"pacte/models"
	"pacte/server/servertest"
)

// listedIDs gives the ids of the measures a list page shows, in order.
func listedIDs(t *testing.T, r *servertest.Response) []int64 {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("list: %d %.300s", r.Status, r.Body)
	}
	var out []int64
	for _, m := range regexp.MustCompile(`data-measure-row="(\d+)"`).FindAllSubmatch(r.Body, -1) {
		var id int64
		fmt.Sscan(string(m[1]), &id)
		out = append(out, id)
	}
	return out
}

// frText is a French message as a page shows it (HTML-escaped).
func frText(t *testing.T, key string) string {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return html.EscapeString(cat.T("fr", key))
}

func sameIDs(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[int64]bool{}
	for _, id := range got {
		seen[id] = true
	}
	for _, id := range want {
		if !seen[id] {
			return false
		}
	}
	return true
}

// listFixture: an author with a draft, one in review and one sent back
// for changes; a colleague of the same federation with a draft of their
// own (platform-visible); a reviewer; a moderator.
type listFixture struct {
	app                            *servertest.App
	author, mate, reviewer, mod    *servertest.Client
	draft, inReview, changes, mine msMeasure
}

func newListFixture(t *testing.T, engine string) *listFixture {
	app := servertest.New(t, engine)
	f := &listFixture{app: app}
	f.author = app.Login(app.User(models.RoleMember, "apebi"))
	f.mate = app.Login(app.User(models.RoleMember, "apebi"))
	f.reviewer = app.Login(app.User(models.RoleReviewer, "ministry"))
	f.mod = app.Login(app.User(models.RoleModerator, "ministry"))
	f.draft = msCreate(t, f.author, "Brouillon de l'auteur")
	f.inReview = msCreate(t, f.author, "Mesure soumise")
	msDo(t, f.author, "POST", msPath(f.inReview.ID, "/submit"), nil, 200, nil)
	f.changes = msCreate(t, f.author, "Mesure à reprendre")
	msDo(t, f.author, "POST", msPath(f.changes.ID, "/submit"), nil, 200, nil)
	cur := msGet(t, f.reviewer, f.changes.ID)
	msDo(t, f.reviewer, "POST", msPath(f.changes.ID, "/reviews"),
		map[string]any{"decision": "changes_requested", "note": "Chiffrer le coût.", "revision": cur.Revision}, 201, nil)
	f.mine = msCreate(t, f.mate, "Mesure du collègue")
	return f
}

func TestMeasuresList_Scopes(t *testing.T) {
	f := newListFixture(t, models.SQLite)
	t.Run("Mine", func(t *testing.T) {
		// "Mes mesures" are the ones I am an editor of, not my federation's.
		if got := listedIDs(t, msHTML(f.author, "/measures?scope=mine")); !sameIDs(got, f.draft.ID, f.inReview.ID, f.changes.ID) {
			t.Errorf("author's mine = %v", got)
		}
		if got := listedIDs(t, msHTML(f.mate, "/measures?scope=mine")); !sameIDs(got, f.mine.ID) {
			t.Errorf("colleague's mine = %v", got)
		}
		r := msHTML(f.author, "/measures?scope=mine")
		msWantPage(t, r, 200, `href="/measures?scope=mine" data-scope="mine" aria-current="page"`,
			`<input type="hidden" name="scope" value="mine">`, `href="/measures?status=draft&amp;scope=mine"`)
		// The status tabs count within the scope.
		if !strings.Contains(string(r.Body), `data-count-status="all">3<`) {
			t.Error("the 'all' tab does not count the three measures of the scope")
		}
	})
	t.Run("Todo", func(t *testing.T) {
		// A member: my measures sent back for changes.
		if got := listedIDs(t, msHTML(f.author, "/measures?scope=todo")); !sameIDs(got, f.changes.ID) {
			t.Errorf("author's todo = %v", got)
		}
		if got := listedIDs(t, msHTML(f.mate, "/measures?scope=todo")); len(got) != 0 {
			t.Errorf("colleague's todo = %v", got)
		}
		// A reviewer: what is in review.
		if got := listedIDs(t, msHTML(f.reviewer, "/measures?scope=todo")); !sameIDs(got, f.inReview.ID) {
			t.Errorf("reviewer's todo = %v", got)
		}
		r := msHTML(f.reviewer, "/measures")
		if strings.Contains(string(r.Body), `data-scope="mine"`) || !strings.Contains(string(r.Body), `data-scope="todo"`) {
			t.Error("a reviewer is offered 'mine' or not offered 'todo'")
		}
	})
	t.Run("NotOffered", func(t *testing.T) {
		// A moderator has neither scope: asking shows everything and says why.
		r := msHTML(f.mod, "/measures?scope=todo")
		msWantPage(t, r, 200, frText(t, "measures.scope.unknown"))
		if got := listedIDs(t, r); len(got) != 4 {
			t.Errorf("moderator's refused todo lists %v, want all four", got)
		}
		if strings.Contains(string(r.Body), `data-scope=`) {
			t.Error("a moderator is offered scopes")
		}
	})
}

func TestMeasuresList_AxisByPillar(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	ac := app.Login(app.User(models.RoleMember, "apebi"))
	cloud := msCreate(t, ac, "Souveraineté du cloud") // enablers / cloud_computing
	body := msNewBody("Cinq mille startups")
	body["pillar"], body["axis"] = "digital_economy", "startups"
	var startups msMeasure
	msDo(t, ac, "POST", "/api/v1/measures", body, 201, &startups)

	if got := listedIDs(t, msHTML(ac, "/measures?pillar=enablers&axis=cloud_computing")); !sameIDs(got, cloud.ID) {
		t.Errorf("axis in its pillar: %v", got)
	}
	if got := listedIDs(t, msHTML(ac, "/measures?axis=startups")); !sameIDs(got, startups.ID) {
		t.Errorf("axis alone: %v", got)
	}
	// The axis select groups axes by pillar for the script to filter.
	r := msHTML(ac, "/measures?pillar=enablers")
	msWantPage(t, r, 200, `data-axis-of="f-pillar"`, `data-pillar="enablers"`, `data-pillar="digital_economy"`)

	// An axis of another pillar is left out, with a message beside the
	// field, and the pillar still applies.
	r = msHTML(ac, "/measures?pillar=enablers&axis=startups")
	msWantPage(t, r, 200, `aria-invalid="true" aria-describedby="f-axis-error" autofocus`, `id="f-axis-error"`)
	if !strings.Contains(string(r.Body), "startups") || !strings.Contains(string(r.Body), "n&#39;appartient pas au pilier") {
		t.Errorf("no message for an axis outside the pillar")
	}
	if got := listedIDs(t, r); !sameIDs(got, cloud.ID) {
		t.Errorf("axis outside the pillar: %v, want the pillar's measures", got)
	}
	r = msHTML(ac, "/measures?axis=nope")
	msWantPage(t, r, 200, frText(t, "measures.filter.axis_unknown"))
	if got := listedIDs(t, r); len(got) != 2 {
		t.Errorf("unknown axis: %v, want every measure", got)
	}
}

// The list is cached per viewer and filter; every kind of change must show
// at once, including a body saved by co-editing (no event).
func TestMeasuresList_CacheFollowsChanges(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ac := app.Login(app.User(models.RoleMember, "apebi"))
		a := msCreate(t, ac, "Première mesure")
		if got := listedIDs(t, msHTML(ac, "/measures")); !sameIDs(got, a.ID) {
			t.Fatalf("first list %v", got)
		}
		b := msCreate(t, ac, "Deuxième mesure")
		if got := listedIDs(t, msHTML(ac, "/measures")); len(got) != 2 || got[0] != b.ID {
			t.Fatalf("after a creation: %v", got)
		}
		// A write that leaves no event (as co-editing's) still moves the
		// measure to the top.
		if err := app.Store.Write(t.Context(), func(tx *models.Tx) error {
			return tx.Exec("UPDATE measures SET updated_at = ? WHERE id = ?", app.Store.Now().UTC().Add(1e9), a.ID).Error
		}); err != nil {
			t.Fatal(err)
		}
		if got := listedIDs(t, msHTML(ac, "/measures")); len(got) != 2 || got[0] != a.ID {
			t.Errorf("after a write without event: %v, want %d first", got, a.ID)
		}
		// Another person's view is their own.
		oc := app.Login(app.User(models.RoleMember, "msec"))
		if got := listedIDs(t, msHTML(oc, "/measures")); len(got) != 0 {
			t.Errorf("another federation sees the drafts: %v", got)
		}
	})
}

func TestHome_PersonalCounts(t *testing.T) {
	f := newListFixture(t, models.SQLite)
	count := func(c *servertest.Client, href string) string {
		t.Helper()
		r := msHTML(c, "/")
		if r.Status != 200 {
			t.Fatalf("home: %d", r.Status)
		}
		m := regexp.MustCompile(`href="` + regexp.QuoteMeta(href) + `" data-home-count="[^"]*"><span>[^<]*</span> <span class="count">(\d+)</span>`).FindSubmatch(r.Body)
		if m == nil {
			return ""
		}
		return string(m[1])
	}
	if got := count(f.author, "/measures?scope=mine"); got != "3" {
		t.Errorf("author's 'mine' count %q, want 3", got)
	}
	if got := count(f.author, "/measures?scope=todo"); got != "1" {
		t.Errorf("author's 'todo' count %q, want 1", got)
	}
	if got := count(f.reviewer, "/measures?scope=todo"); got != "1" {
		t.Errorf("reviewer's 'todo' count %q, want 1", got)
	}
	if got := count(f.reviewer, "/measures?scope=mine"); got != "" {
		t.Errorf("a reviewer has a 'mine' count: %q", got)
	}
	r := msHTML(f.author, "/")
	msWantPage(t, r, 200, `<h3><a href="/measures">`, `href="/measures/new"`, `<h3><a href="/profile">`)
	if r := msHTML(f.app.Anonymous(), "/"); strings.Contains(string(r.Body), "data-home-count") {
		t.Error("the anonymous home page shows counts")
	}
}

// The edit page lets CodeMirror's <style> element through with a nonce,
// fresh for every response; other pages keep style-src 'self'.
func TestMeasureEdit_StyleNonce(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	ac := app.Login(app.User(models.RoleMember, "apebi"))
	m := msCreate(t, ac, "Mesure à éditer")
	meta := regexp.MustCompile(`<meta name="csp-nonce" content="([A-Za-z0-9_-]{22})">`)
	var seen []string
	for i := 0; i < 2; i++ {
		r := msHTML(ac, fmt.Sprintf("/measures/%d/edit", m.ID))
		msWantPage(t, r, 200)
		got := meta.FindSubmatch(r.Body)
		if got == nil {
			t.Fatal("no csp-nonce meta on the edit page")
		}
		nonce := string(got[1])
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "style-src 'self' 'nonce-"+nonce+"';") {
			t.Errorf("CSP %q does not allow the page's nonce %q", csp, nonce)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("a page with a nonce has Cache-Control %q", cc)
		}
		seen = append(seen, nonce)
	}
	if seen[0] == seen[1] {
		t.Error("the nonce is the same on two responses")
	}
	r := msHTML(ac, fmt.Sprintf("/measures/%d", m.ID))
	if strings.Contains(r.Header.Get("Content-Security-Policy"), "nonce-") || strings.Contains(string(r.Body), "csp-nonce") {
		t.Error("a page without the editor has a style nonce")
	}
}
