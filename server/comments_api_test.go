package server_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf16"

	"pacte/models"
	"pacte/server/servertest"
)

// TestComments_ThreadFlow follows one discussion from the first comment to
// moderation, through the API, and checks the events written with it.
func TestComments_ThreadFlow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		author, member, mod := app.Login(w.author), app.Login(w.sameFed), app.Login(w.moderator)

		// Create.
		var root apiComment
		r := author.Request("POST", commentsPath(w.draft), map[string]any{"body": "Il faut **accélérer**.", "author_id": w.admin.ID})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		r.JSON(&root)
		if root.ID == 0 || root.Body == nil || *root.Body != "Il faut **accélérer**." || root.BodyHTML == nil ||
			!strings.Contains(*root.BodyHTML, "<strong>accélérer</strong>") || root.Author == nil || root.Author.ID != w.author.ID ||
			root.Author.Name != w.author.Name || root.ParentID != nil || root.Anchor != nil || root.CreatedAt == "" {
			t.Fatalf("created comment: %s", r.Body)
		}
		for _, key := range []string{`"parent_id":null`, `"anchor":null`} {
			if !strings.Contains(string(r.Body), key) {
				t.Errorf("create answer lacks %s: %s", key, r.Body)
			}
		}

		// Reply, and a reply to the reply.
		var reply, deep apiComment
		if st := member.Do("POST", commentsPath(w.draft), map[string]any{"body": "D'accord.", "parent_id": root.ID}, &reply); st != 201 || reply.ParentID == nil || *reply.ParentID != root.ID {
			t.Fatalf("reply: %d %+v", st, reply)
		}
		if st := author.Do("POST", commentsPath(w.draft), map[string]any{"body": "Merci.", "parent_id": reply.ID}, &deep); st != 201 {
			t.Fatalf("deep reply: %d", st)
		}
		list := listComments(t, member, w.draft)
		if len(list.Items) != 1 || list.Items[0].ID != root.ID || len(list.Items[0].Replies) != 1 ||
			list.Items[0].Replies[0].ID != reply.ID || len(list.Items[0].Replies[0].Replies) != 1 || list.Count != 3 {
			t.Fatalf("thread: %+v", list)
		}
		if list.NextCursor == nil {
			t.Error("list without next_cursor")
		}

		// Edit: the author only; marked edited.
		wantStatus(t, member.Request("PATCH", commentPath(root.ID, ""), map[string]any{"body": "Pirate"}), 403)
		var edited apiComment
		if st := author.Do("PATCH", commentPath(root.ID, ""), map[string]any{"body": "Il faut accélérer, vite."}, &edited); st != 200 ||
			edited.EditedAt == nil || *edited.Body != "Il faut accélérer, vite." {
			t.Fatalf("edit: %d %+v", st, edited)
		}

		// Report: once per person.
		r = member.Request("POST", commentPath(root.ID, "report"), map[string]any{"reason": "Hors sujet"})
		if r.Status != 201 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		wantError(t, member.Request("POST", commentPath(root.ID, "report"), map[string]any{"reason": "Encore"}), 409, "already_reported")
		wantError(t, author.Request("POST", commentPath(root.ID, "report"), map[string]any{"reason": "Moi"}), 403, "forbidden")
		wantError(t, mod.Request("POST", commentPath(reply.ID, "report"), map[string]any{"reason": ""}), 422, "invalid_fields", "reason")

		// Moderators see the open report count; others do not.
		if c := findComment(listComments(t, mod, w.draft).Items, root.ID); c == nil || c.OpenReports == nil || *c.OpenReports != 1 {
			t.Errorf("moderator's view of the reported comment: %+v", c)
		}
		if c := findComment(listComments(t, member, w.draft).Items, root.ID); c == nil || c.OpenReports != nil {
			t.Errorf("member's view shows report counts: %+v", c)
		}

		// Hide: a reason is required; the body is gone for everyone but moderators.
		wantError(t, mod.Request("POST", commentPath(root.ID, "hide"), map[string]any{"reason": "  "}), 422, "invalid_fields", "reason")
		wantError(t, mod.Request("POST", commentPath(root.ID, "hide"), nil), 422, "invalid_fields", "reason")
		wantStatus(t, member.Request("POST", commentPath(root.ID, "hide"), map[string]any{"reason": "x"}), 403)
		var hidden apiComment
		if st := mod.Do("POST", commentPath(root.ID, "hide"), map[string]any{"reason": "Propos hors charte"}, &hidden); st != 200 ||
			hidden.Status != "hidden" || hidden.HiddenReason == nil || *hidden.HiddenReason != "Propos hors charte" ||
			hidden.HiddenBy == nil || hidden.HiddenBy.ID != w.moderator.ID || hidden.Body == nil {
			t.Fatalf("hide: %d %+v", st, hidden)
		}
		wantError(t, mod.Request("POST", commentPath(root.ID, "hide"), map[string]any{"reason": "again"}), 409, "already_hidden")
		if n := countRows(t, app, "comment_reports", "comment_id = ? AND resolved_at IS NULL", root.ID); n != 0 {
			t.Errorf("hiding left %d open reports", n)
		}
		for _, c := range []*servertest.Client{member, author} {
			r := c.Request("GET", commentsPath(w.draft), nil)
			if strings.Contains(string(r.Body), "accélérer") || strings.Contains(string(r.Body), "Propos hors charte") {
				t.Errorf("hidden body or reason reached a non-moderator: %s", r.Body)
			}
			got := findComment(listComments(t, c, w.draft).Items, root.ID)
			if got == nil || got.Status != "hidden" || got.Body != nil || got.BodyHTML != nil || got.Author != nil || len(got.Replies) != 1 {
				t.Errorf("non-moderator's view of a hidden comment: %+v", got)
			}
			r = c.Request("GET", commentPath(root.ID, ""), nil)
			if r.Status != 200 || strings.Contains(string(r.Body), "accélérer") {
				t.Errorf("GET hidden comment: %d %s", r.Status, r.Body)
			}
		}
		if got := findComment(listComments(t, mod, w.draft).Items, root.ID); got == nil || got.Body == nil || got.HiddenReason == nil || got.HiddenBy == nil {
			t.Errorf("moderator's view of a hidden comment: %+v", got)
		}
		wantError(t, author.Request("PATCH", commentPath(root.ID, ""), map[string]any{"body": "Je corrige"}), 409, "comment_hidden")
		wantError(t, w2(app, w).Request("POST", commentPath(root.ID, "report"), map[string]any{"reason": "x"}), 409, "comment_hidden")
		wantError(t, member.Request("POST", commentsPath(w.draft), map[string]any{"body": "Réponse", "parent_id": root.ID}), 422, "invalid_fields", "parent_id")

		// Restore.
		wantStatus(t, member.Request("POST", commentPath(root.ID, "restore"), nil), 403)
		var restored apiComment
		if st := mod.Do("POST", commentPath(root.ID, "restore"), nil, &restored); st != 200 || restored.Status != "visible" || restored.HiddenReason != nil {
			t.Fatalf("restore: %d %+v", st, restored)
		}
		wantError(t, mod.Request("POST", commentPath(root.ID, "restore"), nil), 409, "not_hidden")
		if got := findComment(listComments(t, member, w.draft).Items, root.ID); got == nil || got.Body == nil || *got.Body != "Il faut accélérer, vite." {
			t.Errorf("restored comment for a member: %+v", got)
		}

		// Dismiss: closes reports without hiding.
		if st := w2(app, w).Do("POST", commentPath(reply.ID, "report"), map[string]any{"reason": "Spam"}, nil); st != 201 {
			t.Fatalf("second report: %d", st)
		}
		wantStatus(t, member.Request("POST", commentPath(reply.ID, "dismiss"), nil), 403)
		wantStatus(t, mod.Request("POST", commentPath(reply.ID, "dismiss"), nil), 200)
		wantError(t, mod.Request("POST", commentPath(reply.ID, "dismiss"), nil), 409, "no_open_reports")
		if got := findComment(listComments(t, member, w.draft).Items, reply.ID); got == nil || got.Status != "visible" {
			t.Errorf("dismissed comment: %+v", got)
		}

		// Delete: a comment with replies leaves a tombstone; a leaf goes.
		wantStatus(t, member.Request("DELETE", commentPath(root.ID, ""), nil), 403)
		wantStatus(t, author.Request("DELETE", commentPath(root.ID, ""), nil), 204)
		list = listComments(t, member, w.draft)
		if len(list.Items) != 1 || list.Items[0].Status != "deleted" || list.Items[0].Body != nil || list.Items[0].Author != nil ||
			len(list.Items[0].Replies) != 1 || list.Count != 2 {
			t.Fatalf("tombstone: %+v", list)
		}
		var body string
		app.Store.Read(context.Background()).Table("comments").Select("body").Where("id = ?", root.ID).Scan(&body)
		if body != "" {
			t.Errorf("deleted comment's text kept: %q", body)
		}
		wantStatus(t, author.Request("DELETE", commentPath(root.ID, ""), nil), 404)
		wantStatus(t, author.Request("PATCH", commentPath(root.ID, ""), map[string]any{"body": "x"}), 404)
		wantError(t, member.Request("POST", commentsPath(w.draft), map[string]any{"body": "x", "parent_id": root.ID}), 422, "invalid_fields", "parent_id")
		wantStatus(t, author.Request("DELETE", commentPath(deep.ID, ""), nil), 204)
		wantStatus(t, mod.Request("DELETE", commentPath(reply.ID, ""), nil), 204) // a moderator deletes too
		if list = listComments(t, member, w.draft); len(list.Items) != 0 || list.Count != 0 {
			t.Errorf("thread after deleting everything: %+v", list)
		}

		// One event per change, on the measure's topic, in order.
		var evs []models.Event
		app.Store.Read(context.Background()).Where("measure_id = ? AND type LIKE ?", w.draft, "comment.%").Order("id").Find(&evs)
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
			if e.Topic != models.MeasureTopic(w.draft) {
				t.Errorf("%s on topic %s", e.Type, e.Topic)
			}
		}
		want := "comment.created comment.created comment.created comment.updated comment.reported comment.hidden comment.restored comment.reported comment.reports_dismissed comment.deleted comment.deleted comment.deleted"
		if strings.Join(types, " ") != want {
			t.Errorf("events:\n got %s\nwant %s", strings.Join(types, " "), want)
		}
		created := eventsOf(t, app, w.draft, "comment.created")[0].Data()
		c, _ := created["comment"].(map[string]any)
		if c == nil || c["body_html"] == nil || c["author"] == nil || c["created_at"] == nil || created["comment_id"] == nil {
			t.Errorf("comment.created data: %v", created)
		}
		for _, typ := range []string{"comment.hidden", "comment.reported"} {
			e := eventsOf(t, app, w.draft, typ)[0]
			if strings.Contains(e.Payload, "accélérer") {
				t.Errorf("%s carries the body: %s", typ, e.Payload)
			}
			d := e.Data()
			mo, _ := d["moderator_only"].(map[string]any)
			if mo == nil || mo["reason"] == nil || d["reason"] != nil || d["reporter"] != nil || d["comment_id"] == nil {
				t.Errorf("%s data: %v", typ, d)
			}
			for k := range d {
				if k != "comment_id" && k != "moderator_only" {
					t.Errorf("%s: key %q outside moderator_only", typ, k)
				}
			}
		}
	})
}

// w2 is another member of the draft's federation, signed in.
func w2(app *servertest.App, w *commWorld) *servertest.Client {
	return app.Login(app.User(models.RoleMember, "apebi"))
}

// utf16Offsets gives the UTF-16 offsets of the first occurrence of sub in s,
// as the browser counts them.
func utf16Offsets(s, sub string) (int, int) {
	i := strings.Index(s, sub)
	from := len(utf16.Encode([]rune(s[:i])))
	return from, from + len(utf16.Encode([]rune(sub)))
}

// TestComments_Anchors checks quoted spans: UTF-16 offsets, the quote
// matching the body, and replies that cannot quote.
func TestComments_Anchors(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		c := app.Login(w.sameFed)
		from, to := utf16Offsets(commBody, "🇲🇦 des PME")
		if runeFrom := strings.Index(commBody, "🇲🇦"); from == runeFrom {
			t.Fatal("the fixture must make UTF-16 and byte offsets differ")
		}
		var got apiComment
		r := c.Request("POST", commentsPath(w.open), map[string]any{"body": "Le drapeau ?", "anchor": map[string]any{"quote": "🇲🇦 des PME", "from": from, "to": to}})
		if r.Status != 201 {
			t.Fatalf("anchored comment: %d %s", r.Status, r.Body)
		}
		r.JSON(&got)
		if got.Anchor == nil || got.Anchor.Quote != "🇲🇦 des PME" || got.Anchor.From != from || got.Anchor.To != to || got.Anchor.Detached {
			t.Errorf("anchor: %+v", got.Anchor)
		}
		bad := []map[string]any{
			{"quote": "🇲🇦 des PME", "from": from + 1, "to": to + 1}, // shifted
			{"quote": "des PME", "from": from, "to": to},            // not the text there
			{"quote": "🇲🇦 des PME", "from": strings.Index(commBody, "🇲🇦"), "to": strings.Index(commBody, "🇲🇦") + len("🇲🇦 des PME")}, // byte offsets
			{"quote": "x", "from": 100000, "to": 100001},
			{"quote": "", "from": 0, "to": 0},
			{"quote": "Objectif", "from": 3},
			{"quote": "Obj", "from": 4, "to": 2},
		}
		for _, a := range bad {
			wantError(t, c.Request("POST", commentsPath(w.open), map[string]any{"body": "x", "anchor": a}), 422, "invalid_fields", "anchor")
		}
		f2, t2 := utf16Offsets(commBody, "Objectif")
		wantError(t, c.Request("POST", commentsPath(w.open), map[string]any{"body": "x", "parent_id": got.ID,
			"anchor": map[string]any{"quote": "Objectif", "from": f2, "to": t2}}), 422, "invalid_fields", "anchor")
		if n := countRows(t, app, "comments", "measure_id = ?", w.open); n != 1 {
			t.Errorf("%d comments stored, want 1", n)
		}
	})
}

// TestComments_BadInput sends what should be refused, and checks nothing is
// stored and no event written.
func TestComments_BadInput(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		c := app.Login(w.sameFed)
		other := w.comment(t, w.author, w.open, "Sur une autre mesure", 0)
		before := countRows(t, app, "comments", "")
		eventsBefore := countRows(t, app, "events", "")

		t.Run("ErrMeasureClosed", func(t *testing.T) {
			wantError(t, c.Request("POST", commentsPath(w.withdrawn), map[string]any{"body": "Trop tard"}), 409, "measure_closed")
			wantError(t, c.Request("POST", commentsPath(w.rejected), map[string]any{"body": "Trop tard"}), 409, "measure_closed")
		})
		t.Run("ErrUnknownMeasure", func(t *testing.T) {
			wantError(t, c.Request("POST", commentsPath(999999), map[string]any{"body": "x"}), 404, "not_found")
			wantError(t, c.Request("GET", commentsPath(999999), nil), 404, "not_found")
			wantStatus(t, c.Request("POST", "/api/v1/measures/abc/comments", map[string]any{"body": "x"}), 404)
		})
		t.Run("ErrReplyOtherMeasure", func(t *testing.T) {
			wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": "x", "parent_id": other}), 422, "invalid_fields", "parent_id")
			wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": "x", "parent_id": 987654}), 422, "invalid_fields", "parent_id")
		})
		t.Run("ErrBodyRequired", func(t *testing.T) {
			for _, body := range []any{"", "   \n\t ", "\x00"} {
				wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": body}), 422, "invalid_fields", "body")
			}
			wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{}), 422, "invalid_fields", "body")
			wantError(t, c.Request("PATCH", commentPath(other, ""), map[string]any{"body": ""}), 403, "") // not the author first
		})
		t.Run("ErrBodyTooLong", func(t *testing.T) {
			wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": strings.Repeat("é", models.MaxCommentLen+1)}), 422, "invalid_fields", "body")
		})
		t.Run("ErrWrongTypes", func(t *testing.T) {
			wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": 12}), 422, "invalid_fields", "body")
			wantError(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": "x", "parent_id": "1"}), 422, "invalid_fields", "parent_id")
			wantStatus(t, c.Raw("POST", commentsPath(w.draft), "application/json", strings.NewReader(`{"body":`)), 400)
			wantStatus(t, c.Raw("POST", commentsPath(w.draft), "text/plain", strings.NewReader(`body=x`)), 400)
		})
		if n := countRows(t, app, "comments", ""); n != before {
			t.Errorf("bad input stored %d comments", n-before)
		}
		if n := countRows(t, app, "events", ""); n != eventsBefore {
			t.Errorf("bad input wrote %d events", n-eventsBefore)
		}
		t.Run("OKLongestBody", func(t *testing.T) {
			wantStatus(t, c.Request("POST", commentsPath(w.draft), map[string]any{"body": strings.Repeat("é", models.MaxCommentLen)}), 201)
		})
		t.Run("ClosedMeasuresStillModerated", func(t *testing.T) {
			// Comments made before a measure closed can still be handled.
			var id int64
			app.Store.Write(context.Background(), func(tx *models.Tx) error {
				return tx.Raw(`INSERT INTO comments (measure_id, author_id, body, status, created_at) VALUES (?, ?, 'Ancien', 'visible', ?) RETURNING id`,
					w.withdrawn, w.author.ID, app.Store.Now()).Scan(&id).Error
			})
			wantStatus(t, app.Login(w.moderator).Request("POST", commentPath(id, "hide"), map[string]any{"reason": "Ancien"}), 200)
			list := listComments(t, c, w.withdrawn)
			if len(list.Items) != 1 || list.Items[0].Status != "hidden" {
				t.Errorf("withdrawn measure's thread: %+v", list)
			}
		})
	})
}

// TestComments_XSSCorpus posts every payload of the corpus and checks the
// API's body_html and the measure data hold nothing executable.
func TestComments_XSSCorpus(t *testing.T) {
	if len(commXSSPayloads) < 20 {
		t.Fatal("the corpus must hold at least 20 payloads")
	}
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		c := app.Login(w.sameFed)
		for _, p := range commXSSPayloads {
			var got apiComment
			if st := c.Do("POST", commentsPath(w.open), map[string]any{"body": p}, &got); st != 201 {
				t.Fatalf("post %q: %d", p, st)
			}
			if bad := unsafeHTML(*got.BodyHTML); bad != "" {
				t.Errorf("payload %q → body_html %q contains %s", p, *got.BodyHTML, bad)
			}
			var edited apiComment
			c.Do("PATCH", commentPath(got.ID, ""), map[string]any{"body": p + " " + p}, &edited)
			if bad := unsafeHTML(*edited.BodyHTML); bad != "" {
				t.Errorf("edited payload %q → %q contains %s", p, *edited.BodyHTML, bad)
			}
		}
		for _, item := range listComments(t, c, w.open).Items {
			if bad := unsafeHTML(*item.BodyHTML); bad != "" {
				t.Errorf("listed body_html %q contains %s", *item.BodyHTML, bad)
			}
		}
		for _, e := range eventsOf(t, app, w.open, "comment.created") {
			cm, _ := e.Data()["comment"].(map[string]any)
			if s, _ := cm["body_html"].(string); unsafeHTML(s) != "" {
				t.Errorf("event body_html %q is unsafe", s)
			}
		}
	})
}
