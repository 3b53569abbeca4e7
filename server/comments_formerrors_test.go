package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"pacte/server/servertest"
)

// byID finds the element with an id in a page, or nil.
func byID(t *testing.T, page []byte, id string) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// wantFieldError checks a page re-rendered after a form error: the status,
// the field (by id) keeping value, marked invalid, focused, and described
// by its error (by id) saying msg. Nothing is flashed.
func wantFieldError(t *testing.T, r *servertest.Response, status int, field, value, errID, msg string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%.300s)", r.Status, status, r.Body)
	}
	if f := commentFlashOf(r); f != "" {
		t.Errorf("flash %q on an error", f)
	}
	n := byID(t, r.Body, field)
	if n == nil {
		t.Fatalf("no #%s in the page", field)
	}
	got := attr(n, "value")
	if n.Data == "textarea" {
		got = nodeText(n)
		got = strings.TrimPrefix(got, "\n") // the parser drops one leading newline
	}
	if got != strings.TrimPrefix(value, "\n") {
		t.Errorf("#%s keeps %.80q, want %.80q", field, got, value)
	}
	if attr(n, "aria-invalid") != "true" || !hasAttr(n, "autofocus") {
		t.Errorf("#%s: aria-invalid=%q autofocus=%v", field, attr(n, "aria-invalid"), hasAttr(n, "autofocus"))
	}
	if !strings.Contains(attr(n, "aria-describedby"), errID) {
		t.Errorf("#%s not described by #%s: %q", field, errID, attr(n, "aria-describedby"))
	}
	e := byID(t, r.Body, errID)
	if e == nil || attr(e, "class") != "field-error" || !strings.Contains(nodeText(e), msg) {
		t.Errorf("#%s: %v %q, want a field-error saying %q", errID, e != nil, func() string {
			if e == nil {
				return ""
			}
			return nodeText(e)
		}(), msg)
	}
	if bytes.Count(r.Body, []byte(" autofocus")) != 1 {
		t.Errorf("%d autofocus fields", bytes.Count(r.Body, []byte(" autofocus")))
	}
}

// TestComments_FormErrorsKeepText: every comment form that fails comes back
// (422, or 409 for a conflict) with what was typed, the error beside the
// field in error styling, and that field focused; nothing is stored.
func TestComments_FormErrorsKeepText(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		member, mod := app.Login(w.sameFed), app.Login(w.moderator)
		base := fmt.Sprintf("/measures/%d", w.draft)
		n := countRows(t, app, "comments", "")

		t.Run("QuoteNotInText", func(t *testing.T) {
			r := postForm(member, base+"/comments", form(member, "body", "Mon avis <b>détaillé</b>", "anchor_quote", "absent du texte"))
			wantFieldError(t, r, 422, "comment-quote", "absent du texte", "comment-quote-error", "Ces mots ne figurent pas dans le texte")
			if b := byID(t, r.Body, "comment-body"); b == nil || nodeText(b) != "Mon avis <b>détaillé</b>" {
				t.Errorf("comment body not kept")
			}
			if d := byID(t, r.Body, "comment-quote-field"); d == nil || !hasAttr(d, "open") {
				t.Errorf("quote field closed")
			}
			if bytes.Contains(r.Body, []byte(`class="flash"`)) {
				t.Errorf("error shown as a flash")
			}
		})
		t.Run("EmptyBody", func(t *testing.T) {
			r := postForm(member, base+"/comments", form(member, "body", " \n\t ", "anchor_quote", "des PME"))
			wantFieldError(t, r, 422, "comment-body", " \n\t ", "comment-body-error", "Écrivez quelque chose")
			if q := byID(t, r.Body, "comment-quote"); q == nil || nodeText(q) != "des PME" {
				t.Errorf("quote not kept")
			}
		})
		t.Run("TooLongBodyKept", func(t *testing.T) {
			long := strings.Repeat("long ", 4001)
			wantFieldError(t, postForm(member, base+"/comments", form(member, "body", long)), 422, "comment-body", long, "comment-body-error", "20 000")
		})
		t.Run("EmptyReplyUnderItsComment", func(t *testing.T) {
			root := w.comment(t, w.author, w.draft, "Racine", 0)
			id := fmt.Sprintf("reply-body-%d", root)
			wantFieldError(t, postForm(member, base+"/comments", form(member, "body", "  ", "parent_id", fmt.Sprint(root))), 422, id, "  ", "reply-body-error", "Écrivez quelque chose")
		})
		t.Run("ReplyToHiddenCommentKeepsTextInNewComment", func(t *testing.T) {
			root := w.comment(t, w.author, w.draft, "Bientôt masqué", 0)
			wantStatus(t, postForm(mod, fmt.Sprintf("/comments/%d/hide", root), form(mod, "reason", "Hors charte")), 303)
			r := postForm(member, base+"/comments", form(member, "body", "Ma réponse longue", "parent_id", fmt.Sprint(root)))
			wantFieldError(t, r, 422, "comment-body", "Ma réponse longue", "comment-body-error", "masqué ou supprimé")
		})
		t.Run("ReportWithoutReason", func(t *testing.T) {
			id := w.comment(t, w.author, w.draft, "À signaler", 0)
			r := postForm(member, fmt.Sprintf("/comments/%d/report", id), form(member, "reason", "   "))
			wantFieldError(t, r, 422, "action-reason", "   ", "action-reason-error", "Indiquez une raison")
		})
		t.Run("EditKeepsNewText", func(t *testing.T) {
			id := w.comment(t, w.sameFed, w.draft, "Avant", 0)
			long := strings.Repeat("nouveau ", 2600)
			r := postForm(member, fmt.Sprintf("/comments/%d/edit", id), form(member, "body", long))
			wantFieldError(t, r, 422, "action-body", long, "action-body-error", "20 000")
		})
		t.Run("HideFromQueueKeepsWayBack", func(t *testing.T) {
			id := w.comment(t, w.author, w.draft, "À masquer", 0)
			r := postForm(mod, fmt.Sprintf("/comments/%d/hide", id), form(mod, "reason", "", "next", "/moderation?show=reported"))
			wantFieldError(t, r, 422, "action-reason", "", "action-reason-error", "Indiquez une raison")
			if !bytes.Contains(r.Body, []byte(`name="next" value="/moderation?show=reported"`)) {
				t.Errorf("the way back to the queue is lost")
			}
		})
		t.Run("ConflictSaysWhatHappened", func(t *testing.T) {
			id := w.comment(t, w.author, w.draft, "Déjà signalé", 0)
			wantStatus(t, postForm(member, fmt.Sprintf("/comments/%d/report", id), form(member, "reason", "Doute")), 303)
			r := postForm(member, fmt.Sprintf("/comments/%d/report", id), form(member, "reason", "Encore"))
			if r.Status != 409 || !bytes.Contains(r.Body, []byte(`class="form-error"`)) || !bytes.Contains(r.Body, []byte("déjà signalé")) {
				t.Errorf("already reported: %d %.300s", r.Status, r.Body)
			}
		})
		t.Run("ArabicMessage", func(t *testing.T) {
			ar := app.Login(w.otherFed)
			ar.Headers["Accept-Language"] = "ar"
			open := fmt.Sprintf("/measures/%d/comments", w.open)
			// The account's language wins; switch it for this client.
			postForm(ar, "/language", form(ar, "locale", "ar"))
			r := postForm(ar, open, form(ar, "body", "رأيي", "anchor_quote", "غير موجود"))
			wantFieldError(t, r, 422, "comment-quote", "غير موجود", "comment-quote-error", "هذه الكلمات غير موجودة")
		})
		if m := countRows(t, app, "comments", ""); m != n+6 { // the comments the subtests made themselves
			t.Errorf("refused forms stored %d comments", m-n-6)
		}
	})
}

// TestComments_QuoteSelectedInRenderedText: words selected in the rendered
// body (no Markdown marks) anchor the comment to the source's words.
func TestComments_QuoteSelectedInRenderedText(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newCommWorld(t, app)
		member := app.Login(w.sameFed)
		base := fmt.Sprintf("/measures/%d", w.draft)
		r := postForm(member, base+"/comments", form(member, "body", "Sur ce passage", "anchor_quote", "des PME marocaines est"))
		if r.Status != 303 {
			t.Fatalf("status %d (%.300s)", r.Status, r.Body)
		}
		list := listComments(t, member, w.draft)
		var q string
		for _, c := range list.Items {
			if c.Anchor != nil {
				q = c.Anchor.Quote
			}
		}
		if q != "des PME **marocaines** est" {
			t.Errorf("anchored quote %q", q)
		}
		page := getHTML(member, base)
		if !bytes.Contains(page.Body, []byte(`data-anchor-for=`)) {
			t.Errorf("the quoted words are not marked in the body")
		}
	})
}
