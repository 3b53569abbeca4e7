package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// TestComments_Permissions runs every comment action as every kind of
// person, on a draft open only to its federation and on a measure open to
// the platform, and checks the status. Each cell acts on a fresh comment by
// the measure's author, prepared for the action (hidden before a restore,
// reported before a dismiss).
func TestComments_Permissions(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		ctx := context.Background()
		suspended := app.User(models.RoleMember, "apebi")
		// The suspended person scripts with a token made before the
		// suspension; the anonymous one is a script without cookies (a
		// browser without a session is stopped by CSRF first, see below).
		var tok struct {
			Token string `json:"token"`
		}
		if st := app.Login(suspended).Do("POST", "/api/v1/tokens", map[string]any{"name": "script"}, &tok); st != 201 {
			t.Fatalf("token: %d", st)
		}
		suspendedScript := script(app)
		suspendedScript.Bearer = tok.Token
		suspendedBrowser := app.Login(suspended)
		clients := map[string]*servertest.Client{
			"anonymous": script(app),
			"same_fed":  app.Login(w.sameFed),
			"other_fed": app.Login(w.otherFed),
			"author":    app.Login(w.author),
			"reviewer":  app.Login(w.reviewer),
			"moderator": app.Login(w.moderator),
			"admin":     app.Login(w.admin),
			"suspended": suspendedScript,
		}
		setStatus(t, app, w.admin, suspended, models.StatusSuspended)

		type action struct {
			name    string
			prepare func(id int64)
			method  string
			path    func(measure, id int64) string
			body    any
		}
		hide := func(id int64) {
			if _, err := app.Store.HideComment(ctx, w.moderator, id, "préparation"); err != nil {
				t.Fatal(err)
			}
		}
		report := func(id int64) {
			if _, err := app.Store.ReportComment(ctx, w.sameFed, id, "préparation"); err != nil {
				t.Fatal(err)
			}
		}
		onComment := func(action string) func(int64, int64) string {
			return func(_, id int64) string { return commentPath(id, action) }
		}
		actions := []action{
			{"list", nil, "GET", func(m, _ int64) string { return commentsPath(m) }, nil},
			{"create", nil, "POST", func(m, _ int64) string { return commentsPath(m) }, map[string]any{"body": "Nouveau"}},
			{"reply", nil, "POST", func(m, _ int64) string { return commentsPath(m) }, "reply"},
			{"get", nil, "GET", onComment(""), nil},
			{"edit", nil, "PATCH", onComment(""), map[string]any{"body": "Modifié"}},
			{"delete", nil, "DELETE", onComment(""), nil},
			{"report", nil, "POST", onComment("report"), map[string]any{"reason": "Hors sujet"}},
			{"hide", nil, "POST", onComment("hide"), map[string]any{"reason": "Hors charte"}},
			{"restore", hide, "POST", onComment("restore"), nil},
			{"dismiss", report, "POST", onComment("dismiss"), nil},
		}
		// Statuses in the order of actions above.
		//                    list create reply get edit delete report hide restore dismiss
		member := []int{200, 201, 201, 200, 403, 403, 201, 403, 403, 403}
		author := []int{200, 201, 201, 200, 200, 204, 403, 403, 403, 403}
		staff := []int{200, 201, 201, 200, 403, 204, 201, 200, 200, 200}
		hidden := []int{404, 404, 404, 404, 404, 404, 404, 404, 404, 404}
		signedOut := []int{401, 401, 401, 401, 401, 401, 401, 401, 401, 401}
		want := map[string]map[string][]int{
			"draft": {"anonymous": signedOut, "same_fed": member, "other_fed": hidden, "author": author,
				"reviewer": hidden, "moderator": staff, "admin": staff, "suspended": signedOut},
			"open": {"anonymous": signedOut, "same_fed": member, "other_fed": member, "author": author,
				"reviewer": member, "moderator": staff, "admin": staff, "suspended": signedOut},
		}
		measures := map[string]int64{"draft": w.draft, "open": w.open}
		for mname, mid := range measures {
			for who, statuses := range want[mname] {
				c := clients[who]
				for i, a := range actions {
					id := w.comment(t, w.author, mid, fmt.Sprintf("Commentaire pour %s/%s/%s", mname, who, a.name), 0)
					if a.prepare != nil {
						a.prepare(id)
					}
					body := a.body
					if body == "reply" {
						body = map[string]any{"body": "Réponse", "parent_id": id}
					}
					r := c.Request(a.method, a.path(mid, id), body)
					if r.Status != statuses[i] {
						t.Errorf("%s on %s as %s: %d, want %d (%.200s)", a.name, mname, who, r.Status, statuses[i], r.Body)
					}
					if r.Status >= 400 && r.Status != 401 && !strings.Contains(string(r.Body), `"code"`) {
						t.Errorf("%s on %s as %s: error without a code: %s", a.name, mname, who, r.Body)
					}
				}
			}
		}
		// A browser whose session ended with the suspension gets nothing
		// either: 401 to read, and its writes fail CSRF or sign-in.
		id := w.comment(t, w.author, w.open, "Cible", 0)
		wantStatus(t, suspendedBrowser.Request("GET", commentsPath(w.open), nil), 401)
		for _, r := range []*servertest.Response{
			suspendedBrowser.Request("POST", commentsPath(w.open), map[string]any{"body": "x"}),
			suspendedBrowser.Request("POST", commentPath(id, "report"), map[string]any{"reason": "x"}),
			app.Anonymous().Request("POST", commentsPath(w.open), map[string]any{"body": "x"}),
		} {
			if r.Status != 401 && r.Status != 403 {
				t.Errorf("signed-out write: %d %s", r.Status, r.Body)
			}
		}
		// Denied attempts are logged with who and what.
		if !strings.Contains(app.Logs.String(), "denied") {
			t.Error("no denied attempt was logged")
		}
		// A suspended account keeps no session, and its old cookie does nothing.
		if n := countRows(t, app, "comments", "author_id = ?", suspended.ID); n != 0 {
			t.Errorf("a suspended account wrote %d comments", n)
		}
	})
}

// TestComments_ModerationQueueAPI: moderators list reported and hidden
// comments with the reasons; nobody else may.
func TestComments_ModerationQueueAPI(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		ctx := context.Background()
		reported := w.comment(t, w.author, w.draft, "Signalé", 0)
		hidden := w.comment(t, w.author, w.open, "Masqué", 0)
		w.comment(t, w.author, w.open, "Tranquille", 0)
		app.Store.ReportComment(ctx, w.sameFed, reported, "Insultant")
		app.Store.ReportComment(ctx, w.otherFed, hidden, "Spam")
		app.Store.HideComment(ctx, w.moderator, hidden, "Publicité")

		for _, u := range []*models.User{w.sameFed, w.reviewer, w.author} {
			wantStatus(t, app.Login(u).Request("GET", "/api/v1/moderation/comments", nil), 403)
		}
		wantStatus(t, app.Anonymous().Request("GET", "/api/v1/moderation/comments", nil), 401)
		var q struct {
			Items []struct {
				apiComment
				MeasureTitle string `json:"measure_title"`
				Reports      []struct {
					Reporter apiRef `json:"reporter"`
					Reason   string `json:"reason"`
				} `json:"reports"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		mod := app.Login(w.moderator)
		if st := mod.Do("GET", "/api/v1/moderation/comments", nil, &q); st != 200 || len(q.Items) != 2 {
			t.Fatalf("queue: %d %+v", st, q)
		}
		if q.Items[0].ID != hidden || q.Items[0].HiddenReason == nil || *q.Items[0].HiddenReason != "Publicité" || len(q.Items[0].Reports) != 0 {
			t.Errorf("hidden item: %+v", q.Items[0])
		}
		if q.Items[1].ID != reported || len(q.Items[1].Reports) != 1 || q.Items[1].Reports[0].Reason != "Insultant" ||
			q.Items[1].Reports[0].Reporter.ID != w.sameFed.ID || q.Items[1].MeasureTitle != "Brouillon APEBI" {
			t.Errorf("reported item: %+v", q.Items[1])
		}
		mod.Do("GET", "/api/v1/moderation/comments?show=reported", nil, &q)
		if len(q.Items) != 1 || q.Items[0].ID != reported {
			t.Errorf("reported only: %+v", q.Items)
		}
		mod.Do("GET", "/api/v1/moderation/comments?show=hidden", nil, &q)
		if len(q.Items) != 1 || q.Items[0].ID != hidden {
			t.Errorf("hidden only: %+v", q.Items)
		}
		wantStatus(t, mod.Request("GET", "/api/v1/moderation/comments?show=everything", nil), 400)
		// Paging.
		mod.Do("GET", "/api/v1/moderation/comments?limit=1", nil, &q)
		if len(q.Items) != 1 || q.NextCursor == "" {
			t.Fatalf("page 1: %+v", q)
		}
		first := q.Items[0].ID
		mod.Do("GET", "/api/v1/moderation/comments?limit=1&cursor="+q.NextCursor, nil, &q)
		if len(q.Items) != 1 || q.Items[0].ID == first {
			t.Errorf("page 2: %+v", q)
		}
	})
}
