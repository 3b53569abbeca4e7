package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"pacte/markdown/xsstest"
	"pacte/models"
	"pacte/server/servertest"
)

// msXSS is the shared corpus plus a few strings aimed at where measure text
// lands: titles and review notes.
var msXSS = append(append([]string{}, xsstest.Payloads...),
	`"><script>alert(1)</script>`,
	`</textarea><script>alert(1)</script>`,
)

// msUnsafe reports executable content in HTML produced from user text.
func msUnsafe(html string) string { return xsstest.Unsafe(html, "<select", "<details") }

// msUnsafePage tokenises a whole page and reports what could run: a script
// other than the bundles, an element that embeds active content, an event
// handler or style attribute, or a javascript:/data: URL. Escaped text that
// merely reads "javascript:" is harmless and passes.
func msUnsafePage(page []byte) string {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "iframe", "object", "embed", "style", "svg", "math", "base", "frame":
				return "element <" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"):
					return fmt.Sprintf("<%s %s=%q>", tok.Data, a.Key, a.Val)
				case a.Key == "style":
					return fmt.Sprintf("<%s style=%q>", tok.Data, a.Val)
				case (a.Key == "href" || a.Key == "src" || a.Key == "action" || a.Key == "formaction" || a.Key == "data") &&
					(strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:text") || strings.HasPrefix(v, "vbscript:")):
					return fmt.Sprintf("<%s %s=%q>", tok.Data, a.Key, a.Val)
				}
			}
			if tok.Data == "script" {
				src := ""
				for _, a := range tok.Attr {
					if a.Key == "src" {
						src = a.Val
					}
				}
				if src != "/static/js/app.js" && src != "/static/js/editor.js" {
					return fmt.Sprintf("script %q", src)
				}
			}
		}
	}
}

func TestMeasuresBadInput_Fields(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	c := app.Login(app.User(models.RoleMember, "apebi"))
	cases := []struct {
		name   string
		change map[string]any
		status int
		code   string
		field  string
	}{
		{"ErrTitleRequired", map[string]any{"title": "  "}, 422, "invalid_fields", "title"},
		{"ErrTitleTooLong", map[string]any{"title": strings.Repeat("é", 201)}, 422, "invalid_fields", "title"},
		{"ErrTitleMultiline", map[string]any{"title": "a\nb"}, 422, "invalid_fields", "title"},
		{"ErrSummaryRequired", map[string]any{"summary": ""}, 422, "invalid_fields", "summary"},
		{"ErrSummaryTooLong", map[string]any{"summary": strings.Repeat("x", 2001)}, 422, "invalid_fields", "summary"},
		{"ErrUnknownPillar", map[string]any{"pillar": "moon_base"}, 422, "invalid_fields", "pillar"},
		{"ErrPillarRequired", map[string]any{"pillar": ""}, 422, "invalid_fields", "pillar"},
		{"ErrUnknownAxis", map[string]any{"axis": "blockchain"}, 422, "invalid_fields", "axis"},
		{"ErrAxisNotInPillar", map[string]any{"pillar": "digital_economy", "axis": "cloud_computing"}, 422, "invalid_fields", "axis"},
		{"ErrAxisOnPillarWithoutAxes", map[string]any{"pillar": "public_services", "axis": "startups"}, 422, "invalid_fields", "axis"},
		{"ErrNulInBody", map[string]any{"body": "a\x00b"}, 422, "invalid_fields", "body"},
		{"ErrBodyTooLarge", map[string]any{"body": strings.Repeat("a", models.MaxBodyBytes+1)}, 413, "body_too_large", "body"},
		{"ErrWrongType", map[string]any{"title": 12}, 422, "invalid_fields", "title"},
	}
	for _, tc := range cases {
		t.Run("Create"+tc.name, func(t *testing.T) {
			body := msNewBody("Valide")
			for k, v := range tc.change {
				body[k] = v
			}
			r := c.Request("POST", "/api/v1/measures", body)
			msWantError(t, r, tc.status, tc.code)
			var e struct {
				Error struct {
					Fields map[string]string `json:"fields"`
				} `json:"error"`
			}
			json.Unmarshal(r.Body, &e)
			if e.Error.Fields[tc.field] == "" {
				t.Errorf("no message for %s: %s", tc.field, r.Body)
			}
		})
		t.Run("Patch"+tc.name, func(t *testing.T) {
			m := msCreate(t, c, "Valide")
			body := map[string]any{"revision": 1}
			for k, v := range tc.change {
				body[k] = v
			}
			msWantError(t, c.Request("PATCH", msPath(m.ID), body), tc.status, tc.code)
			if got := msGet(t, c, m.ID); got.Revision != 1 || got.Title != m.Title || got.Body != m.Body {
				t.Errorf("refused edit changed the measure: %+v", got)
			}
		})
	}
	t.Run("OK100KB", func(t *testing.T) {
		para := "Le **cloud souverain** héberge les données publiques au Maroc. "
		body := strings.Repeat(para+"\n\n", 100*1024/len(para+"\n\n"))
		var m msMeasure
		req := msNewBody("Cent kilo-octets")
		req["body"] = body
		msDo(t, c, "POST", "/api/v1/measures", req, 201, &m)
		if m.Body != body || strings.Count(m.BodyHTML, "<strong>cloud souverain</strong>") != strings.Count(body, para) {
			t.Errorf("100 KB body not kept or not rendered (%d bytes html)", len(m.BodyHTML))
		}
		msWantPage(t, msHTML(c, fmt.Sprintf("/measures/%d", m.ID)), 200, "<strong>cloud souverain</strong>")
		body2 := body + "Une ligne de plus.\n"
		msDo(t, c, "PATCH", msPath(m.ID), map[string]any{"body": body2, "revision": 1}, 200, nil)
		var d struct {
			Hunks []models.Hunk `json:"hunks"`
		}
		msDo(t, c, "GET", msPath(m.ID, "/diff?from=1&to=2"), nil, 200, &d)
		if len(d.Hunks) != 2 || d.Hunks[1].Op != "insert" || d.Hunks[1].Text != "Une ligne de plus.\n" {
			t.Errorf("diff of a 100 KB body: %d hunks, last %+v", len(d.Hunks), d.Hunks[len(d.Hunks)-1])
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		m := msCreate(t, c, "JSON")
		msWantError(t, c.Raw("PATCH", msPath(m.ID), "application/json", strings.NewReader(`{"title":`)), 400, "malformed_json")
		msWantError(t, c.Raw("POST", "/api/v1/measures", "text/plain", strings.NewReader(`{}`)), 400, "unsupported_media_type")
		msWantError(t, c.Raw("POST", msPath(m.ID, "/submit"), "application/json", strings.NewReader(`[1`)), 400, "malformed_json")
		msWantError(t, c.Request("PATCH", msPath(m.ID), map[string]any{"title": "x"}), 422, "invalid_fields")
		msWantError(t, c.Request("GET", "/api/v1/measures/0", nil), 404, "not_found")
		msWantError(t, c.Request("GET", "/api/v1/measures/-1", nil), 404, "not_found")
		msWantError(t, c.Request("GET", "/api/v1/measures/99999999999999999999", nil), 404, "not_found")
		msWantError(t, c.Request("GET", msPath(m.ID, "/revisions/7"), nil), 404, "not_found")
		msWantError(t, c.Request("GET", msPath(m.ID, "/diff?from=1&to=x"), nil), 400, "invalid_query")
		msWantError(t, c.Request("GET", "/api/v1/measures?status=pending", nil), 422, "invalid_fields")
		msWantError(t, c.Request("GET", "/api/v1/measures?cursor=bm9wZQ", nil), 400, "invalid_cursor")
		msWantError(t, c.Request("GET", "/api/v1/measures?organization_id=abc", nil), 400, "invalid_query")
	})
	t.Run("Visibility", func(t *testing.T) {
		m := msCreate(t, c, "Ouvrir")
		msWantError(t, c.Request("PATCH", msPath(m.ID), map[string]any{"visibility": "everyone", "revision": 1}), 422, "invalid_fields")
		var cur msMeasure
		msDo(t, c, "PATCH", msPath(m.ID), map[string]any{"visibility": "platform", "revision": 1}, 200, &cur)
		if cur.Visibility != "platform" || cur.Revision != 2 {
			t.Fatalf("opened: %s %d", cur.Visibility, cur.Revision)
		}
		msWantError(t, c.Request("PATCH", msPath(m.ID), map[string]any{"visibility": "federation", "revision": 2}), 422, "invalid_fields")
		// An edit that changes nothing saves no revision.
		msDo(t, c, "PATCH", msPath(m.ID), map[string]any{"title": cur.Title, "revision": 2}, 200, &cur)
		if cur.Revision != 2 {
			t.Errorf("a no-op edit saved revision %d", cur.Revision)
		}
	})
	t.Run("Editors", func(t *testing.T) {
		m := msCreate(t, c, "Rédacteurs")
		reviewer := app.User(models.RoleReviewer, "ministry")
		msWantError(t, c.Request("POST", msPath(m.ID, "/editors"), map[string]any{"user_id": reviewer.ID}), 422, "invalid_fields")
		msWantError(t, c.Request("POST", msPath(m.ID, "/editors"), map[string]any{"user_id": 987654}), 422, "invalid_fields")
		msWantError(t, c.Request("POST", msPath(m.ID, "/editors"), map[string]any{"user_id": m.Editors[0].ID}), 409, "already_editor")
		msWantError(t, c.Request("DELETE", msPath(m.ID, fmt.Sprintf("/editors/%d", m.Editors[0].ID)), nil), 409, "last_lead_editor")
		msWantError(t, c.Request("DELETE", msPath(m.ID, "/editors/987654"), nil), 404, "not_found")
	})
	t.Run("Pagination", func(t *testing.T) {
		u := app.User(models.RoleMember, "mnc")
		mc := app.Login(u)
		want := map[int64]bool{}
		for i := 0; i < 7; i++ {
			want[msCreate(t, mc, fmt.Sprintf("Page %d", i)).ID] = true
		}
		seen := map[int64]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			var out struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			msDo(t, mc, "GET", "/api/v1/measures?limit=3&organization_id="+fmt.Sprint(u.OrgID())+"&cursor="+url.QueryEscape(cursor), nil, 200, &out)
			if len(out.Items) > 3 || pages > 5 {
				t.Fatalf("page of %d items, page %d", len(out.Items), pages)
			}
			for _, it := range out.Items {
				if seen[it.ID] {
					t.Errorf("measure %d listed twice", it.ID)
				}
				seen[it.ID] = true
			}
			if out.NextCursor == "" {
				break
			}
			cursor = out.NextCursor
		}
		if len(seen) != len(want) {
			t.Errorf("paged through %d measures, want %d", len(seen), len(want))
		}
	})
}

func TestMeasuresBadInput_XSS(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	c := app.Login(author)
	rc := app.Login(app.User(models.RoleReviewer, "ministry"))
	body := "# Attaques\n\n" + strings.Join(msXSS, "\n\n")
	req := msNewBody(`<img src=x onerror=alert(1)> titre`)
	req["body"] = body
	req["summary"] = `<script>alert("résumé")</script>`
	var m msMeasure
	msDo(t, c, "POST", "/api/v1/measures", req, 201, &m)
	if bad := msUnsafe(m.BodyHTML); bad != "" {
		t.Errorf("body_html contains %q: %s", bad, m.BodyHTML)
	}
	if m.Body != body {
		t.Error("the raw body was altered on the way in")
	}
	var sub msMeasure
	msDo(t, c, "POST", msPath(m.ID, "/submit"), nil, 200, &sub)
	msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "changes_requested", "note": strings.Join(msXSS, " "), "revision": sub.Revision}, 201, nil)
	msDo(t, c, "PATCH", msPath(m.ID), map[string]any{"body": body + "\n\n" + `<a href="javascript:alert(2)">y</a>`, "revision": sub.Revision + 1}, 200, nil)
	var pv struct {
		HTML string `json:"html"`
	}
	msDo(t, c, "POST", "/api/v1/preview", map[string]any{"body": body}, 200, &pv)
	if bad := msUnsafe(pv.HTML); bad != "" || pv.HTML == "" {
		t.Errorf("preview contains %q", bad)
	}
	var rv struct {
		BodyHTML string `json:"body_html"`
	}
	msDo(t, c, "GET", msPath(m.ID, "/revisions/1"), nil, 200, &rv)
	if bad := msUnsafe(rv.BodyHTML); bad != "" {
		t.Errorf("revision body_html contains %q", bad)
	}
	// Pages: the only scripts are the bundles, every user string escaped.
	for _, p := range []string{"", "/history", "/diff?from=1&to=4", "/diff?from=1&to=4&mode=inline", "/edit"} {
		r := msHTML(c, fmt.Sprintf("/measures/%d%s", m.ID, p))
		if r.Status != 200 {
			t.Fatalf("GET %s: %d", p, r.Status)
		}
		if bad := msUnsafePage(r.Body); bad != "" {
			t.Errorf("page %s: %s", p, bad)
		}
	}
	msWantError(t, app.Anonymous().Request("POST", "/api/v1/preview", map[string]any{"body": "x"}), 401, "unauthorized")
	msWantError(t, c.Request("POST", "/api/v1/preview", map[string]any{"body": strings.Repeat("x", models.MaxBodyBytes+1)}), 413, "body_too_large")
}

func TestMeasuresBadInput_Unicode(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		c := app.Login(app.User(models.RoleMember, "msec"))
		title := "الهوية الرقمية 🇲🇦 للمواطنين"
		body1 := "## التحول الرقمي\n\nنص أول 🚀 مع emoji 👩🏽‍💻 et du français.\n"
		body2 := "## التحول الرقمي\n\nنص ثانٍ 🚀🚀 مع emoji 👩🏽‍💻 et du français accentué.\n\n- بند جديد 🎉\n"
		req := msNewBody(title)
		req["body"] = body1
		var m msMeasure
		msDo(t, c, "POST", "/api/v1/measures", req, 201, &m)
		if m.Title != title || m.Body != body1 {
			t.Fatalf("created: %q %q", m.Title, m.Body)
		}
		msDo(t, c, "PATCH", msPath(m.ID), map[string]any{"body": body2, "title": title + " ✅", "revision": 1}, 200, &m)
		var r1, r2 struct {
			Title string `json:"title"`
			Body  string `json:"body"`
		}
		msDo(t, c, "GET", msPath(m.ID, "/revisions/1"), nil, 200, &r1)
		msDo(t, c, "GET", msPath(m.ID, "/revisions/2"), nil, 200, &r2)
		if r1.Body != body1 || r2.Body != body2 || r2.Title != title+" ✅" {
			t.Fatalf("revisions: %q / %q", r1.Body, r2.Body)
		}
		var d struct {
			Title models.FieldChange `json:"title"`
			Hunks []models.Hunk      `json:"hunks"`
		}
		msDo(t, c, "GET", msPath(m.ID, "/diff?from=1&to=2"), nil, 200, &d)
		var old, neu strings.Builder
		for _, h := range d.Hunks {
			if h.Op != "insert" {
				old.WriteString(h.Text)
			}
			if h.Op != "delete" {
				neu.WriteString(h.Text)
			}
		}
		if old.String() != body1 || neu.String() != body2 {
			t.Errorf("diff does not rebuild the texts:\n%q\n%q", old.String(), neu.String())
		}
		if !d.Title.Changed || d.Title.To != title+" ✅" {
			t.Errorf("title change: %+v", d.Title)
		}
		page := msHTML(c, fmt.Sprintf("/measures/%d/diff?from=1&to=2", m.ID))
		msWantPage(t, page, 200, "🎉", "👩🏽‍💻", "الرقمي")
	})
}

// TestMeasuresConcurrency_Patch: 50 editors save the revision they read at
// the same moment; each round exactly one wins, the others get 409, and
// nothing is lost.
func TestMeasuresConcurrency_Patch(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		ac := app.Login(author)
		m := msCreate(t, ac, "Course")
		const writers, rounds = 50, 4
		clients := make([]*servertest.Client, writers)
		for i := range clients {
			u := app.User(models.RoleMember, []string{"apebi", "ausim", "mnc", "msec"}[i%4])
			if _, err := app.Store.AddEditor(t.Context(), author, m.ID, u.ID); err != nil {
				t.Fatal(err)
			}
			clients[i] = app.Login(u)
		}
		for round := 0; round < rounds; round++ {
			rev := msGet(t, ac, m.ID).Revision
			var wg sync.WaitGroup
			start := make(chan struct{})
			statuses := make([]int, writers)
			codes := make([]string, writers)
			for i := 0; i < writers; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					r := clients[i].Request("PATCH", msPath(m.ID), map[string]any{"body": fmt.Sprintf("round %d writer %d", round, i), "revision": rev})
					statuses[i], codes[i] = r.Status, r.ErrorCode()
				}(i)
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, st := range statuses {
				switch {
				case st == 200 && winner == -1:
					winner = i
				case st == 200:
					t.Errorf("round %d: writers %d and %d both won", round, winner, i)
				case st != 409 || codes[i] != "stale_revision":
					t.Errorf("round %d writer %d: %d %s", round, i, st, codes[i])
				}
			}
			if winner == -1 {
				t.Fatalf("round %d: nobody won", round)
			}
			got := msGet(t, ac, m.ID)
			if got.Revision != rev+1 || got.Body != fmt.Sprintf("round %d writer %d", round, winner) {
				t.Fatalf("round %d: revision %d body %q, want %d and writer %d", round, got.Revision, got.Body, rev+1, winner)
			}
		}
		var n int64
		app.Store.Read(t.Context()).Table("revisions").Where("measure_id = ?", m.ID).Count(&n)
		if n != int64(1+rounds) {
			t.Errorf("%d revisions, want %d", n, 1+rounds)
		}
	})
}
