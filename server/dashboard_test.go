package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"pacte/models"
	"pacte/server/servertest"
)

// The dashboard's figures against a data set whose answers are known: the
// store's clock is set to a Monday, and each step of the workflow happens
// at a chosen time.

// dashWorld is the seeded data set.
type dashWorld struct {
	app                  *servertest.App
	apebi, ausim, msec   *models.User // members
	reviewer, moderator  *models.User
	m1, m2, m3, m4       int64
	d0                   time.Time // Monday of the first week, 10:00 UTC
	apebiOrg, ausimOrg   int64
	from, to             string // the two weeks
	pendingSince         time.Time
	hiddenComment        int64
	ministryOrganization int64
}

// seedDashboard builds, over two weeks (W0 from d0, W1 a week later):
//
//	m1 APEBI, digital_economy: submitted d0, changes requested d0+24h,
//	   submitted again d0+48h, approved d0+54h (approved)
//	m2 APEBI, enablers, co-sponsored by AUSIM: submitted d0, rejected in W1
//	   at d0+9d+6h (rejected)
//	m3 APEBI, public_services: a draft its federation alone sees
//	m4 AUSIM, digital_economy: submitted d0, in review
//
// and comments: W0 two by MSEC on m1, one by APEBI on m3 (federation
// only), one by AUSIM on m2 that a moderator hides; W1 one by MSEC on m1,
// two by AUSIM on m4.
func seedDashboard(t *testing.T, app *servertest.App) *dashWorld {
	t.Helper()
	ctx := context.Background()
	w := &dashWorld{app: app,
		apebi: app.User(models.RoleMember, "apebi"), ausim: app.User(models.RoleMember, "ausim"), msec: app.User(models.RoleMember, "msec"),
		reviewer: app.User(models.RoleReviewer, "ministry"), moderator: app.User(models.RoleModerator, "ministry"),
		apebiOrg: app.Org("apebi").ID, ausimOrg: app.Org("ausim").ID, ministryOrganization: app.Org("ministry").ID}
	// A Monday at least a week ahead, 10:00 UTC (11:00 or 10:00 in
	// Casablanca: the same day either way).
	now := app.Clock.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, time.UTC).AddDate(0, 0, 7)
	for day.Weekday() != time.Monday {
		day = day.AddDate(0, 0, 1)
	}
	w.d0 = day
	app.Clock.Advance(w.d0.Sub(app.Clock.Now()))
	w.from, w.to = w.d0.Format("2006-01-02"), w.d0.AddDate(0, 0, 13).Format("2006-01-02")

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	create := func(u *models.User, title, pillar, axis string) int64 {
		t.Helper()
		m, err := app.Store.CreateMeasure(ctx, u, models.NewMeasure{Title: title, Summary: "Résumé : " + title,
			Body: "Le texte de la mesure.", Pillar: pillar, Axis: axis})
		must(err)
		return m.ID
	}
	revision := func(id int64) int {
		t.Helper()
		m, err := app.Store.MeasureByID(ctx, w.moderator, id)
		must(err)
		return m.Revision
	}
	submit := func(u *models.User, id int64) {
		t.Helper()
		_, err := app.Store.TransitionMeasure(ctx, u, id, models.TransSubmit, 0)
		must(err)
	}
	review := func(id int64, decision string) {
		t.Helper()
		_, _, err := app.Store.ReviewMeasure(ctx, w.reviewer, id, models.ReviewInput{Decision: decision, Note: "Motif de la décision.", Revision: revision(id)})
		must(err)
	}
	comment := func(u *models.User, id int64, body string) int64 {
		t.Helper()
		c, err := app.Store.CreateComment(ctx, u, id, models.NewComment{Body: body})
		must(err)
		return c.ID
	}

	w.m1 = create(w.apebi, "Guichet numérique unique pour les PME", "digital_economy", "sme_digitalisation")
	w.m2 = create(w.apebi, "Cloud souverain pour les administrations", "enablers", "cloud_computing")
	open := models.VisibilityPlatform
	_, err := app.Store.UpdateMeasure(ctx, w.apebi, w.m2, models.MeasureChange{Visibility: &open, Revision: revision(w.m2)})
	must(err)
	must(app.Store.Cosponsor(ctx, w.ausim, w.m2))
	w.m3 = create(w.apebi, "Brouillon interne de l'APEBI", "public_services", "")
	w.m4 = create(w.ausim, "Formation de 100 000 jeunes aux métiers du numérique", "digital_economy", "youth_it_training")
	submit(w.apebi, w.m1)
	submit(w.apebi, w.m2)
	submit(w.ausim, w.m4)
	w.pendingSince = app.Clock.Now()
	comment(w.msec, w.m1, "Quel calendrier pour les PME des régions ?")
	comment(w.msec, w.m1, "Et pour les coopératives ?")
	comment(w.apebi, w.m3, "À relire avant de l'ouvrir.")
	w.hiddenComment = comment(w.ausim, w.m2, "Un commentaire hors sujet.")
	_, err = app.Store.HideComment(ctx, w.moderator, w.hiddenComment, "Hors sujet.")
	must(err)

	app.Clock.Advance(24 * time.Hour)
	review(w.m1, models.DecisionChangesRequested)
	app.Clock.Advance(24 * time.Hour)
	submit(w.apebi, w.m1)
	app.Clock.Advance(6 * time.Hour)
	review(w.m1, models.DecisionApproved)

	app.Clock.Advance(7 * 24 * time.Hour) // W1, Wednesday 16:00 UTC
	review(w.m2, models.DecisionRejected)
	comment(w.msec, w.m1, "Merci pour l'approbation.")
	comment(w.ausim, w.m4, "Nous ajoutons les chiffres de 2025.")
	comment(w.ausim, w.m4, "Et la répartition par région.")
	return w
}

// dashGet reads the API's figures as c.
func dashGet(t *testing.T, c *servertest.Client, query string) *models.Dashboard {
	t.Helper()
	var d models.Dashboard
	if st := c.Do("GET", "/api/v1/dashboard"+query, nil, &d); st != 200 {
		t.Fatalf("GET /api/v1/dashboard%s: %d\n%s", query, st, c.App().Logs)
	}
	return &d
}

func (w *dashWorld) query(extra string) string {
	return "?from=" + w.from + "&to=" + w.to + extra
}

// cells gives the pillar × status grid's non-zero cells as "pillar/status": n.
func cells(d *models.Dashboard) map[string]int64 {
	out := map[string]int64{}
	for _, c := range d.ByPillarStatus {
		if c.Count != 0 {
			out[c.Pillar+"/"+c.Status] = c.Count
		}
	}
	return out
}

func federation(d *models.Dashboard, id int64) models.FederationCount {
	for _, f := range d.ByFederation {
		if f.OrganizationID == id {
			return f
		}
	}
	return models.FederationCount{}
}

func sameMap(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantHours(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 0.11 {
		t.Errorf("%s = %v, want %.1f", what, deref(got), want)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestDashboard_KnownFigures(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := seedDashboard(t, app)
		staff := dashGet(t, app.Login(w.moderator), w.query(""))

		t.Run("PillarStatus", func(t *testing.T) {
			if staff.Measures != 4 {
				t.Errorf("measures = %d, want 4", staff.Measures)
			}
			sameMap(t, "grid", cells(staff), map[string]int64{"digital_economy/approved": 1, "digital_economy/in_review": 1,
				"enablers/rejected": 1, "public_services/draft": 1})
			// The whole grid is there, zeros included: 3 pillars × 6 statuses.
			if len(staff.ByPillarStatus) != 18 {
				t.Errorf("grid has %d cells, want 18", len(staff.ByPillarStatus))
			}
		})
		t.Run("Federations", func(t *testing.T) {
			a, b := federation(staff, w.apebiOrg), federation(staff, w.ausimOrg)
			if a.Led != 3 || a.Cosponsored != 0 || a.LedByStatus[models.StatusApproved] != 1 || a.LedByStatus[models.StatusDraft] != 1 {
				t.Errorf("APEBI = %+v", a)
			}
			if b.Led != 1 || b.Cosponsored != 1 || b.LedByStatus[models.StatusInReview] != 1 {
				t.Errorf("AUSIM = %+v", b)
			}
			if len(staff.ByFederation) != 4 {
				t.Errorf("%d federations, want the 4 seeded", len(staff.ByFederation))
			}
			want := []models.CoSponsorship{{LeadOrganizationID: w.apebiOrg, CosponsorOrganizationID: w.ausimOrg, Count: 1}}
			if fmt.Sprint(staff.CoSponsorships) != fmt.Sprint(want) {
				t.Errorf("co-sponsorships = %+v, want %+v", staff.CoSponsorships, want)
			}
		})
		t.Run("Durations", func(t *testing.T) {
			// In review: 6 h (m1 approved), 24 h (m1 sent back), 222 h
			// (m2 rejected): median 24, p90 24 + 0.8 × 198 = 182.4.
			r := staff.TimeInReview
			if r.Count != 3 {
				t.Fatalf("time in review counts %d decisions, want 3", r.Count)
			}
			wantHours(t, "median in review", r.MedianHours, 24)
			wantHours(t, "p90 in review", r.P90Hours, 182.4)
			if got := []int64{r.Buckets[0].Count, r.Buckets[1].Count, r.Buckets[3].Count}; fmt.Sprint(got) != "[1 1 1]" {
				t.Errorf("buckets under a day, 1-3 days, 1-2 weeks = %v, want [1 1 1]", got)
			}
			// To approval: m1, from its first submission to its approval.
			a := staff.TimeToApproval
			if a.Count != 1 {
				t.Fatalf("time to approval counts %d, want 1", a.Count)
			}
			wantHours(t, "median to approval", a.MedianHours, 54)
			wantHours(t, "p90 to approval", a.P90Hours, 54)
		})
		t.Run("Weekly", func(t *testing.T) {
			want := []models.WeekActivity{
				{Week: w.from, Created: 4, Submitted: 4, Approved: 1, Comments: 3},
				{Week: w.d0.AddDate(0, 0, 7).Format("2006-01-02"), Comments: 3},
			}
			if fmt.Sprint(staff.Weekly) != fmt.Sprint(want) {
				t.Errorf("weekly = %+v, want %+v", staff.Weekly, want)
			}
		})
		t.Run("PendingAndDiscussed", func(t *testing.T) {
			p := staff.PendingReviews
			if p.Count != 1 || len(p.Items) != 1 || p.Items[0].MeasureID != w.m4 {
				t.Fatalf("pending = %+v, want m4 alone", p)
			}
			wantHours(t, "m4 waiting", &p.Items[0].WaitingHours, app.Clock.Now().Sub(w.pendingSince).Hours())
			wantHours(t, "oldest", p.OldestHours, p.Items[0].WaitingHours)
			got := []string{}
			for _, m := range staff.MostDiscussed {
				got = append(got, fmt.Sprintf("%d:%d", m.MeasureID, m.Comments))
			}
			if want := []string{fmt.Sprintf("%d:3", w.m1), fmt.Sprintf("%d:2", w.m4), fmt.Sprintf("%d:1", w.m3)}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("most discussed = %v, want %v (the hidden comment on m2 not counted)", got, want)
			}
		})
		t.Run("Visibility", func(t *testing.T) {
			// Another federation and the ministry do not see APEBI's
			// draft, nor the comment on it.
			for _, u := range []*models.User{w.msec, w.reviewer} {
				d := dashGet(t, app.Login(u), w.query(""))
				if d.Measures != 3 || cells(d)["public_services/draft"] != 0 {
					t.Errorf("%s sees %d measures, grid %v: the federation draft is counted", u.Role, d.Measures, cells(d))
				}
				if federation(d, w.apebiOrg).Led != 2 {
					t.Errorf("%s: APEBI leads %d visible measures, want 2", u.Role, federation(d, w.apebiOrg).Led)
				}
				if d.Weekly[0].Comments != 2 || len(d.MostDiscussed) != 2 {
					t.Errorf("%s: W0 comments %d, most discussed %+v: the draft's comment is counted", u.Role, d.Weekly[0].Comments, d.MostDiscussed)
				}
			}
			// Its own federation does.
			if d := dashGet(t, app.Login(w.apebi), w.query("")); d.Measures != 4 || d.Weekly[0].Comments != 3 {
				t.Errorf("APEBI sees %d measures and %d W0 comments, want 4 and 3", d.Measures, d.Weekly[0].Comments)
			}
		})
		t.Run("FederationFilter", func(t *testing.T) {
			// AUSIM leads m4 and co-sponsors m2.
			d := dashGet(t, app.Login(w.moderator), w.query(fmt.Sprintf("&organization_id=%d", w.ausimOrg)))
			if d.Measures != 2 || d.OrganizationID == nil || *d.OrganizationID != w.ausimOrg {
				t.Errorf("AUSIM's measures = %d (organization_id %v), want 2", d.Measures, d.OrganizationID)
			}
			sameMap(t, "AUSIM grid", cells(d), map[string]int64{"digital_economy/in_review": 1, "enablers/rejected": 1})
			if d.TimeInReview.Count != 1 || d.PendingReviews.Count != 1 || d.Weekly[1].Comments != 2 {
				t.Errorf("AUSIM: %d decisions, %d pending, W1 comments %d; want 1, 1, 2", d.TimeInReview.Count, d.PendingReviews.Count, d.Weekly[1].Comments)
			}
		})
		t.Run("Period", func(t *testing.T) {
			// The second week alone: no measure created, one decision.
			d := dashGet(t, app.Login(w.moderator), "?from="+w.d0.AddDate(0, 0, 7).Format("2006-01-02")+"&to="+w.to)
			if d.Measures != 0 || d.TimeInReview.Count != 1 || d.TimeToApproval.Count != 0 || len(d.Weekly) != 1 || d.Weekly[0].Comments != 3 {
				t.Errorf("W1 alone: %d measures, %d decisions, %d approvals, weekly %+v", d.Measures, d.TimeInReview.Count, d.TimeToApproval.Count, d.Weekly)
			}
			// The default period: the twelve weeks up to today.
			d = dashGet(t, app.Login(w.moderator), "")
			today := app.Clock.Now().In(models.DashboardZone()).Format("2006-01-02")
			if d.To != today || len(d.Weekly) != models.DashboardDefaultWeeks || d.Weekly[len(d.Weekly)-1].Week != w.d0.AddDate(0, 0, 7).Format("2006-01-02") {
				t.Errorf("default period %s to %s with %d weeks, want 12 weeks up to %s", d.From, d.To, len(d.Weekly), today)
			}
		})
		t.Run("Live", func(t *testing.T) {
			// A decision is counted at once: the cached figures are stale
			// as soon as an event is written.
			mod := app.Login(w.moderator)
			before := dashGet(t, mod, w.query(""))
			m, err := app.Store.MeasureByID(context.Background(), w.moderator, w.m4)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := app.Store.ReviewMeasure(context.Background(), w.reviewer, w.m4,
				models.ReviewInput{Decision: models.DecisionApproved, Revision: m.Revision}); err != nil {
				t.Fatal(err)
			}
			after := dashGet(t, mod, w.query(""))
			if after.EventID <= before.EventID || cells(after)["digital_economy/approved"] != 2 || after.PendingReviews.Count != 0 {
				t.Errorf("after approving m4: event %d → %d, grid %v, pending %d", before.EventID, after.EventID, cells(after), after.PendingReviews.Count)
			}
		})
	})
}

func TestDashboard_BadInput(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	ministry := app.Org("ministry").ID
	for _, tc := range []struct {
		name, query, field string
	}{
		{"MalformedFrom", "?from=2026-13-01", "from"},
		{"Words", "?from=yesterday", "from"},
		{"MalformedTo", "?to=30/11/2026", "to"},
		{"Inverted", "?from=2026-06-01&to=2026-05-01", "to"},
		{"HugeRange", "?from=2020-01-01&to=2026-01-01", "from"},
		{"JustOverTwoYears", "?from=2024-01-01&to=2026-01-01", "from"},
		{"Ancient", "?from=1900-01-01&to=1900-02-01", "from"},
		{"FarFuture", "?from=9999-01-01&to=9999-12-31", "from"},
		{"LongString", "?from=" + strings.Repeat("2026-", 4000), "from"},
		{"UnknownOrganization", "?organization_id=999999", "organization_id"},
		{"NotANumber", "?organization_id=apebi", "organization_id"},
		{"Ministry", fmt.Sprintf("?organization_id=%d", ministry), "organization_id"},
		{"Overflow", "?organization_id=99999999999999999999999", "organization_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := c.Request("GET", "/api/v1/dashboard"+tc.query, nil)
			var body struct {
				Error struct {
					Code   string            `json:"code"`
					Fields map[string]string `json:"fields"`
				} `json:"error"`
			}
			if err := r.JSON(&body); err != nil || r.Status != 422 || body.Error.Fields[tc.field] == "" {
				t.Fatalf("status %d, body %s; want 422 naming %s", r.Status, r.Body, tc.field)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
			// The page shows the form again, filled, the message beside the
			// field, and that field focused; CSV files refuse alike.
			page := msHTML(c, "/dashboard"+tc.query)
			html := string(page.Body)
			id := map[string]string{"from": "dash-from", "to": "dash-to", "organization_id": "dash-org"}[tc.field]
			if page.Status != 422 || !strings.Contains(html, `id="`+id+`-error"`) || !regexpFind(html, `id="`+id+`"[^>]*aria-invalid="true"[^>]*autofocus`) {
				t.Errorf("page: status %d, no message or focus on %s: %.300s", page.Status, id, html)
			}
			if strings.Contains(html, "data-dashboard") {
				t.Error("the page shows figures for a wrong filter")
			}
			if r := c.Raw("GET", "/dashboard/weekly.csv"+tc.query, "", nil); r.Status != 422 {
				t.Errorf("CSV: %d", r.Status)
			}
		})
	}
	t.Run("MessagesTranslated", func(t *testing.T) {
		page := msHTML(c, "/dashboard?from=2026-06-01&to=2026-05-01")
		if !strings.Contains(string(page.Body), "La date de fin est antérieure à la date de début.") {
			t.Errorf("the message is not in French: %.2000s", page.Body)
		}
		if !strings.Contains(string(page.Body), `value="2026-06-01"`) || !strings.Contains(string(page.Body), `value="2026-05-01"`) {
			t.Error("the form does not keep the dates typed")
		}
	})
	t.Run("OnlyOneDate", func(t *testing.T) {
		var d models.Dashboard
		if st := c.Do("GET", "/api/v1/dashboard?to=2026-03-31", nil, &d); st != 200 || d.To != "2026-03-31" || d.From != "2026-01-12" {
			t.Errorf("to alone: %d, %s to %s; want the 12 weeks before, from Monday 2026-01-12", st, d.From, d.To)
		}
	})
	t.Run("SignedOut", func(t *testing.T) {
		anon := app.Anonymous()
		if r := anon.Request("GET", "/api/v1/dashboard", nil); r.Status != 401 {
			t.Errorf("API: %d", r.Status)
		}
		if r := msHTML(anon, "/dashboard"); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("page: %d %s", r.Status, r.Header.Get("Location"))
		}
		if r := anon.Raw("GET", "/dashboard/weekly.csv", "", nil); r.Status != 401 && r.Status != 303 {
			t.Errorf("CSV: %d", r.Status)
		}
	})
	t.Run("UnknownFigure", func(t *testing.T) {
		for _, p := range []string{"/dashboard/secrets.csv", "/dashboard/weekly", "/dashboard/weekly.csv.bak"} {
			if r := c.Raw("GET", p, "", nil); r.Status != 404 {
				t.Errorf("%s: %d", p, r.Status)
			}
		}
	})
}

func regexpFind(s, pattern string) bool {
	return regexpMust(pattern).MatchString(s)
}

var regexpMust = regexp.MustCompile

func TestDashboard_Page(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	w := seedDashboard(t, app)
	c := app.Login(w.moderator)
	page := msHTML(c, "/dashboard"+w.query(""))
	html := string(page.Body)
	msWantPage(t, page, 200, `data-page="dashboard"`, `data-topics="measures user:`, `data-dashboard`, `dashboard.css`,
		`<svg class="dash-chart"`, `role="img"`, `aria-labelledby="dash-pillar-status-title dash-pillar-status-summary"`,
		`<table>`, `href="/dashboard/weekly.csv?from=`+w.from, `href="/measures/`+fmt.Sprint(w.m4)+`"`,
		`4 mesures créées sur la période, dont 1 approuvée`,
		`value="`+w.from+`"`)
	for _, id := range []string{"pillar-status", "federations", "co-sponsorships", "durations", "weekly", "comments", "pending-reviews", "most-discussed"} {
		if !strings.Contains(html, `id="dash-`+id+`-summary"`) || !strings.Contains(html, `id="dash-`+id+`-title"`) {
			t.Errorf("figure %s has no title or summary", id)
		}
	}
	for _, k := range regexpMust(`dashboard\.[a-z_.0-9]+`).FindAllString(html, -1) {
		if k != "dashboard.css" {
			t.Errorf("untranslated key: %s", k)
		}
	}

	t.Run("Arabic", func(t *testing.T) {
		if st := c.Do("PATCH", "/api/v1/me", map[string]any{"locale": "ar"}, nil); st != 200 {
			t.Fatalf("switch to Arabic: %d", st)
		}
		html := string(msHTML(c, "/dashboard"+w.query("")).Body)
		for _, want := range []string{`dir="rtl"`, `direction="rtl"`, "لوحة القيادة", "4 تدابير جديدة خلال الفترة، صودق على واحد منها"} {
			if !strings.Contains(html, want) {
				t.Errorf("the Arabic page lacks %q", want)
			}
		}
	})
	t.Run("Fragment", func(t *testing.T) {
		r := msHTML(c, "/dashboard"+w.query("")+"&fragment=1")
		if r.Status != 200 || strings.Contains(string(r.Body), "<html") || !strings.Contains(string(r.Body), "data-dashboard") {
			t.Fatalf("fragment: %d %.200s", r.Status, r.Body)
		}
		tag := r.Header.Get("ETag")
		c.Headers["If-None-Match"] = tag
		defer delete(c.Headers, "If-None-Match")
		if r := msHTML(c, "/dashboard"+w.query("")+"&fragment=1"); r.Status != 304 {
			t.Errorf("same figures again: %d, want 304", r.Status)
		}
		if _, err := app.Store.CreateComment(context.Background(), w.msec, w.m1, models.NewComment{Body: "Encore une question."}); err != nil {
			t.Fatal(err)
		}
		// New figures: a new tag (or, while they are computed, the older
		// ones marked stale).
		if r := msHTML(c, "/dashboard"+w.query("")+"&fragment=1"); r.Status != 200 || r.Header.Get("ETag") == tag {
			t.Errorf("after a comment: %d, tag %s", r.Status, r.Header.Get("ETag"))
		}
	})
	t.Run("HostileTitle", func(t *testing.T) {
		// Titles reach the charts' <text>, the tables and the summaries:
		// escaped everywhere, and no attribute or element comes from them.
		ctx := context.Background()
		m, err := app.Store.CreateMeasure(ctx, w.msec, models.NewMeasure{Title: `<svg onload=alert(1)><script>alert(2)</script>" x='`,
			Summary: "s", Body: "b", Pillar: "enablers"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := app.Store.CreateComment(ctx, w.msec, m.ID, models.NewComment{Body: "Encore."}); err != nil {
				t.Fatal(err)
			}
		}
		page := msHTML(app.Login(w.msec), "/dashboard").Body
		// The page's own <svg> charts are allowed; nothing else that runs.
		z := xhtml.NewTokenizer(bytes.NewReader(page))
		for tt := z.Next(); tt != xhtml.ErrorToken; tt = z.Next() {
			tok := z.Token()
			if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
				continue
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
					t.Errorf("<%s %s=%q>", tok.Data, a.Key, a.Val)
				}
			}
			if tok.Data == "script" && !strings.Contains(fmt.Sprint(tok.Attr), "/static/js/") {
				t.Errorf("a script that is not the bundle: %v", tok)
			}
		}
		if !strings.Contains(string(page), "&lt;svg onload=alert(1)&gt;") {
			t.Error("the hostile title is not shown, escaped, among the most discussed")
		}
	})
	t.Run("Links", func(t *testing.T) {
		// Everyone who may see it has the link in the navigation: a named
		// link for members and reviewers; for moderators and admins, whose
		// row is full, an icon named by its tooltip and a hidden label
		// (written out in the phone menu).
		nav := regexpMust(`<nav class="main-nav"[\s\S]*?</nav>`)
		link := regexpMust(`href="/dashboard" title="([^"]+)"><img [^>]*><span class="nav-label">([^<]+)</span>`)
		for _, tc := range []struct {
			u       *models.User
			compact bool
		}{{w.msec, false}, {w.reviewer, false}, {w.moderator, true}} {
			html := nav.FindString(string(msHTML(app.Login(tc.u), "/measures").Body))
			m := link.FindStringSubmatch(html)
			if m == nil || m[1] != m[2] || (m[1] != "Tableau de bord" && m[1] != "لوحة القيادة") {
				t.Errorf("%s: no named link to the dashboard in the navigation: %s", tc.u.Role, html)
			}
			if got := strings.Contains(html, `<li class="nav-compact"><a href="/dashboard"`); got != tc.compact {
				t.Errorf("%s: compact link %v, want %v", tc.u.Role, got, tc.compact)
			}
		}
		member := app.Login(w.msec)
		if r := msHTML(member, "/dashboard"); r.Status != 200 || !strings.Contains(string(r.Body), `href="/dashboard" aria-current="page"`) {
			t.Errorf("member's dashboard: %d, or not marked current in the navigation", r.Status)
		}
		if r := msHTML(app.Anonymous(), "/"); strings.Contains(string(r.Body), `href="/dashboard"`) {
			t.Error("a visitor is offered the dashboard")
		}
	})
}

func TestDashboard_CSV(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	w := seedDashboard(t, app)
	c := app.Login(w.moderator)
	read := func(name, extra string) [][]string {
		t.Helper()
		r := c.Raw("GET", "/dashboard/"+name+".csv"+w.query(extra), "", nil)
		if r.Status != 200 {
			t.Fatalf("%s.csv: %d %s", name, r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("%s.csv: Content-Type %q", name, ct)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="pacte-dashboard-`+name+`-`+w.from+`-`+w.to+`.csv"` {
			t.Errorf("%s.csv: Content-Disposition %q", name, cd)
		}
		if !strings.HasPrefix(string(r.Body), "\ufeff") || !strings.Contains(string(r.Body), "\r\n") {
			t.Errorf("%s.csv: no BOM or no CRLF", name)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatalf("%s.csv: %v", name, err)
		}
		return rows
	}
	find := func(rows [][]string, first ...string) []string {
		t.Helper()
	next:
		for _, r := range rows {
			for i, f := range first {
				if i >= len(r) || r[i] != f {
					continue next
				}
			}
			return r
		}
		t.Errorf("no row starting with %v in %v", first, rows)
		return nil
	}
	if r := find(read("pillar-status", ""), "digital_economy"); r != nil && len(r) != 4 {
		t.Errorf("pillar-status row %v", r)
	}
	if r := find(read("pillar-status", ""), "enablers", "Catalyseurs", "rejected"); r != nil && r[3] != "1" {
		t.Errorf("enablers/rejected = %v", r)
	}
	rows := read("weekly", "")
	if fmt.Sprint(rows[0]) != "[week created submitted approved comments]" || fmt.Sprint(rows[1]) != "["+w.from+" 4 4 1 3]" {
		t.Errorf("weekly.csv = %v", rows)
	}
	if r := find(read("durations", ""), "time_in_review"); r != nil && (r[1] != "3" || r[2] != "24.0" || r[3] != "182.4") {
		t.Errorf("durations.csv time_in_review = %v", r)
	}
	if r := find(read("co-sponsorships", ""), fmt.Sprint(w.apebiOrg)); r != nil && (r[3] != "AUSIM — Association des utilisateurs des systèmes d'information au Maroc" || r[4] != "1") {
		t.Errorf("co-sponsorships.csv = %v", r)
	}
	if r := find(read("federations", ""), fmt.Sprint(w.ausimOrg), "ausim"); r != nil && r[len(r)-1] != "1" {
		t.Errorf("federations.csv AUSIM = %v", r)
	}
	if r := find(read("pending-reviews", ""), fmt.Sprint(w.m4)); r != nil && r[1] != "Formation de 100 000 jeunes aux métiers du numérique" {
		t.Errorf("pending-reviews.csv = %v", r)
	}
	if r := find(read("most-discussed", ""), fmt.Sprint(w.m1)); r != nil && r[2] != "3" {
		t.Errorf("most-discussed.csv = %v", r)
	}
	t.Run("ArabicAndFormulas", func(t *testing.T) {
		// Names come in the reader's language; a title a spreadsheet would
		// run is defused.
		ar := app.Login(w.reviewer)
		if st := ar.Do("PATCH", "/api/v1/me", map[string]any{"locale": "ar"}, nil); st != 200 {
			t.Fatalf("switch to Arabic: %d", st)
		}
		r := ar.Raw("GET", "/dashboard/pillar-status.csv"+w.query(""), "", nil)
		if !strings.Contains(string(r.Body), "الاقتصاد الرقمي") {
			t.Errorf("Arabic CSV lacks the pillar's Arabic name: %s", r.Body)
		}
		m, err := app.Store.CreateMeasure(context.Background(), w.msec, models.NewMeasure{Title: "=HYPERLINK(\"http://x\")", Summary: "s", Body: "b", Pillar: "enablers"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Store.CreateComment(context.Background(), w.msec, m.ID, models.NewComment{Body: "Un mot."}); err != nil {
			t.Fatal(err)
		}
		r = app.Login(w.moderator).Raw("GET", "/dashboard/most-discussed.csv", "", nil)
		if !strings.Contains(string(r.Body), `"'=HYPERLINK(""http://x"")"`) {
			t.Errorf("a formula title is not defused: %s", r.Body)
		}
	})
}

// TestDashboard_CacheAudiences: staff share one entry; members each have
// theirs, and a member never gets another's figures.
func TestDashboard_CacheAudiences(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	w := seedDashboard(t, app)
	q := w.query("")
	a, b := dashGet(t, app.Login(w.apebi), q), dashGet(t, app.Login(w.msec), q)
	if a.Measures != 4 || b.Measures != 3 {
		t.Errorf("APEBI %d, MSEC %d measures; want 4 and 3", a.Measures, b.Measures)
	}
	admin := app.User(models.RoleAdmin, "")
	m1, m2 := dashGet(t, app.Login(w.moderator), q), dashGet(t, app.Login(admin), q)
	if m1.GeneratedAt != m2.GeneratedAt || m1.Measures != 4 {
		t.Errorf("two staff members got different computations (%s, %s)", m1.GeneratedAt, m2.GeneratedAt)
	}
	if u, err := url.Parse("/dashboard" + q); err != nil || u.Query().Get("from") != w.from {
		t.Fatal(err)
	}
}
