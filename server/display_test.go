package server_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"pacte/i18n"
	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// displayWorld is a measure that went through most of what the log
// records: edits, an editor, a co-sponsor, a submission, a review, a
// comment reported, hidden, restored and deleted, and account changes.
type displayWorld struct {
	author, mnc, reviewer, moderator, admin *models.User
	measure                                 *models.Measure
	comment                                 int64
}

func newDisplayWorld(t *testing.T, app *servertest.App) *displayWorld {
	t.Helper()
	ctx := context.Background()
	w := &displayWorld{
		author:    app.User(models.RoleMember, "apebi"),
		mnc:       app.User(models.RoleMember, "mnc"),
		reviewer:  app.User(models.RoleReviewer, "ministry"),
		moderator: app.User(models.RoleModerator, "msec"),
		admin:     app.User(models.RoleAdmin, ""),
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m, err := app.Store.CreateMeasure(ctx, w.author, models.NewMeasure{Title: "Cloud souverain", Summary: "Un cloud national.", Body: "Texte.", Pillar: "enablers", Axis: "cloud_computing"})
	must(err)
	title := "Cloud souverain marocain"
	m, err = app.Store.UpdateMeasure(ctx, w.author, m.ID, models.MeasureChange{Title: &title, Revision: m.Revision})
	must(err)
	_, err = app.Store.AddEditor(ctx, w.author, m.ID, w.mnc.ID)
	must(err)
	must(app.Store.Cosponsor(ctx, w.mnc, m.ID))
	c, err := app.Store.CreateComment(ctx, w.mnc, m.ID, models.NewComment{Body: "Un avis {\"json\": 1}"})
	must(err)
	w.comment = c.ID
	_, err = app.Store.ReportComment(ctx, w.author, c.ID, "Hors sujet")
	must(err)
	_, err = app.Store.HideComment(ctx, w.moderator, c.ID, "Raison de modération")
	must(err)
	_, err = app.Store.RestoreComment(ctx, w.moderator, c.ID)
	must(err)
	must(app.Store.DeleteComment(ctx, w.mnc, c.ID))
	m, err = app.Store.TransitionMeasure(ctx, w.author, m.ID, models.TransSubmit, m.Revision)
	must(err)
	_, m, err = app.Store.ReviewMeasure(ctx, w.reviewer, m.ID, models.ReviewInput{Decision: models.DecisionChangesRequested, Note: "Chiffrer le coût.", Revision: m.Revision})
	must(err)
	w.measure = m
	role := models.RoleReviewer
	other := app.User(models.RoleMember, "ausim")
	_, err = app.Store.UpdateUser(ctx, w.admin, other.ID, models.UserChange{Role: &role})
	if err != nil {
		// A member of a federation cannot be a reviewer: suspend instead.
		st := models.StatusSuspended
		_, err = app.Store.UpdateUser(ctx, w.admin, other.ID, models.UserChange{Status: &st})
	}
	must(err)
	_, _, err = app.Store.Invite(ctx, w.admin, models.InviteRequest{Email: "invitee@example.ma", Name: "Invitée", OrganizationID: app.Org("ausim").ID, Role: models.RoleMember})
	must(err)
	return w
}

// rawKey finds what must never show to a person: a catalogue key of an
// event, an event type, or JSON.
func rawKeys(body string) []string {
	var out []string
	if strings.Contains(body, "event.") {
		out = append(out, "event.")
	}
	if strings.Contains(body, "audit.sentence") || strings.Contains(body, "audit.field") {
		out = append(out, "audit.*")
	}
	if strings.Contains(body, `{"`) || strings.Contains(body, `{&#34;`) || strings.Contains(body, `{&quot;`) ||
		strings.Contains(body, `&#34;: `) || strings.Contains(body, `&quot;: `) || strings.Contains(body, `": {`) {
		out = append(out, `{"`)
	}
	for _, typ := range models.EventTypes() {
		if strings.Contains(body, typ) {
			out = append(out, typ)
		}
	}
	return out
}

// withoutUserContent removes what people wrote (comment bodies may hold
// anything) so the scan looks at the interface alone.
func withoutUserContent(body string) string {
	return regexp.MustCompile(`(?s)<div class="comment-body".*?</div>`).ReplaceAllString(body, "")
}

// The audit trail and an account's history read as sentences in the
// reader's language, with facts instead of JSON, and never show a raw key.
func TestDisplay_AuditSentences(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newDisplayWorld(t, app)
		ctx := context.Background()
		// A language switch is recorded as one.
		en := "en"
		if _, err := app.Store.UpdateProfile(ctx, w.author, models.ProfileChange{Locale: &en}); err != nil {
			t.Fatal(err)
		}
		fr := "fr"
		w.author.Locale = "en"
		if _, err := app.Store.UpdateProfile(ctx, w.author, models.ProfileChange{Locale: &fr}); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"fr": {"a fait passer", "la mesure « Cloud souverain marocain »", "a ajouté", "a engagé MNC comme co-signataire",
				"a changé sa langue d&#39;interface", "English", "a masqué", "a rendu l&#39;avis", "Hors sujet", "Raison de modération",
				"a invité", `class="person-org"`, "Langue changée"},
			"en": {"moved", "the measure “Cloud souverain marocain”", "switched their interface language", "hid"},
			"ar": {"الإجراء «Cloud souverain marocain»", "غيّر", "لغة الواجهة"},
		}
		for _, loc := range []string{"fr", "en", "ar"} {
			l := loc
			if _, err := app.Store.UpdateProfile(ctx, w.admin, models.ProfileChange{Locale: &l}); err != nil {
				t.Fatal(err)
			}
			w.admin.Locale = loc
			c := app.Login(w.admin)
			for _, path := range []string{"/audit", fmt.Sprintf("/admin/users/%d", w.author.ID), fmt.Sprintf("/admin/users/%d", w.mnc.ID)} {
				r := getHTML(c, path)
				if r.Status != 200 {
					t.Fatalf("%s %s: %d", loc, path, r.Status)
				}
				body := withoutUserContent(string(r.Body))
				if bad := rawKeys(body); len(bad) > 0 {
					t.Errorf("%s %s shows raw keys or JSON: %v", loc, path, bad)
				}
				if strings.Contains(body, "Compte modifié") || strings.Contains(body, "Account changed") {
					t.Errorf("%s %s: a profile change still reads as a vague account change", loc, path)
				}
				text := regexp.MustCompile(`<bdi[^>]*>|</bdi>`).ReplaceAllString(body, "")
				if loc == "fr" && path == fmt.Sprintf("/admin/users/%d", w.mnc.ID) && !strings.Contains(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, ""), "aux rédacteurs de la mesure « Cloud souverain marocain »") {
					t.Errorf("the account history does not name the measure the person was added to")
				}
				if path == "/audit" {
					for _, s := range want[loc] {
						if !strings.Contains(text, s) {
							t.Errorf("%s /audit lacks %q", loc, s)
						}
					}
				}
			}
		}
	})
}

var (
	emitLiteral  = regexp.MustCompile(`Emit\([^\n]*?,\s*"([a-z_]+\.[a-z_.]+)"`)
	returnedType = regexp.MustCompile(`return\s+"([a-z_]+\.[a-z_]+)",\s*map\[string\]any`)
	braces       = regexp.MustCompile(`\{[a-z_]+\}`)
)

// Every event type the code can emit is in models.EventTypes, and each has
// a label and its sentences in the three catalogues, with the same
// placeholders.
func TestDisplay_EveryEventTypeHasSentences(t *testing.T) {
	files, _ := filepath.Glob("../models/*.go")
	more, _ := filepath.Glob("*.go")
	files = append(files, more...)
	emitted := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{emitLiteral, returnedType} {
			for _, m := range re.FindAllSubmatch(b, -1) {
				emitted[string(m[1])] = f
			}
		}
	}
	if len(emitted) < 15 {
		t.Fatalf("found only %d event types in the code: %v", len(emitted), emitted)
	}
	known := map[string]bool{}
	for _, typ := range models.EventTypes() {
		known[typ] = true
	}
	for typ, f := range emitted {
		if !known[typ] {
			t.Errorf("%s emits %q, which models.EventTypes does not list", f, typ)
		}
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range models.EventTypes() {
		keys := append([]string{"event." + typ}, server.EventSentenceKeys(typ)...)
		for _, k := range keys {
			var want string
			for _, loc := range models.Locales {
				if !cat.Has(loc, k) {
					t.Errorf("%s: %q missing in %s", typ, k, loc)
					continue
				}
				ph := braces.FindAllString(cat.T(loc, k), -1)
				sort.Strings(ph)
				got := strings.Join(ph, " ")
				if loc == "fr" {
					want = got
				} else if got != want {
					t.Errorf("%s %q has placeholders %q, fr has %q", loc, k, got, want)
				}
			}
		}
	}
}

// Dates are shown in the person's time zone, in <time datetime> with the
// UTC instant; visitors and people who chose nothing get Morocco's.
func TestDisplay_DatesInTheReadersZone(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newDisplayWorld(t, app)
		c := app.Login(w.author)
		page := fmt.Sprintf("/measures/%d", w.measure.ID)
		created := w.measure.CreatedAt.UTC()
		iso := created.Format(time.RFC3339)
		check := func(zone string, body []byte) {
			t.Helper()
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			local := created.In(loc).Format("15:04")
			re := regexp.MustCompile(`<time datetime="` + regexp.QuoteMeta(iso) + `"[^>]*>[^<]*` + regexp.QuoteMeta(local) + `</time>`)
			if !re.Match(body) {
				t.Errorf("%s: no <time datetime=%q> showing %s", zone, iso, local)
			}
			if !strings.Contains(string(body), `data-time-zone="`+zone+`"`) {
				t.Errorf("%s: body has no data-time-zone", zone)
			}
			if strings.Contains(string(body), " UTC</time>") {
				t.Errorf("%s: a date is still shown in UTC", zone)
			}
		}
		r := getHTML(c, page)
		check(models.DefaultTimeZone, r.Body)

		// The profile offers zones, Morocco's first, and keeps the choice.
		pr := getHTML(c, "/profile")
		c.CSRF = csrfFromHTML(t, pr.Body)
		if !regexp.MustCompile(`<select id="time_zone" name="time_zone"[^>]*>\s*<option dir="auto" value="Africa/Casablanca" selected>`).Match(pr.Body) {
			t.Errorf("profile: Africa/Casablanca is not the first, chosen zone")
		}
		bad := postForm(c, "/profile", url.Values{"csrf_token": {c.CSRF}, "name": {w.author.Name}, "locale": {"fr"}, "time_zone": {"Mars/Olympus"}})
		if bad.Status != 422 || !strings.Contains(string(bad.Body), "Choisissez un fuseau horaire") || !strings.Contains(string(bad.Body), `value="Mars/Olympus"`) && !strings.Contains(string(bad.Body), `aria-invalid="true"`) {
			t.Errorf("unknown zone: %d, want 422 with the error beside the field", bad.Status)
		}
		r = postForm(c, "/profile", url.Values{"csrf_token": {c.CSRF}, "name": {w.author.Name}, "locale": {"fr"}, "time_zone": {"Asia/Tokyo"}})
		if r.Status != 303 {
			t.Fatalf("save zone: %d %s", r.Status, r.Body)
		}
		check("Asia/Tokyo", getHTML(c, page).Body)
		// Another person reading the same page at once still gets theirs.
		check(models.DefaultTimeZone, getHTML(app.Login(w.mnc), page).Body)
		// The audit trail too.
		rc := app.Login(w.moderator)
		if body := getHTML(rc, "/audit").Body; !strings.Contains(string(body), `<time datetime="`) || strings.Contains(string(body), " UTC</time>") {
			t.Errorf("audit dates are not <time> in the reader's zone")
		}
		// Visitors: Morocco's zone.
		if body := getHTML(app.Anonymous(), "/login").Body; !strings.Contains(string(body), `data-time-zone="Africa/Casablanca"`) {
			t.Errorf("visitors do not get Africa/Casablanca")
		}
		// The change is logged as what it is.
		var n int64
		if err := app.Store.Read(context.Background()).Table("events").Where("type = ? AND payload LIKE ?", "user.updated", "%Asia/Tokyo%").Count(&n).Error; err != nil || n != 1 {
			t.Errorf("time-zone change events: %d, %v", n, err)
		}
	})
}

// A draft names who can read it.
func TestDisplay_VisibilityNamesTheFederations(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		author, mnc := app.User(models.RoleMember, "apebi"), app.User(models.RoleMember, "mnc")
		m, err := app.Store.CreateMeasure(ctx, author, models.NewMeasure{Title: "Brouillon", Summary: "Résumé.", Body: "Texte.", Pillar: "enablers", Axis: "cloud_computing"})
		if err != nil {
			t.Fatal(err)
		}
		// A federation co-signs once the draft is shared with it.
		err = app.Store.Write(ctx, func(tx *models.Tx) error {
			return tx.Exec(`INSERT INTO measure_cosponsors (measure_id, organization_id, user_id, created_at) VALUES (?, ?, ?, ?)`,
				m.ID, mnc.OrgID(), mnc.ID, time.Now().UTC()).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		body := html.UnescapeString(string(getHTML(app.Login(author), fmt.Sprintf("/measures/%d", m.ID)).Body))
		want := "Visible par : APEBI (fédération porteuse), MNC (co-signataire), les rédacteurs de la mesure, modérateurs et administrateurs"
		if !strings.Contains(body, want) {
			t.Errorf("the draft does not say who sees it: want %q", want)
		}
		if strings.Contains(body, "Fédérations seulement") {
			t.Errorf("the misleading label is still there")
		}
	})
}

// Two people may bear the same name: every name shows its organisation.
func TestDisplay_NamesCarryTheirOrganisation(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		w := newDisplayWorld(t, app)
		same := "Nadia Alaoui"
		for _, u := range []*models.User{w.author, w.mnc} {
			if _, err := app.Store.UpdateProfile(ctx, u, models.ProfileChange{Name: &same}); err != nil {
				t.Fatal(err)
			}
		}
		m, err := app.Store.CreateMeasure(ctx, w.author, models.NewMeasure{Title: "Ouverte", Summary: "Résumé.", Body: "Texte.", Pillar: "enablers", Axis: "cloud_computing"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Store.AddEditor(ctx, w.author, m.ID, w.mnc.ID); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*models.User{w.author, w.mnc} {
			if _, err := app.Store.CreateComment(ctx, u, m.ID, models.NewComment{Body: "Bonjour"}); err != nil {
				t.Fatal(err)
			}
		}
		named := func(org string) *regexp.Regexp {
			return regexp.MustCompile(`<bdi class="person-name">` + same + `</bdi> <span class="person-org"[^>]*>` + org + `</span>`)
		}
		mod := app.Login(w.moderator)
		for _, tc := range []struct {
			c    *servertest.Client
			path string
			orgs []string
		}{
			{app.Login(w.author), fmt.Sprintf("/measures/%d", m.ID), []string{"APEBI", "MNC"}}, // editors, comments
			{app.Login(w.author), fmt.Sprintf("/measures/%d/history", m.ID), []string{"APEBI"}},
			{mod, "/audit", []string{"APEBI", "MNC"}},
			{app.Login(w.admin), "/admin/users", []string{"APEBI", "MNC"}},
		} {
			body := getHTML(tc.c, tc.path).Body
			for _, org := range tc.orgs {
				if !named(org).Match(body) {
					t.Errorf("%s: %q is not shown with %s", tc.path, same, org)
				}
			}
		}
		// Reviews name the reviewer with the ministry.
		body := string(getHTML(app.Login(w.author), fmt.Sprintf("/measures/%d", w.measure.ID)).Body)
		if !regexp.MustCompile(`<bdi class="person-name">[^<]+</bdi> <span class="person-org"[^>]*>Ministère</span>`).MatchString(body) {
			t.Errorf("the reviewer is not shown with the ministry")
		}
	})
}

// Counts follow the language's plural rules: "1 signalement", Arabic's
// dual "بلاغان", never "(s)".
func TestDisplay_PluralCounts(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		w := newCommWorld(t, app)
		one := w.comment(t, w.otherFed, w.open, "Un", 0)
		two := w.comment(t, w.otherFed, w.open, "Deux", 0)
		if _, err := app.Store.ReportComment(ctx, w.author, one, "a"); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*models.User{w.author, w.sameFed} {
			if _, err := app.Store.ReportComment(ctx, u, two, "b"); err != nil {
				t.Fatal(err)
			}
		}
		for loc, want := range map[string][]string{"fr": {">1 signalement<", ">2 signalements<"}, "en": {">1 report<", ">2 reports<"}, "ar": {">بلاغ واحد<", ">بلاغان<"}} {
			l := loc
			if _, err := app.Store.UpdateProfile(ctx, w.moderator, models.ProfileChange{Locale: &l}); err != nil {
				t.Fatal(err)
			}
			w.moderator.Locale = loc
			body := string(getHTML(app.Login(w.moderator), "/moderation").Body)
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("%s /moderation lacks %q", loc, s)
				}
			}
			if strings.Contains(body, "(s)") {
				t.Errorf("%s /moderation still writes (s)", loc)
			}
		}
	})
}

// Scripts read and set the zone through /api/v1/me.
func TestDisplay_TimeZoneAPI(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		c := app.Login(app.User(models.RoleMember, "apebi"))
		var me struct {
			User map[string]any `json:"user"`
		}
		if st := c.Do("GET", "/api/v1/me", nil, &me); st != 200 || me.User["time_zone"] != models.DefaultTimeZone {
			t.Fatalf("GET /api/v1/me: %d, time_zone %v", st, me.User["time_zone"])
		}
		if st := c.Do("PATCH", "/api/v1/me", map[string]string{"time_zone": "Europe/Paris"}, &me); st != 200 || me.User["time_zone"] != "Europe/Paris" {
			t.Fatalf("PATCH time_zone: %d, %v", st, me.User["time_zone"])
		}
		wantError(t, c.Request("PATCH", "/api/v1/me", map[string]string{"time_zone": "Local"}), 422, "invalid_fields", "time_zone")
		wantError(t, c.Request("PATCH", "/api/v1/me", map[string]string{"time_zone": "Nowhere/Atlantis"}), 422, "invalid_fields", "time_zone")
	})
}
