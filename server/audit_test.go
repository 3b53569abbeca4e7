package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

type apiAuditEntry struct {
	ID        int64          `json:"id"`
	Topic     string         `json:"topic"`
	Event     string         `json:"event"`
	Actor     *apiRef        `json:"actor"`
	MeasureID *int64         `json:"measure_id"`
	Data      map[string]any `json:"data"`
	At        string         `json:"at"`
}

type apiAuditPage struct {
	Items      []apiAuditEntry `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

func readAudit(t *testing.T, c *servertest.Client, query string) apiAuditPage {
	t.Helper()
	var out apiAuditPage
	r := c.Request("GET", "/api/v1/audit"+query, nil)
	if r.Status != 200 {
		t.Fatalf("audit %s: %d %s", query, r.Status, r.Body)
	}
	if err := r.JSON(&out); err != nil {
		t.Fatal(err)
	}
	if out.NextCursor == nil {
		t.Errorf("audit %s: no next_cursor", query)
	}
	return out
}

func auditTypes(p apiAuditPage) string {
	var out []string
	for _, e := range p.Items {
		out = append(out, e.Event)
	}
	return strings.Join(out, " ")
}

// TestAudit_Filters writes events on three days ten days apart and reads
// them back by person, object and date, as each role may.
func TestAudit_Filters(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		ctx := context.Background()
		victim := app.User(models.RoleMember, "mnc")

		day0 := app.Store.Now()
		w.comment(t, w.author, w.draft, "Sur le brouillon", 0)
		onOpen := w.comment(t, w.sameFed, w.open, "Secret de l'auteur", 0)
		app.Clock.Advance(10 * 24 * time.Hour)
		day10 := app.Store.Now()
		if _, err := app.Store.HideComment(ctx, w.moderator, onOpen, "Raison confidentielle"); err != nil {
			t.Fatal(err)
		}
		setStatus(t, app, w.admin, victim, models.StatusSuspended)
		app.Clock.Advance(10 * 24 * time.Hour)
		day20 := app.Store.Now()
		w.comment(t, w.reviewer, w.open, "Avis du ministère", 0)

		mod, reviewer := app.Login(w.moderator), app.Login(w.reviewer)
		date := func(t time.Time) string { return t.UTC().Format("2006-01-02") }

		t.Run("ErrNotAllowed", func(t *testing.T) {
			for _, u := range []*models.User{w.author, w.sameFed, w.otherFed} {
				wantError(t, app.Login(u).Request("GET", "/api/v1/audit", nil), 403, "forbidden")
				wantStatus(t, getHTML(app.Login(u), "/audit"), 403)
			}
			wantStatus(t, script(app).Request("GET", "/api/v1/audit", nil), 401)
		})
		t.Run("ErrBadQuery", func(t *testing.T) {
			for _, q := range []string{"?object=measure", "?object=org:1", "?from=yesterday", "?to=2026-13-40", "?actor=me", "?limit=-1", "?cursor=!!!"} {
				r := mod.Request("GET", "/api/v1/audit"+q, nil)
				if r.Status != 400 {
					t.Errorf("%s: %d %s", q, r.Status, r.Body)
				}
			}
		})
		t.Run("OKEverythingForModerators", func(t *testing.T) {
			all := readAudit(t, mod, "")
			if got := auditTypes(all); got != "comment.created user.updated comment.hidden comment.created comment.created" {
				t.Errorf("all events: %s", got)
			}
			for i := 1; i < len(all.Items); i++ {
				if all.Items[i].ID >= all.Items[i-1].ID {
					t.Error("not newest first")
				}
			}
			h := all.Items[2]
			mo, _ := h.Data["moderator_only"].(map[string]any)
			if h.Actor == nil || h.Actor.ID != w.moderator.ID || h.Actor.Name != w.moderator.Name || mo["reason"] != "Raison confidentielle" ||
				h.MeasureID == nil || *h.MeasureID != w.open || h.Topic != models.MeasureTopic(w.open) {
				t.Errorf("hidden entry: %+v", h)
			}
			if _, err := time.Parse(time.RFC3339, h.At); err != nil {
				t.Errorf("at %q: %v", h.At, err)
			}
		})
		t.Run("OKByPerson", func(t *testing.T) {
			p := readAudit(t, mod, fmt.Sprintf("?actor=%d", w.author.ID))
			if len(p.Items) != 1 || p.Items[0].Actor.ID != w.author.ID {
				t.Errorf("by author: %+v", p)
			}
			if p := readAudit(t, mod, fmt.Sprintf("?actor=%d", w.admin.ID)); auditTypes(p) != "user.updated" {
				t.Errorf("by admin: %s", auditTypes(p))
			}
		})
		t.Run("OKByObject", func(t *testing.T) {
			if p := readAudit(t, mod, fmt.Sprintf("?object=measure:%d", w.draft)); auditTypes(p) != "comment.created" {
				t.Errorf("measure:draft: %s", auditTypes(p))
			}
			if p := readAudit(t, mod, fmt.Sprintf("?object=measure:%d", w.open)); auditTypes(p) != "comment.created comment.hidden comment.created" {
				t.Errorf("measure:open: %s", auditTypes(p))
			}
			if p := readAudit(t, mod, fmt.Sprintf("?object=comment:%d", onOpen)); auditTypes(p) != "comment.hidden comment.created" {
				t.Errorf("comment: %s", auditTypes(p))
			}
			if p := readAudit(t, mod, fmt.Sprintf("?object=user:%d", victim.ID)); auditTypes(p) != "user.updated" {
				t.Errorf("user: %s", auditTypes(p))
			}
			if p := readAudit(t, mod, "?object=comment:999999"); len(p.Items) != 0 {
				t.Errorf("unknown comment: %+v", p)
			}
			if p := readAudit(t, mod, fmt.Sprintf("?measure=%d", w.draft)); auditTypes(p) != "comment.created" {
				t.Errorf("measure= shorthand: %s", auditTypes(p))
			}
		})
		t.Run("OKByDate", func(t *testing.T) {
			if p := readAudit(t, mod, "?to="+date(day0)); auditTypes(p) != "comment.created comment.created" {
				t.Errorf("to day 0: %s", auditTypes(p))
			}
			if p := readAudit(t, mod, "?from="+date(day10)+"&to="+date(day10)); auditTypes(p) != "user.updated comment.hidden" {
				t.Errorf("day 10: %s", auditTypes(p))
			}
			if p := readAudit(t, mod, "?from="+date(day20)); auditTypes(p) != "comment.created" {
				t.Errorf("from day 20: %s", auditTypes(p))
			}
			q := url.Values{"from": {day10.Add(-time.Hour).Format(time.RFC3339)}, "to": {day10.Add(time.Hour).Format(time.RFC3339)}}
			if p := readAudit(t, mod, "?"+q.Encode()); auditTypes(p) != "user.updated comment.hidden" {
				t.Errorf("RFC 3339 range: %s", auditTypes(p))
			}
			q = url.Values{"from": {day20.Add(time.Hour).Format(time.RFC3339)}}
			if p := readAudit(t, mod, "?"+q.Encode()); len(p.Items) != 0 {
				t.Errorf("after everything: %s", auditTypes(p))
			}
		})
		t.Run("OKReviewerSeesVisibleMeasuresOnly", func(t *testing.T) {
			p := readAudit(t, reviewer, "")
			if got := auditTypes(p); got != "comment.created comment.hidden comment.created" {
				t.Errorf("reviewer: %s", got)
			}
			r := reviewer.Request("GET", "/api/v1/audit", nil)
			for _, secret := range []string{"Raison confidentielle", "Secret de l'auteur", "Sur le brouillon", "moderator_only"} {
				if strings.Contains(string(r.Body), secret) {
					t.Errorf("reviewer's audit shows %q: %s", secret, r.Body)
				}
			}
			if p := readAudit(t, reviewer, fmt.Sprintf("?object=measure:%d", w.draft)); len(p.Items) != 0 {
				t.Errorf("reviewer reads the draft's events: %+v", p)
			}
			if p := readAudit(t, reviewer, fmt.Sprintf("?object=user:%d", victim.ID)); len(p.Items) != 0 {
				t.Errorf("reviewer reads account events: %+v", p)
			}
			// The moderator still reads the hidden comment's text in its history.
			r = mod.Request("GET", fmt.Sprintf("/api/v1/audit?object=comment:%d", onOpen), nil)
			if !strings.Contains(string(r.Body), "Secret de l") {
				t.Errorf("moderator's audit lacks the hidden text: %s", r.Body)
			}
		})
		t.Run("OKPaging", func(t *testing.T) {
			for _, c := range []*servertest.Client{mod, reviewer} {
				full := readAudit(t, c, "")
				var seen []int64
				cursor := ""
				for i := 0; i < 10; i++ {
					p := readAudit(t, c, "?limit=2&cursor="+url.QueryEscape(cursor))
					if len(p.Items) > 2 {
						t.Fatalf("page of %d", len(p.Items))
					}
					for _, e := range p.Items {
						seen = append(seen, e.ID)
					}
					if *p.NextCursor == "" {
						break
					}
					cursor = *p.NextCursor
				}
				if len(seen) != len(full.Items) {
					t.Fatalf("paged %v, want %d items", seen, len(full.Items))
				}
				for i, e := range full.Items {
					if seen[i] != e.ID {
						t.Errorf("paged %v differs from %+v", seen, full.Items)
					}
				}
			}
		})
		t.Run("OKPage", func(t *testing.T) {
			for _, c := range []*servertest.Client{mod, reviewer} {
				r := getHTML(c, fmt.Sprintf("/audit?actor=%d&from=%s", w.moderator.ID, date(day0)))
				if r.Status != 200 || strings.Count(string(r.Body), "data-event-id=") != 1 || !strings.Contains(string(r.Body), "#comment-") {
					t.Errorf("audit page: %d %s", r.Status, r.Body)
				}
				if c == reviewer && strings.Contains(string(r.Body), "Raison confidentielle") {
					t.Error("reviewer's audit page shows the moderator's reason")
				}
			}
			r := getHTML(mod, "/audit?from=hier")
			if r.Status != 400 || !strings.Contains(string(r.Body), "field-error") {
				t.Errorf("bad date on the page: %d", r.Status)
			}
			r = getHTML(mod, "/audit?limit=2")
			if !strings.Contains(string(r.Body), "cursor=") {
				t.Error("no next page link")
			}
			for _, loc := range []string{"fr", "en", "ar"} {
				c := app.Login(w.admin)
				c.Request("PATCH", "/api/v1/me", map[string]any{"locale": loc})
				r := getHTML(c, "/audit")
				if r.Status != 200 || untranslated(r.Body) != "" {
					t.Errorf("%s audit page has untranslated keys or failed: %d", loc, r.Status)
				}
			}
		})
	})
}
