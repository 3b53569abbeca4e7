package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// flashOf reads the one-time message a redirect leaves.
func commentFlashOf(r *servertest.Response) string {
	if c := setCookie(r, "pacte_flash"); c != nil {
		return c.Value
	}
	return ""
}

func wantCommentRedirect(t *testing.T, r *servertest.Response, location, flash string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != location {
		t.Errorf("got %d → %q, want 303 → %q (%.300s)", r.Status, r.Header.Get("Location"), location, r.Body)
	}
	if got := commentFlashOf(r); got != flash {
		t.Errorf("flash %q, want %q", got, flash)
	}
}

// TestComments_Forms drives every comment action through the HTML forms,
// without JavaScript, and checks where each one lands.
func TestComments_Forms(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		author, member, mod, other := app.Login(w.author), app.Login(w.sameFed), app.Login(w.moderator), app.Login(w.otherFed)
		base := fmt.Sprintf("/measures/%d", w.draft)
		lastComment := func() int64 {
			var id int64
			app.Store.Read(context.Background()).Table("comments").Select("MAX(id)").Scan(&id)
			return id
		}

		t.Run("OKCreateAndReply", func(t *testing.T) {
			r := postForm(author, base+"/comments", form(author, "body", "Premier *avis*"))
			root := lastComment()
			wantCommentRedirect(t, r, fmt.Sprintf("%s#comment-%d", base, root), "comment_posted")
			r = postForm(member, fmt.Sprintf("%s/comments?parent_id=%d", base, root), form(member, "body", "Réponse", "parent_id", fmt.Sprint(root)))
			reply := lastComment()
			wantCommentRedirect(t, r, fmt.Sprintf("%s#comment-%d", base, reply), "comment_posted")
			if list := listComments(t, member, w.draft); len(list.Items) != 1 || len(list.Items[0].Replies) != 1 {
				t.Errorf("thread: %+v", list)
			}
			// A quote typed in the form is found in the body.
			r = postForm(member, base+"/comments", form(member, "body", "Sur ce passage", "anchor_quote", "des PME"))
			wantCommentRedirect(t, r, fmt.Sprintf("%s#comment-%d", base, lastComment()), "comment_posted")
			c := findComment(listComments(t, member, w.draft).Items, lastComment())
			if c == nil || c.Anchor == nil || c.Anchor.Quote != "des PME" {
				t.Errorf("anchored by form: %+v", c)
			}
		})
		t.Run("ErrFixableProblemsComeBack", func(t *testing.T) {
			// The page comes back with the text kept and the error beside
			// its field: TestComments_FormErrorsKeepText checks each one.
			n := countRows(t, app, "comments", "")
			wantStatus(t, postForm(member, base+"/comments", form(member, "body", "  ")), 422)
			wantStatus(t, postForm(member, base+"/comments", form(member, "body", "x", "anchor_quote", "absent du texte")), 422)
			wantStatus(t, postForm(member, fmt.Sprintf("/measures/%d/comments", w.withdrawn), form(member, "body", "x")), 409)
			wantStatus(t, postForm(member, base+"/comments", form(member, "body", "x", "parent_id", "abc")), 422)
			if m := countRows(t, app, "comments", ""); m != n {
				t.Errorf("refused forms stored %d comments", m-n)
			}
		})
		t.Run("ErrNotVisibleOrNoToken", func(t *testing.T) {
			wantStatus(t, postForm(other, base+"/comments", form(other, "body", "x")), 404)
			v := form(member, "body", "x")
			v.Del("csrf_token")
			wantStatus(t, postForm(member, base+"/comments", v), 403)
			// Without a session nothing is written; the browser is sent to sign
			// in. (A browser sends Origin with a form; without one a
			// cookie-less form is refused as a possible login CSRF.)
			anon := app.Anonymous()
			anon.Headers["Origin"] = app.URL
			if r := postForm(anon, base+"/comments", v); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("anonymous form: %d → %s", r.Status, r.Header.Get("Location"))
			}
		})
		t.Run("OKEditReportHideRestoreDismissDelete", func(t *testing.T) {
			id := w.comment(t, w.author, w.draft, "À modifier", 0)
			at := fmt.Sprintf("%s#comment-%d", base, id)
			path := func(action string) string { return fmt.Sprintf("/comments/%d/%s", id, action) }

			wantCommentRedirect(t, postForm(author, path("edit"), form(author, "body", "Modifié")), at, "comment_saved")
			wantStatus(t, postForm(member, path("edit"), form(member, "body", "Pirate")), 403)
			wantCommentRedirect(t, postForm(member, path("report"), form(member, "reason", "Doute")), at, "comment_reported")
			wantStatus(t, postForm(member, path("report"), form(member, "reason", "Doute")), 409)
			wantStatus(t, postForm(mod, path("hide"), form(mod, "reason", "")), 422)
			wantCommentRedirect(t, postForm(mod, path("hide"), form(mod, "reason", "Hors charte", "next", "/moderation?show=reported")),
				"/moderation?show=reported", "comment_hidden_done")
			wantCommentRedirect(t, postForm(mod, path("restore"), form(mod, "next", "https://evil.example/")), at, "comment_restored")
			wantCommentRedirect(t, postForm(mod, path("hide"), form(mod, "reason", "x", "next", "/moderation//evil.example")), at, "comment_hidden_done")
			wantCommentRedirect(t, postForm(mod, path("restore"), form(mod, "next", "/moderation")), "/moderation", "comment_restored")
			wantStatus(t, postForm(member, path("dismiss"), form(member)), 403)
			admin := app.Login(w.admin)
			postForm(admin, path("report"), form(admin, "reason", "Encore"))
			wantCommentRedirect(t, postForm(mod, path("dismiss"), form(mod)), at, "comment_dismissed")
			wantCommentRedirect(t, postForm(author, path("delete"), form(author)), base+"#comments", "comment_deleted")
			wantStatus(t, postForm(author, path("delete"), form(author)), 404)
			if got := eventsOf(t, app, w.draft, "comment.deleted"); len(got) != 1 {
				t.Errorf("%d delete events", len(got))
			}
		})
	})
}

// TestModeration_Page: the queue shows reported and hidden comments with
// reasons and counts, to moderators only.
func TestModeration_Page(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		ctx := context.Background()
		reported := w.comment(t, w.author, w.draft, "Texte signalé", 0)
		hidden := w.comment(t, w.author, w.open, "Texte masqué <script>alert(1)</script>", 0)
		app.Store.ReportComment(ctx, w.sameFed, reported, "Insultant <b>vraiment</b>")
		app.Store.ReportComment(ctx, app.User(models.RoleMember, "apebi"), reported, "Agressif")
		app.Store.HideComment(ctx, w.moderator, hidden, "Publicité")

		for _, u := range []*models.User{w.sameFed, w.reviewer} {
			wantStatus(t, getHTML(app.Login(u), "/moderation"), 403)
		}
		if r := getHTML(app.Anonymous(), "/moderation"); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("anonymous: %d %s", r.Status, r.Header.Get("Location"))
		}
		mod := app.Login(w.moderator)
		r := getHTML(mod, "/moderation")
		body := string(r.Body)
		if r.Status != 200 {
			t.Fatalf("moderation page: %d %s", r.Status, body)
		}
		for _, want := range []string{
			"Texte signalé", "Insultant &lt;b&gt;vraiment&lt;/b&gt;", "Agressif", w.sameFed.Name, "Publicité", "Brouillon APEBI",
			fmt.Sprintf(`action="/comments/%d/hide"`, reported), fmt.Sprintf(`action="/comments/%d/dismiss"`, reported),
			fmt.Sprintf(`action="/comments/%d/restore"`, hidden), fmt.Sprintf(`href="/measures/%d#comment-%d"`, w.draft, reported),
			`name="next" value="/moderation"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("moderation page lacks %q", want)
			}
		}
		if !strings.Contains(body, "2 signalement") {
			t.Error("no report count")
		}
		if bad := pageExecutables(r.Body); len(bad) > 0 {
			t.Errorf("moderation page has executable content: %v", bad)
		}
		r = getHTML(mod, "/moderation?show=hidden")
		if strings.Contains(string(r.Body), "Texte signalé") || !strings.Contains(string(r.Body), "Publicité") {
			t.Error("hidden filter")
		}
		for _, loc := range []string{"en", "ar"} {
			mod.Request("PATCH", "/api/v1/me", map[string]any{"locale": loc})
			r := getHTML(mod, "/moderation")
			if r.Status != 200 || untranslated(r.Body) != "" {
				t.Errorf("%s moderation page has untranslated keys or failed: %d", loc, r.Status)
			}
			if loc == "ar" && !strings.Contains(string(r.Body), `dir="rtl"`) {
				t.Error("Arabic page is not right-to-left")
			}
		}
	})
}

// TestComments_MeasurePage: the thread on the measure page follows the
// live-update markup contract, never shows a hidden body to those who may
// not read it, marks quoted words in the body and holds nothing executable
// whatever people wrote.
func TestComments_MeasurePage(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		ctx := context.Background()
		page := fmt.Sprintf("/measures/%d", w.open)
		root := w.comment(t, w.author, w.open, "Premier **avis**", 0)
		reply := w.comment(t, w.sameFed, w.open, "Une réponse", root)
		if _, err := app.Store.EditComment(ctx, w.author, root, "Premier **avis**, corrigé"); err != nil {
			t.Fatal(err)
		}
		secret := w.comment(t, w.otherFed, w.open, "SECRET-MASQUÉ", 0)
		app.Store.HideComment(ctx, w.moderator, secret, "RAISON-MODÉRATION")
		from, to := utf16Offsets(commBody, "des PME")
		anchored, err := app.Store.CreateComment(ctx, w.sameFed, w.open, models.NewComment{Body: "Lesquelles ?",
			Anchor: &models.AnchorInput{Quote: "des PME", From: from, To: to}})
		if err != nil {
			t.Fatal(err)
		}
		// Words that were deleted since: the co-editing side detaches the anchor.
		f2, t2 := utf16Offsets(commBody, "exportatrices")
		detached, _ := app.Store.CreateComment(ctx, w.sameFed, w.open, models.NewComment{Body: "Et les autres ?",
			Anchor: &models.AnchorInput{Quote: "exportatrices", From: f2, To: t2}})
		app.Store.Write(ctx, func(tx *models.Tx) error {
			return tx.Exec("UPDATE comments SET anchor_detached = ? WHERE id = ?", true, detached.ID).Error
		})
		for _, p := range commXSSPayloads {
			w.comment(t, w.otherFed, w.open, p, 0)
		}

		member := app.Login(w.otherFed)
		r := getHTML(member, page)
		body := string(r.Body)
		if r.Status != 200 {
			t.Fatalf("measure page: %d %.500s", r.Status, body)
		}
		for _, want := range []string{
			`data-live-region="comments"`, "data-comments", fmt.Sprintf(`data-comment-id="%d"`, root),
			fmt.Sprintf(`data-replies-for="%d"`, root), fmt.Sprintf(`id="comment-%d"`, reply),
			`data-field="author"`, `data-field="body"`, `data-field="permalink"`, `class="avatar comment-avatar"`,
			"data-comment-count", "data-comments-empty", "<strong>avis</strong>, corrigé", `class="badge comment-edited"`,
			fmt.Sprintf(`<mark class="comment-anchor" data-anchor-for="%d" id="anchor-%d">des PME</mark>`, anchored.ID, anchored.ID),
			fmt.Sprintf(`href="#anchor-%d"`, anchored.ID), "détaché", "exportatrices",
			fmt.Sprintf(`href="/comments/%d/report"`, root), fmt.Sprintf(`href="?reply_to=%d#reply-form"`, root),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("measure page lacks %q", want)
			}
		}
		if strings.Contains(body, fmt.Sprintf(`data-anchor-for="%d"`, detached.ID)) {
			t.Error("a detached anchor is marked in the body")
		}
		for _, leak := range []string{"SECRET-MASQU", "RAISON-MOD"} {
			if strings.Contains(body, leak) {
				t.Errorf("a member's page shows %q", leak)
			}
		}
		if !strings.Contains(body, fmt.Sprintf(`id="comment-%d"`, secret)) {
			t.Error("the hidden comment's place is not kept")
		}
		for _, forbidden := range []string{fmt.Sprintf(`/comments/%d/hide"`, root), fmt.Sprintf(`/comments/%d/edit"`, root), `id="reply-form"`} {
			if strings.Contains(body, forbidden) {
				t.Errorf("a member's page offers %s", forbidden)
			}
		}
		// The reply link opens the one reply form under that comment,
		// without JavaScript: parent filled in, whom it answers said.
		r = getHTML(member, fmt.Sprintf("%s?reply_to=%d", page, root))
		for _, want := range []string{`id="reply-form"`, fmt.Sprintf(`action="/measures/%d/comments"`, w.open),
			fmt.Sprintf(`name="parent_id" value="%d"`, root), w.author.Name, `name="csrf_token"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("reply page lacks %q", want)
			}
		}
		if n := strings.Count(string(r.Body), `id="reply-form"`); n != 1 {
			t.Errorf("%d reply forms", n)
		}
		// Not on a hidden comment.
		if r = getHTML(member, fmt.Sprintf("%s?reply_to=%d", page, secret)); strings.Contains(string(r.Body), `id="reply-form"`) {
			t.Error("a reply form under a hidden comment")
		}
		// The action links lead to confirm pages only for those allowed.
		for _, tc := range []struct {
			path string
			want int
		}{
			{fmt.Sprintf("/comments/%d/report", root), 200}, {fmt.Sprintf("/comments/%d/hide", root), 403},
			{fmt.Sprintf("/comments/%d/edit", root), 403}, {fmt.Sprintf("/comments/%d/delete", root), 403},
			{fmt.Sprintf("/comments/%d/restore", secret), 403}, {fmt.Sprintf("/comments/%d/report", secret), 403},
		} {
			r := getHTML(member, tc.path)
			if r.Status != tc.want {
				t.Errorf("member GET %s: %d, want %d", tc.path, r.Status, tc.want)
			}
			if tc.want == 200 && (!strings.Contains(string(r.Body), `action="`+tc.path+`"`) || untranslated(r.Body) != "") {
				t.Errorf("member GET %s: no form, or untranslated %q", tc.path, untranslated(r.Body))
			}
			if bytes.Contains(r.Body, []byte("SECRET-MASQU")) {
				t.Errorf("member GET %s shows the hidden text", tc.path)
			}
		}
		if bad := pageExecutables(r.Body); len(bad) > 0 {
			t.Errorf("measure page has executable content: %v", bad)
		}

		// The moderator reads the hidden comment and why, and gets the buttons.
		mod := app.Login(w.moderator)
		r = getHTML(mod, page)
		for _, want := range []string{"SECRET-MASQUÉ", "RAISON-MODÉRATION", fmt.Sprintf(`href="/comments/%d/restore"`, secret), fmt.Sprintf(`href="/comments/%d/hide"`, root)} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("moderator's page lacks %q", want)
			}
		}
		for _, path := range []string{fmt.Sprintf("/comments/%d/hide", root), fmt.Sprintf("/comments/%d/restore", secret), fmt.Sprintf("/comments/%d/delete", root)} {
			if r := getHTML(mod, path); r.Status != 200 || !strings.Contains(string(r.Body), `action="`+path+`"`) {
				t.Errorf("moderator GET %s: %d", path, r.Status)
			}
		}
		// The member's page, rendered after the moderator's, still hides
		// the text (cached per viewer), and shows what changed since.
		w.comment(t, w.sameFed, w.open, "NOUVEAU-APRÈS-CACHE", 0)
		r = getHTML(member, page)
		if strings.Contains(string(r.Body), "SECRET-MASQU") || strings.Contains(string(r.Body), "RAISON-MOD") {
			t.Error("the member's page shows the hidden comment after the moderator's")
		}
		if !strings.Contains(string(r.Body), "NOUVEAU-APRÈS-CACHE") {
			t.Error("the member's page misses a comment posted since it was last rendered")
		}
		app.Store.HideComment(ctx, w.moderator, root, "RAISON-DEUX")
		if r = getHTML(member, page); strings.Contains(string(r.Body), "corrigé") {
			t.Error("the member's page still shows a comment hidden since it was last rendered")
		}
		app.Store.RestoreComment(ctx, w.moderator, root)
		if bad := pageExecutables(r.Body); len(bad) > 0 {
			t.Errorf("moderator's measure page has executable content: %v", bad)
		}
		// The author can edit their own.
		r = getHTML(app.Login(w.author), page)
		if !strings.Contains(string(r.Body), fmt.Sprintf(`href="/comments/%d/edit"`, root)) {
			t.Error("the author's page has no edit link")
		}
		if r = getHTML(app.Login(w.author), fmt.Sprintf("/comments/%d/edit", root)); r.Status != 200 ||
			!strings.Contains(string(r.Body), fmt.Sprintf(`action="/comments/%d/edit"`, root)) || !strings.Contains(string(r.Body), "corrigé</textarea>") {
			t.Errorf("the author's edit page: %d", r.Status)
		}
		// Closed measures say so and offer no form.
		r = getHTML(member, fmt.Sprintf("/measures/%d", w.withdrawn))
		if r.Status != 200 || !strings.Contains(string(r.Body), "comments-closed") || strings.Contains(string(r.Body), `id="comment-form"`) {
			t.Errorf("withdrawn measure page: %d", r.Status)
		}
		// Every language, Arabic right-to-left, no key left untranslated.
		for _, loc := range []string{"en", "ar"} {
			member.Request("PATCH", "/api/v1/me", map[string]any{"locale": loc})
			r := getHTML(member, page)
			if r.Status != 200 || untranslated(r.Body) != "" {
				t.Errorf("%s measure page: %d, untranslated %q", loc, r.Status, untranslated(r.Body))
			}
		}
	})
}
