package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// TestDisplay_AuditProfileMeasure looks at what issue 8 asked to show
// differently: the audit trail as sentences, the time-zone setting, a
// draft that names who can read it, and two people of the same name told
// apart by their organisation; in French and Arabic, desktop and phone.
func TestDisplay_AuditProfileMeasure(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	ctx := context.Background()
	nadia := person(t, app, models.RoleMember, "apebi", "Nadia Alaoui")
	twin := person(t, app, models.RoleMember, "mnc", "Nadia Alaoui")
	karim := person(t, app, models.RoleReviewer, "ministry", "Karim Tazi")
	salma := person(t, app, models.RoleModerator, "msec", "Salma Idrissi")
	admin := person(t, app, models.RoleAdmin, "", "Admin Pacte")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	draft, err := app.Store.CreateMeasure(ctx, nadia, models.NewMeasure{Title: "Un cloud souverain pour l'administration",
		Summary: "Héberger les données publiques au Maroc.", Body: measureBody, Pillar: "enablers", Axis: "cloud_computing"})
	must(err)
	_, err = app.Store.AddEditor(ctx, nadia, draft.ID, twin.ID)
	must(err)
	must(app.Store.Write(ctx, func(tx *models.Tx) error {
		return tx.Exec(`INSERT INTO measure_cosponsors (measure_id, organization_id, user_id, created_at) VALUES (?, ?, ?, ?)`,
			draft.ID, twin.OrgID(), twin.ID, time.Now().UTC()).Error
	}))
	for _, u := range []*models.User{nadia, twin} {
		_, err := app.Store.CreateComment(ctx, u, draft.ID, models.NewComment{Body: "Je propose de chiffrer le coût d'hébergement."})
		must(err)
	}
	open, err := app.Store.CreateMeasure(ctx, nadia, models.NewMeasure{Title: "Former 50 000 jeunes aux métiers du numérique",
		Summary: "Des formations courtes et certifiantes.", Body: measureBody, Pillar: "digital_economy", Axis: "sme_digitalisation"})
	must(err)
	open, err = app.Store.TransitionMeasure(ctx, nadia, open.ID, models.TransSubmit, open.Revision)
	must(err)
	_, _, err = app.Store.ReviewMeasure(ctx, karim, open.ID, models.ReviewInput{Decision: models.DecisionChangesRequested, Note: "Précisez le budget.", Revision: open.Revision})
	must(err)
	c, err := app.Store.CreateComment(ctx, twin, open.ID, models.NewComment{Body: "Quel calendrier ?"})
	must(err)
	_, err = app.Store.ReportComment(ctx, karim, c.ID, "Hors sujet")
	must(err)
	_, err = app.Store.HideComment(ctx, salma, c.ID, "Doublon")
	must(err)
	for _, l := range []string{"en", "fr"} {
		loc := l
		_, err := app.Store.UpdateProfile(ctx, nadia, models.ProfileChange{Locale: &loc})
		must(err)
		nadia.Locale = l
	}
	setLocale := func(u *models.User, l string) {
		t.Helper()
		_, err := app.Store.UpdateProfile(ctx, u, models.ProfileChange{Locale: &l})
		must(err)
		u.Locale = l
	}

	tab := newBrowser(t, app)
	tab.Name = "admin"
	login(tab, admin)
	phone := func(on bool) {
		if on {
			tab.step("phone", chromedp.EmulateViewport(390, 844))
		} else {
			tab.step("desktop", chromedp.EmulateViewport(1280, 900))
		}
	}
	for _, l := range []string{"fr", "ar"} {
		setLocale(admin, l)
		for _, small := range []bool{false, true} {
			phone(small)
			suffix := l
			if small {
				suffix += "-390"
			}
			tab.Go("/audit")
			words := strings.Join(Eval[[]string](tab, pageWords), " ")
			for _, raw := range []string{"event.", `{"`, "measure.status_changed", "editor.added", "user.updated"} {
				if strings.Contains(words, raw) {
					t.Errorf("[%s] /audit shows %q", suffix, raw)
				}
			}
			if n := Eval[int](tab, `document.querySelectorAll(".audit-sentence .person-org").length`); n == 0 {
				t.Errorf("[%s] the audit sentences name nobody with an organisation", suffix)
			}
			if n := Eval[int](tab, `document.querySelectorAll(".audit-entry time[datetime]").length`); n == 0 {
				t.Errorf("[%s] the audit dates are not <time datetime>", suffix)
			}
			tab.Click(".audit-entry details summary")
			tab.Snapshot("display-audit-" + suffix)
			tab.Go(fmt.Sprintf("/measures/%d", draft.ID))
			if got := tab.Text(".measure-status [data-visible-to]"); !strings.Contains(got, "APEBI") || !strings.Contains(got, "MNC") {
				t.Errorf("[%s] the draft's visibility reads %q", suffix, got)
			}
			if n := Eval[int](tab, `[...document.querySelectorAll(".comment-author .person-org")].map(e => e.textContent).sort().join(",") === "APEBI,MNC" ? 1 : 0`); n != 1 {
				t.Errorf("[%s] the two Nadia Alaoui are not told apart", suffix)
			}
			tab.Snapshot("display-measure-" + suffix)
			tab.Go("/profile")
			tab.Snapshot("display-profile-" + suffix)
		}
	}
	phone(false)
	// The presence list (built by the script from the live message) shows
	// the organisation too.
	setLocale(admin, "fr")
	m := newWindowAs(t, tab, nadia)
	m.Go(fmt.Sprintf("/measures/%d", draft.ID))
	m.WaitUntil(`[...document.querySelectorAll(".presence-avatar")].some(e => e.title.includes("(APEBI)"))`)
	// Choosing a zone changes the dates.
	m.Go("/profile")
	m.Select("#time_zone", "Asia/Tokyo")
	m.ClickAndWait(`form[action="/profile"] button[type=submit]`)
	if got := m.Attr("body", "data-time-zone"); got != "Asia/Tokyo" {
		t.Errorf("after choosing Tokyo the page's zone is %q", got)
	}
	m.Snapshot("display-profile-tokyo")
	tab.AssertCleanConsole()
	m.AssertCleanConsole()
}

// newWindowAs opens a second tab in the browser signed in as u (its own
// cookies are shared with the first tab: sign in again there after).
func newWindowAs(t *testing.T, tab *Tab, u *models.User) *Tab {
	t.Helper()
	b := newBrowser(t, tab.App)
	b.Name = u.Name
	login(b, u)
	return b
}
