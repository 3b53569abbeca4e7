package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// srAnswer is GET /api/v1/search's answer.
type srAnswer struct {
	Items []struct {
		Type        string  `json:"type"`
		ID          int64   `json:"id"`
		MeasureID   int64   `json:"measure_id"`
		Title       string  `json:"title"`
		SnippetHTML string  `json:"snippet_html"`
		Score       float64 `json:"score"`
		URL         string  `json:"url"`
	} `json:"items"`
	Facets     map[string]map[string]int `json:"facets"`
	Total      int                       `json:"total"`
	NextCursor string                    `json:"next_cursor"`
}

// srSearch asks the API and fails the test on anything but 200.
func srSearch(t *testing.T, c *servertest.Client, params string) srAnswer {
	t.Helper()
	var out srAnswer
	r := c.Request("GET", "/api/v1/search?"+params, nil)
	if r.Status != 200 {
		t.Fatalf("search %s: %d %s", params, r.Status, r.Body)
	}
	if err := r.JSON(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// srKeys names the hits as "measure:TITLEWORD" or "comment:ID" sorted, for
// comparing with a table.
func (a srAnswer) keys(names map[int64]string) []string {
	var out []string
	for _, h := range a.Items {
		if h.Type == "measure" {
			out = append(out, "m:"+names[h.MeasureID])
		} else {
			out = append(out, "c:"+names[-h.ID])
		}
	}
	slices.Sort(out)
	return out
}

func srCaughtUp(t *testing.T, app *servertest.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Server.SearchCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSearch_FindsExactlyWhatEachMaySee: nine kinds of viewer, measures of
// every visibility and status, a hidden comment: each finds exactly what
// the pages would show them, hits and facet counts alike, on both engines.
func TestSearch_FindsExactlyWhatEachMaySee(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		s := app.Store
		lead := app.User(models.RoleMember, "apebi")
		cosponsor := app.User(models.RoleMember, "ausim")
		other := app.User(models.RoleMember, "mnc")
		editor := app.User(models.RoleMember, "mnc") // an editor from another federation
		reviewer := app.User(models.RoleReviewer, "ministry")
		moderator := app.User(models.RoleModerator, "mnc")
		admin := app.User(models.RoleAdmin, "")
		suspended := app.User(models.RoleMember, "apebi")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		names := map[int64]string{} // measure id → code word; -comment id → code word
		create := func(code string) *models.Measure {
			m, err := s.CreateMeasure(ctx, lead, models.NewMeasure{Title: "Mesure " + code + " de souveraineté numérique",
				Summary: "Résumé " + code, Body: "Le texte de la mesure " + code + " sur la souveraineté des données.", Pillar: "enablers"})
			must(err)
			names[m.ID] = code
			return m
		}
		platform := func(m *models.Measure) {
			v := models.VisibilityPlatform
			cur, err := s.MeasureByID(ctx, admin, m.ID)
			must(err)
			_, err = s.UpdateMeasure(ctx, lead, m.ID, models.MeasureChange{Visibility: &v, Revision: cur.Revision})
			must(err)
		}
		comment := func(by *models.User, m *models.Measure, code string) int64 {
			c, err := s.CreateComment(ctx, by, m.ID, models.NewComment{Body: "Commentaire " + code + " sur la souveraineté"})
			must(err)
			names[-c.ID] = code
			return c.ID
		}
		private := create("privee")  // federation draft, co-sponsored, with an outside editor
		create("interne")            // federation draft of its federation only
		open := create("ouverte")    // draft opened to the platform
		review := create("examinee") // submitted
		approved := create("approuvee")
		withdrawn := create("retiree") // withdrawn while a federation draft
		// A federation draft is co-sponsored by someone who can see it: an
		// editor, who then steps back.
		_, err := s.AddEditor(ctx, lead, private.ID, cosponsor.ID)
		must(err)
		must(s.Cosponsor(ctx, cosponsor, private.ID))
		must(s.RemoveEditor(ctx, lead, private.ID, cosponsor.ID))
		_, err = s.AddEditor(ctx, lead, private.ID, editor.ID)
		must(err)
		platform(open)
		for _, m := range []*models.Measure{review, approved} {
			_, err := s.TransitionMeasure(ctx, lead, m.ID, models.TransSubmit, 0)
			must(err)
		}
		cur, err := s.MeasureByID(ctx, admin, approved.ID)
		must(err)
		_, _, err = s.ReviewMeasure(ctx, reviewer, approved.ID, models.ReviewInput{Decision: "approved", Revision: cur.Revision})
		must(err)
		_, err = s.TransitionMeasure(ctx, lead, withdrawn.ID, models.TransWithdraw, 0)
		must(err)
		comment(cosponsor, private, "cprivee")
		comment(other, open, "couverte")
		hidden := comment(other, open, "ccachee")
		_, err = s.HideComment(ctx, moderator, hidden, "Hors sujet.")
		must(err)

		clients := map[string]*servertest.Client{"lead": app.Login(lead), "cosponsor": app.Login(cosponsor), "other": app.Login(other),
			"editor": app.Login(editor), "reviewer": app.Login(reviewer), "moderator": app.Login(moderator), "admin": app.Login(admin),
			"suspended": app.Login(suspended), "anonymous": app.Anonymous()}
		status := models.StatusSuspended
		_, err = s.UpdateUser(ctx, admin, suspended.ID, models.UserChange{Status: &status})
		must(err)
		srCaughtUp(t, app)

		everything := []string{"m:approuvee", "m:examinee", "m:interne", "m:ouverte", "m:privee", "m:retiree"}
		platformOnly := []string{"m:approuvee", "m:examinee", "m:ouverte"}
		for _, tc := range []struct {
			who  string
			want []string // nil: refused (401)
		}{
			{"lead", append(slices.Clone(everything), "c:couverte", "c:cprivee")},
			{"cosponsor", append(slices.Clone(platformOnly), "m:privee", "c:couverte", "c:cprivee")},
			{"other", append(slices.Clone(platformOnly), "c:couverte")},
			{"editor", append(slices.Clone(platformOnly), "m:privee", "c:couverte", "c:cprivee")},
			{"reviewer", append(slices.Clone(platformOnly), "c:couverte")},
			{"moderator", append(slices.Clone(everything), "c:ccachee", "c:couverte", "c:cprivee")},
			{"admin", append(slices.Clone(everything), "c:ccachee", "c:couverte", "c:cprivee")},
			{"suspended", nil},
			{"anonymous", nil},
		} {
			c := clients[tc.who]
			if tc.want == nil {
				if r := c.Request("GET", "/api/v1/search?q=souverainete", nil); r.Status != 401 {
					t.Errorf("%s: status %d, want 401", tc.who, r.Status)
				}
				continue
			}
			slices.Sort(tc.want)
			ans := srSearch(t, c, "q=souverainete")
			if got := ans.keys(names); !slices.Equal(got, tc.want) || ans.Total != len(tc.want) {
				t.Errorf("%s finds %v (total %d), want %v", tc.who, got, ans.Total, tc.want)
			}
			// Facets count only what the viewer may find.
			measures, comments := 0, 0
			for _, k := range tc.want {
				if strings.HasPrefix(k, "m:") {
					measures++
				} else {
					comments++
				}
			}
			if ans.Facets["type"]["measure"] != measures || ans.Facets["type"]["comment"] != comments {
				t.Errorf("%s: type facet %v, want %d measures and %d comments", tc.who, ans.Facets["type"], measures, comments)
			}
			statuses := 0
			for _, n := range ans.Facets["status"] {
				statuses += n
			}
			if statuses != len(tc.want) {
				t.Errorf("%s: status facet counts %d documents, want %d", tc.who, statuses, len(tc.want))
			}
			// Nor does a hidden comment's text show through a title or snippet.
			for _, h := range ans.Items {
				if strings.Contains(h.SnippetHTML, "ccachee") && tc.who != "moderator" && tc.who != "admin" {
					t.Errorf("%s sees the hidden comment's text", tc.who)
				}
			}
		}
	})
}

// TestSearch_Fresh: what is written is found within a second, and what
// changes (text, access, a hidden comment) stops being found as fast.
func TestSearch_Fresh(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "mnc")
	moderator := app.User(models.RoleModerator, "")
	ac, oc, mc := app.Login(author), app.Login(other), app.Login(moderator)
	within := func(what string, c *servertest.Client, params string, ok func(srAnswer) bool) {
		t.Helper()
		start := time.Now()
		for {
			if ok(srSearch(t, c, params)) {
				return
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s: not searchable within 1 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	found := func(a srAnswer) bool { return a.Total > 0 }
	gone := func(a srAnswer) bool { return a.Total == 0 }

	m := msCreate(t, ac, "Plateforme de télémédecine rurale")
	within("a new measure", ac, "q=telemedecine", found)
	within("a draft of another federation", oc, "q=telemedecine", gone)
	msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"visibility": "platform", "revision": m.Revision}, 200, nil)
	within("a draft opened to the platform", oc, "q=t%C3%A9l%C3%A9m%C3%A9decine", found)

	var cm struct {
		ID int64 `json:"id"`
	}
	msDo(t, oc, "POST", msPath(m.ID, "/comments"), map[string]any{"body": "Il faut prévoir la cybersécurité des hôpitaux."}, 201, &cm)
	within("a new comment", ac, "q=cybersecurite&type=comment", found)
	msDo(t, mc, "POST", fmt.Sprintf("/api/v1/comments/%d/hide", cm.ID), map[string]any{"reason": "Hors sujet."}, 200, nil)
	within("a hidden comment", ac, "q=cybersecurite", gone)
	within("a hidden comment, for moderators", mc, "q=cybersecurite", found)

	cur := msGet(t, ac, m.ID)
	msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"title": "Plateforme de téléconsultation", "revision": cur.Revision}, 200, nil)
	within("a changed title", ac, "q=teleconsultation", found)

	// A comment carries its measure's status and title: they follow.
	msDo(t, oc, "POST", msPath(m.ID, "/comments"), map[string]any{"body": "Et l'interopérabilité des dossiers ?"}, 201, nil)
	within("a second comment", ac, "q=interoperabilite&type=comment&status=draft", found)
	msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, nil)
	within("a comment of a submitted measure", ac, "q=interoperabilite&type=comment&status=in_review", found)
	within("the comment's old status", ac, "q=interoperabilite&type=comment&status=draft", gone)
}

// TestSearch_BadInput: what people type or forge gets a clear answer,
// never a 500 and never an error for text that merely matches nothing.
func TestSearch_BadInput(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	msCreate(t, c, "Souveraineté numérique")
	srCaughtUp(t, app)
	long := strings.Repeat("numérique ", 1100)
	for _, tc := range []struct {
		params string
		status int
		field  string
	}{
		{"q=", 200, ""},
		{"q=" + url.QueryEscape(long), 422, "q"},
		{"q=" + url.QueryEscape("!!! ??? ... ;;;"), 200, ""},
		{"q=" + url.QueryEscape("' OR 1=1 --; DROP TABLE measures"), 200, ""},
		{"q=" + url.QueryEscape(".*[a-z]+(?=x)\\"), 200, ""},
		{"q=" + url.QueryEscape("\u202eesuqirémun\u202c \u2066num\u2069"), 200, ""},
		{"q=" + url.QueryEscape(`"unbalanced -`), 200, ""},
		{"q=x&type=poll", 422, "type"},
		{"q=x&pillar=moon", 422, "pillar"},
		{"q=x&axis=nowhere", 422, "axis"},
		{"q=x&status=lost", 422, "status"},
		{"q=x&organization_id=999999", 422, "organization_id"},
		{"q=x&organization_id=abc", 422, "organization_id"},
		{"q=x&from=2026-13-45", 422, "from"},
		{"q=x&from=2026-06-01&to=2026-01-01", 422, "to"},
		{"q=x&cursor=@@", 422, "cursor"},
		{"q=x&cursor=" + url.QueryEscape("OTk5OTk5"), 422, "cursor"}, // offset 999999
		{"q=numerique&cursor=" + url.QueryEscape("OTgw"), 200, ""},   // offset 980: an empty page
	} {
		r := c.Request("GET", "/api/v1/search?"+tc.params, nil)
		if r.Status != tc.status {
			t.Errorf("%.60s: status %d, want %d: %s", tc.params, r.Status, tc.status, r.Body)
			continue
		}
		if tc.field != "" {
			var e struct {
				Error struct {
					Fields map[string]string `json:"fields"`
				} `json:"error"`
			}
			r.JSON(&e)
			if e.Error.Fields[tc.field] == "" {
				t.Errorf("%.60s: no message for %s: %s", tc.params, tc.field, r.Body)
			}
		}
	}
	// The page keeps what was typed and says what is wrong beside it.
	p := c.Raw("GET", "/search?q=souverainete&from=hier", "", nil)
	body := string(p.Body)
	if p.Status != 422 || !strings.Contains(body, `value="souverainete"`) || !strings.Contains(body, `id="s-from-error"`) ||
		!strings.Contains(body, `value="hier"`) {
		t.Errorf("page with a bad date: %d", p.Status)
	}
}

// TestSearch_FreshOnEveryInstance: a measure written through one instance
// is found through the other within a second (each keeps its own index,
// following the log).
func TestSearch_FreshOnEveryInstance(t *testing.T) {
	t.Parallel()
	one, two := twoInstances(t)
	author := one.User(models.RoleMember, "apebi")
	c1, c2 := one.Login(author), two.Login(author)
	msCreate(t, c1, "Datacenters régionaux et informatique en nuage")
	start := time.Now()
	for srSearch(t, c2, "q=datacenter").Total == 0 {
		if time.Since(start) > time.Second {
			t.Fatal("the other instance did not find the measure within 1 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSearch_IndexRebuiltAtStart: an index on disk is reused at restart
// and caught up from the log; deleted or unreadable, it is rebuilt from
// the database without anyone doing anything.
func TestSearch_IndexRebuiltAtStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "search")
	app := servertest.New(t, models.SQLite) // its own index stays in memory
	author := app.User(models.RoleMember, "apebi")
	ctx := context.Background()
	write := func(title string) {
		t.Helper()
		if _, err := app.Store.CreateMeasure(ctx, author, models.NewMeasure{Title: title, Summary: "s", Body: "b", Pillar: "enablers"}); err != nil {
			t.Fatal(err)
		}
	}
	// start runs a server on the same database with its index in dir.
	start := func(what string) *server.Server {
		t.Helper()
		srv, err := server.New(server.Config{BaseURL: app.URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Console: io.Discard, SearchDir: dir, PDFAhead: -1, Mailer: app.Mail}, app.Store)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if err := srv.Start(ctx, server.StartOptions{}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := srv.SearchCaughtUp(wait); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return srv
	}
	find := func(srv *server.Server, what, q string) {
		t.Helper()
		if n, err := srv.SearchFinds(ctx, author, q); err != nil || n == 0 {
			t.Fatalf("%s: %q found %d (%v)", what, q, n, err)
		}
	}
	write("Gouvernance des données publiques")
	srv := start("first start")
	find(srv, "new index", "gouvernance")
	srv.Close()

	write("Cybersécurité des PME") // while no server runs
	srv = start("restart")
	find(srv, "reused index", "gouvernance")
	find(srv, "caught up", "cybersecurite")
	srv.Close()

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	srv = start("deleted index")
	find(srv, "rebuilt index", "gouvernance")
	srv.Close()

	files, _ := filepath.Glob(filepath.Join(dir, "store", "*"))
	for _, f := range files {
		os.WriteFile(f, []byte("not an index"), 0o600)
	}
	srv = start("corrupt index")
	find(srv, "rebuilt after corruption", "cybersecurite")
	srv.Close()
}
