package server_test

import (
	"fmt"
	"strings"
	"testing"

	"pacte/server/servertest"
)

// TestComments_LiveItemIsThePagesRendering: GET /comments/:id/item, which
// the page fetches for a comment that arrives live, is exactly the
// comment's markup on the reloaded page, for each viewer: the same
// template, date format, avatar, and that viewer's actions.
func TestComments_LiveItemIsThePagesRendering(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		id := w.comment(t, w.author, w.draft, "Un avis *en direct*", 0)
		item := fmt.Sprintf("/comments/%d/item", id)
		page := fmt.Sprintf("/measures/%d", w.draft)

		for name, want := range map[string]struct {
			c        *servertest.Client
			has, not []string
		}{
			"other member": {app.Login(w.sameFed), []string{"/report\"", "comment-avatar", "?reply_to="}, []string{"/edit\"", "/delete\"", "/hide\""}},
			"author":       {app.Login(w.author), []string{"/edit\"", "/delete\""}, []string{"/report\"", "/hide\""}},
			"moderator":    {app.Login(w.moderator), []string{"/hide\"", "/report\""}, []string{"/edit\""}},
		} {
			r := getHTML(want.c, item)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s: %d %s", name, r.Status, r.Header.Get("Content-Type"))
			}
			frag := strings.TrimSpace(string(r.Body))
			if !strings.HasPrefix(frag, fmt.Sprintf(`<li class="comment comment-visible" id="comment-%d"`, id)) {
				t.Errorf("%s: not a comment item: %.200s", name, frag)
			}
			for _, s := range want.has {
				if !strings.Contains(frag, s) {
					t.Errorf("%s: item lacks %q", name, s)
				}
			}
			for _, s := range want.not {
				if strings.Contains(frag, s) {
					t.Errorf("%s: item has %q", name, s)
				}
			}
			if p := getHTML(want.c, page); !strings.Contains(string(p.Body), frag) {
				t.Errorf("%s: the item is not the page's own markup:\n%s", name, frag)
			}
		}
		// Whoever cannot see the measure cannot read the comment.
		wantStatus(t, getHTML(app.Login(w.otherFed), item), 404)
		// A hidden comment reaches members as the placeholder only.
		mod := app.Login(w.moderator)
		wantStatus(t, postForm(mod, fmt.Sprintf("/comments/%d/hide", id), form(mod, "reason", "Hors charte")), 303)
		r := getHTML(app.Login(w.sameFed), item)
		if r.Status != 200 || strings.Contains(string(r.Body), "en direct") || !strings.Contains(string(r.Body), "comment-placeholder") {
			t.Errorf("hidden comment to a member: %d %.300s", r.Status, r.Body)
		}
	})
}
