package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// The dashboard in a browser: its charts in French and Arabic, on a
// desktop and at a phone's width (screenshots, looked at), the filter
// form's errors, and figures that follow the events without a reload.

// dashboardTitles are measure titles in French and Arabic, as federations
// write them.
var dashboardTitles = []string{
	"Guichet numérique unique pour les PME",
	"منصة رقمية موحدة لخدمات المقاولات الصغرى",
	"Cloud souverain pour les administrations",
	"تكوين 100 ألف شاب في المهن الرقمية",
	"Fibre optique dans les zones rurales",
	"تعميم الأداء الإلكتروني في الجماعات الترابية",
	"Label « Startup marocaine » et accès à la commande publique",
	"مختبر وطني للذكاء الاصطناعي في خدمة الإدارة",
	"Dématérialisation des marchés publics",
	"Bourses pour les métiers du numérique",
}

// dashSeeder fills twelve weeks of activity ending now, each step at its
// own time: the store's clock is moved back twelve weeks, then forward.
type dashSeeder struct {
	t        *testing.T
	app      *servertest.App
	r        *rand.Rand
	feds     []string
	members  map[string]*models.User
	reviewer *models.User
	// queue holds the submitted measures and when they are to be decided.
	queue []dashDue
}

type dashDue struct {
	id int64
	at time.Time
}

func (s *dashSeeder) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// seedDashboardWeeks makes about forty measures of every federation and
// pillar, some co-sponsored, most submitted and decided, with comments. It
// returns the reviewer and the measures left in review.
func seedDashboardWeeks(t *testing.T, app *servertest.App) (*models.User, []int64) {
	t.Helper()
	s := &dashSeeder{t: t, app: app, r: rand.New(rand.NewPCG(7, 11)), feds: []string{"apebi", "ausim", "mnc", "msec"}, members: map[string]*models.User{}}
	names := map[string]string{"apebi": "Amina Benali", "ausim": "Youssef El Idrissi", "mnc": "Salma Chraibi", "msec": "Karim Ouazzani"}
	for _, f := range s.feds {
		s.members[f] = person(t, app, models.RoleMember, f, names[f])
	}
	s.reviewer = person(t, app, models.RoleReviewer, "ministry", "Nadia Tazi")
	end := app.Clock.Now()
	app.Clock.Advance(-12 * 7 * 24 * time.Hour)
	for app.Clock.Now().Before(end.Add(-30 * time.Hour)) {
		s.measure()
		app.Clock.Advance(time.Duration(18+s.r.IntN(30)) * time.Hour)
		s.decide(app.Clock.Now())
	}
	app.Clock.Advance(end.Sub(app.Clock.Now()))
	var left []int64
	for _, d := range s.queue {
		left = append(left, d.id)
	}
	return s.reviewer, left
}

// measure creates one measure and takes it as far as chance says.
func (s *dashSeeder) measure() {
	ctx := context.Background()
	pillars := [][2]string{{"digital_economy", "sme_digitalisation"}, {"enablers", "cloud_computing"}, {"public_services", ""},
		{"digital_economy", "startups"}, {"enablers", "artificial_intelligence"}, {"digital_economy", "youth_it_training"}}
	lead := s.feds[s.r.IntN(len(s.feds))]
	author := s.members[lead]
	p := pillars[s.r.IntN(len(pillars))]
	m, err := s.app.Store.CreateMeasure(ctx, author, models.NewMeasure{Title: dashboardTitles[s.r.IntN(len(dashboardTitles))],
		Summary: "Résumé de la mesure.", Body: "Le texte de la mesure.", Pillar: p[0], Axis: p[1]})
	s.must(err)
	if s.r.IntN(5) == 0 {
		return // a draft of its federation
	}
	open := models.VisibilityPlatform
	m, err = s.app.Store.UpdateMeasure(ctx, author, m.ID, models.MeasureChange{Visibility: &open, Revision: m.Revision})
	s.must(err)
	if other := s.feds[s.r.IntN(len(s.feds))]; other != lead && s.r.IntN(2) == 0 {
		s.must(s.app.Store.Cosponsor(ctx, s.members[other], m.ID))
	}
	for c := s.r.IntN(7); c > 0; c-- {
		_, err = s.app.Store.CreateComment(ctx, s.members[s.feds[s.r.IntN(len(s.feds))]], m.ID, models.NewComment{Body: "Un avis sur la mesure. رأي في التدبير."})
		s.must(err)
	}
	if s.r.IntN(6) == 0 {
		return // open, not submitted
	}
	_, err = s.app.Store.TransitionMeasure(ctx, author, m.ID, models.TransSubmit, 0)
	s.must(err)
	s.queue = append(s.queue, dashDue{m.ID, s.app.Clock.Now().Add(time.Duration(4+s.r.IntN(500)) * time.Hour)})
}

// decide takes the review decisions due by now; a measure sent back is
// submitted again and waits for another decision.
func (s *dashSeeder) decide(now time.Time) {
	ctx := context.Background()
	rest := s.queue[:0]
	var again []dashDue
	for _, d := range s.queue {
		if d.at.After(now) {
			rest = append(rest, d)
			continue
		}
		m, err := s.app.Store.MeasureByID(ctx, s.reviewer, d.id)
		s.must(err)
		decision := []string{models.DecisionApproved, models.DecisionApproved, models.DecisionChangesRequested, models.DecisionRejected}[s.r.IntN(4)]
		_, _, err = s.app.Store.ReviewMeasure(ctx, s.reviewer, d.id, models.ReviewInput{Decision: decision, Note: "Motif de la décision.", Revision: m.Revision})
		s.must(err)
		if decision == models.DecisionChangesRequested {
			editor := &models.User{ID: m.EditorIDs[0]}
			for _, u := range s.members {
				if u.ID == editor.ID {
					editor = u
				}
			}
			_, err = s.app.Store.TransitionMeasure(ctx, editor, d.id, models.TransSubmit, 0)
			s.must(err)
			again = append(again, dashDue{d.id, now.Add(time.Duration(4+s.r.IntN(200)) * time.Hour)})
		}
	}
	s.queue = append(rest, again...)
}

// windowShots saves the page window by window, top to bottom (a full-page
// capture of a right-to-left page is shifted once the window was resized:
// see look).
func windowShots(tab *Tab, name string) {
	tab.T.Helper()
	height := Eval[int](tab, "document.documentElement.scrollHeight")
	step := Eval[int](tab, "innerHeight") - 60
	for i, y := 1, 0; y < height && i <= 12; i, y = i+1, y+step {
		Eval[bool](tab, fmt.Sprintf(`(window.scrollTo({top: %d, behavior: "instant"}), true)`, y))
		painted(tab)
		windowShot(tab, fmt.Sprintf("%s-%02d", name, i))
	}
	Eval[bool](tab, `(window.scrollTo({top: 0, behavior: "instant"}), true)`)
}

// dashLook is look for the dashboard's own content: a screenshot, no raw
// catalogue key, and nothing of the page's main part wider than it (tables
// scroll inside themselves). The header's width is the layout test's
// concern (TestLayout_HeaderOneRowAndPhoneMenu).
func dashLook(tab *Tab, name string) {
	tab.T.Helper()
	if Eval[int](tab, "innerWidth") > phoneWidth {
		windowShot(tab, name)
	} else {
		tab.Screenshot(name)
	}
	tab.AssertTranslated(name)
	type widths struct {
		Scroll int `json:"scroll"`
		Client int `json:"client"`
	}
	w := Eval[widths](tab, `(() => { const m = document.querySelector("main"); return {scroll: m.scrollWidth, client: m.clientWidth}; })()`)
	if w.Scroll > w.Client {
		tab.T.Errorf("[%s] %s: the dashboard is %dpx wide in a %dpx column", tab.Name, name, w.Scroll, w.Client)
	}
}

// dashKPI reads a headline number of the dashboard by its position.
func dashKPI(tab *Tab, i int) string {
	tab.T.Helper()
	return Eval[string](tab, fmt.Sprintf(`document.querySelectorAll(".dash-kpi-value")[%d]?.textContent.trim() || ""`, i))
}

func TestDashboard_ScreenshotsAndLive(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	reviewer, inReview := seedDashboardWeeks(t, app)
	if len(inReview) == 0 {
		t.Fatal("the seed left no measure in review")
	}
	// The ministry's reviewer reads the dashboard (the figures over every
	// measure open to the platform); another reviewer decides meanwhile.
	other := person(t, app, models.RoleReviewer, "ministry", "Hamid Berrada")

	tab := newBrowser(t, app)
	tab.Name = "reviewer"
	login(tab, reviewer)
	for _, loc := range []string{"fr", "ar"} {
		if loc == "ar" {
			chooseLanguage(tab, "ar")
		}
		tab.resize(1280, 900)
		tab.Go("/dashboard")
		tab.WaitVisible(".dash-chart-wide svg.dash-chart")
		if n := Eval[int](tab, `[...document.querySelectorAll("svg.dash-chart")].filter((s) => s.getClientRects().length).length`); n != 8 {
			t.Errorf("[%s] %d charts shown, want 8", loc, n)
		}
		if loc == "ar" && Eval[string](tab, `getComputedStyle(document.querySelector(".dash-figure")).direction`) != "rtl" {
			t.Error("the Arabic dashboard is not right to left")
		}
		// Every chart is named by its heading and summary, and has a table.
		if bad := Eval[[]string](tab, `[...document.querySelectorAll(".dash-figure")].filter((f) => {
			const svg = [...f.querySelectorAll("svg.dash-chart")].find((s) => s.getClientRects().length);
			const ids = (svg?.getAttribute("aria-labelledby") || "").split(" ");
			return !svg || ids.some((id) => !document.getElementById(id)?.textContent.trim()) || !f.querySelector(".dash-summary").textContent.trim();
		}).map((f) => f.id)`); len(bad) > 0 {
			t.Errorf("[%s] figures without a named chart or a summary: %v", loc, bad)
		}
		tab.Click("#dash-weekly-table")
		dashLook(tab, "dashboard-"+loc+"-desktop")
		windowShots(tab, "dashboard-"+loc+"-desktop")
		tab.resize(phoneWidth, 844)
		tab.Go("/dashboard")
		tab.WaitVisible(".dash-chart-narrow svg.dash-chart")
		// The charts fit the phone; their tables scroll inside themselves.
		if w := Eval[float64](tab, `Math.max(...[...document.querySelectorAll("svg.dash-chart")].map((s) => s.getBoundingClientRect().width))`); w > phoneWidth {
			t.Errorf("[%s] a chart is %.0f px wide on a %d px phone", loc, w, phoneWidth)
		}
		tab.Click("#dash-pending-reviews-table")
		dashLook(tab, "dashboard-"+loc+"-phone")
	}
	tab.AssertCleanConsole()

	t.Run("BadInput", func(t *testing.T) {
		tab.resize(1280, 900)
		if st := tab.Go("/dashboard?from=2026-06-01&to=2026-05-01"); st != 422 {
			t.Errorf("inverted dates: %d", st)
		}
		if got := tab.Focused("dash-to"); got != "dash-to" {
			t.Errorf("focus on %q, want the end date", got)
		}
		if got := tab.Text("#dash-to-error"); !strings.Contains(got, "تاريخ النهاية يسبق تاريخ البداية") {
			t.Errorf("message beside the field: %q", got)
		}
		dashLook(tab, "dashboard-ar-bad-input")
	})

	t.Run("Live", func(t *testing.T) {
		chooseLanguage(tab, "fr")
		tab.Go("/dashboard")
		tab.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
		tab.WaitUntil(`!document.querySelector("[data-dashboard]").hasAttribute("data-stale")`)
		approved, pending := dashKPI(tab, 1), dashKPI(tab, 2)
		// Someone else approves a measure: the page's figures follow.
		id := inReview[0]
		decider := app.Login(other)
		var m struct {
			Revision int `json:"revision"`
		}
		if st := decider.Do("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil, &m); st != 200 {
			t.Fatalf("read measure %d: %d", id, st)
		}
		if st := decider.Do("POST", fmt.Sprintf("/api/v1/measures/%d/reviews", id), map[string]any{"decision": "approved", "revision": m.Revision}, nil); st != 201 {
			t.Fatalf("approve measure %d: %d", id, st)
		}
		tab.WaitUntil(fmt.Sprintf(`document.querySelectorAll(".dash-kpi-value")[2]?.textContent.trim() !== %q`, pending))
		if got := dashKPI(tab, 2); got == pending {
			t.Errorf("pending reviews still %s", got)
		}
		t.Logf("approved %s → %s, pending %s → %s, without a reload", approved, dashKPI(tab, 1), pending, dashKPI(tab, 2))
		if Eval[string](tab, "performance.getEntriesByType('navigation')[0].type") == "reload" {
			t.Error("the page reloaded")
		}
		tab.AssertCleanConsole()
	})
}
