package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// apiNotification is one item of GET /api/v1/notifications (docs/API.md).
type apiNotification struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	MeasureID *int64 `json:"measure_id"`
	CommentID *int64 `json:"comment_id"`
	Actor     *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"actor"`
	Text      string  `json:"text"`
	ReadAt    *string `json:"read_at"`
	CreatedAt string  `json:"created_at"`
}

type apiNotifications struct {
	Items       []apiNotification `json:"items"`
	UnreadCount *int              `json:"unread_count"`
	NextCursor  *string           `json:"next_cursor"`
}

func notificationsOf(t *testing.T, c *servertest.Client, query string) apiNotifications {
	t.Helper()
	var out apiNotifications
	c.App().Settle()
	msDo(t, c, "GET", "/api/v1/notifications"+query, nil, 200, &out)
	if out.UnreadCount == nil || out.NextCursor == nil {
		t.Fatalf("notifications list lacks unread_count or next_cursor: %+v", out)
	}
	return out
}

// notifTypes lists "type:measure" for each notification, newest first.
func notifTypes(list apiNotifications) []string {
	var out []string
	for _, n := range list.Items {
		out = append(out, fmt.Sprintf("%s:%d", n.Type, deref64(n.MeasureID)))
	}
	return out
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func postComment(t *testing.T, c *servertest.Client, measure int64, body string, parent int64) int64 {
	t.Helper()
	req := map[string]any{"body": body}
	if parent != 0 {
		req["parent_id"] = parent
	}
	var out struct {
		ID int64 `json:"id"`
	}
	msDo(t, c, "POST", commentsPath(measure), req, 201, &out)
	c.App().Settle()
	return out.ID
}

// TestNotifications_WhoIsTold walks a measure's life and checks, for every
// person, exactly which notifications they get: the concerned are told,
// the actor never, and nobody about what they may not see.
func TestNotifications_WhoIsTold(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		coeditor := app.User(models.RoleMember, "mnc")
		colleague := app.User(models.RoleMember, "apebi") // sees the draft: same federation
		outsider := app.User(models.RoleMember, "ausim")  // does not see the draft
		sponsor := app.User(models.RoleMember, "msec")
		reviewer := app.User(models.RoleReviewer, "ministry")
		moderator := app.User(models.RoleModerator, "")

		ca, cc, ccol, cout, cs, cr, cm := app.Login(author), app.Login(coeditor), app.Login(colleague),
			app.Login(outsider), app.Login(sponsor), app.Login(reviewer), app.Login(moderator)
		m := msCreate(t, ca, "Cloud souverain")

		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": coeditor.ID}, 201, nil)
		first := postComment(t, ccol, m.ID, "Une question sur le paragraphe 2.", 0)
		postComment(t, ca, m.ID, "Réponse : oui.", first)
		postComment(t, cc, m.ID, "Je complète.", 0)

		want := map[*servertest.Client][]string{
			ca:   {"comment.created:%d", "comment.created:%d"}, // colleague's and co-editor's comments; not his own reply
			cc:   {"comment.created:%d", "comment.created:%d", "editor.added:%d"},
			ccol: {"comment.reply:%d"}, // the author answered; not the co-editor's comment
			cout: {},
			cs:   {},
			cr:   {},
			cm:   {},
		}
		check := func(step string) {
			t.Helper()
			for c, types := range want {
				got := notifTypes(notificationsOf(t, c, ""))
				var exp []string
				for _, s := range types {
					exp = append(exp, fmt.Sprintf(s, m.ID))
				}
				if strings.Join(got, ",") != strings.Join(exp, ",") {
					t.Errorf("%s: %s got %v, want %v", step, who(c, map[*servertest.Client]string{ca: "author", cc: "coeditor",
						ccol: "colleague", cout: "outsider", cs: "sponsor", cr: "reviewer", cm: "moderator"}), got, exp)
				}
			}
		}
		check("drafting")

		// Opened to the platform: another federation co-sponsors; the
		// editors are told, the sponsor (the actor) is not.
		msDo(t, ca, "PATCH", msPath(m.ID), map[string]any{"visibility": "platform", "revision": msGet(t, ca, m.ID).Revision}, 200, nil)
		msDo(t, cs, "POST", msPath(m.ID, "/cosponsor"), nil, 201, nil)
		want[ca] = append([]string{"cosponsor.added:%d"}, want[ca]...)
		want[cc] = append([]string{"cosponsor.added:%d"}, want[cc]...)
		check("cosponsored")

		// Submitted: the reviewers are told, and the other editor.
		msDo(t, ca, "POST", msPath(m.ID, "/submit"), nil, 200, nil)
		want[cr] = []string{"measure.submitted:%d"}
		want[cc] = append([]string{"measure.status_changed:%d"}, want[cc]...)
		check("submitted")

		// Reviewed: every editor is told once, as a review (not again as a
		// status change).
		msDo(t, cr, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "changes_requested",
			"note": "Précisez le budget.", "revision": msGet(t, cr, m.ID).Revision}, 201, nil)
		want[ca] = append([]string{"review.created:%d"}, want[ca]...)
		want[cc] = append([]string{"review.created:%d"}, want[cc]...)
		check("reviewed")

		// A report reaches the moderators, not the reporter.
		msDo(t, cout, "POST", commentPath(first, "report"), map[string]any{"reason": "Hors sujet"}, 201, nil)
		want[cm] = []string{"comment.reported:%d"}
		check("reported")

		// Texts name the actor and the measure.
		list := notificationsOf(t, ccol, "")
		if n := list.Items[0]; n.Actor == nil || n.Actor.ID != author.ID || !strings.Contains(n.Text, author.Name) ||
			!strings.Contains(n.Text, "Cloud souverain") || n.CommentID == nil || n.ReadAt != nil || n.CreatedAt == "" {
			t.Errorf("reply notification = %+v", n)
		}
	})
}

func who(c *servertest.Client, names map[*servertest.Client]string) string { return names[c] }

// TestNotifications_HiddenWhenMeasureIsNoLongerVisible: an editor removed
// from a federation draft no longer reads about it, not even in old
// notifications.
func TestNotifications_HiddenWhenMeasureIsNoLongerVisible(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		second := app.User(models.RoleMember, "apebi")
		guest := app.User(models.RoleMember, "ausim")
		ca, cg := app.Login(author), app.Login(guest)
		m := msCreate(t, ca, "Brouillon fermé")
		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": second.ID}, 201, nil)
		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": guest.ID}, 201, nil)
		if got := notifTypes(notificationsOf(t, cg, "")); len(got) != 1 {
			t.Fatalf("guest editor: %v, want editor.added", got)
		}
		msDo(t, ca, "DELETE", msPath(m.ID, fmt.Sprintf("/editors/%d", guest.ID)), nil, 204, nil)
		if got := notificationsOf(t, cg, ""); len(got.Items) != 0 {
			t.Fatalf("a removed editor still reads about the draft: %v", notifTypes(got))
		}
		// Their comments after removal tell nobody the guest… and the guest
		// is not told of the draft's later life.
		postComment(t, app.Login(second), m.ID, "Suite.", 0)
		if got := notificationsOf(t, cg, ""); len(got.Items) != 0 {
			t.Fatalf("removed editor told of a later comment: %v", notifTypes(got))
		}
	})
}

// TestNotifications_ReadAndUnread covers ?unread=1, marking by ids (only
// one's own), marking all, and bad requests.
func TestNotifications_ReadAndUnread(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		other := app.User(models.RoleMember, "apebi")
		ca, co := app.Login(author), app.Login(other)
		m := msCreate(t, ca, "Lecture")
		for i := 0; i < 3; i++ {
			postComment(t, co, m.ID, fmt.Sprintf("Commentaire %d", i), 0)
		}
		list := notificationsOf(t, ca, "")
		if len(list.Items) != 3 || *list.UnreadCount != 3 {
			t.Fatalf("3 comments → %d items, %d unread", len(list.Items), *list.UnreadCount)
		}
		// Someone else's ids are ignored.
		msDo(t, co, "POST", "/api/v1/notifications/read", map[string]any{"ids": []int64{list.Items[0].ID}}, 204, nil)
		if n := notificationsOf(t, ca, "?unread=1"); len(n.Items) != 3 {
			t.Fatalf("another person marked my notification read")
		}
		msDo(t, ca, "POST", "/api/v1/notifications/read", map[string]any{"ids": []int64{list.Items[0].ID}}, 204, nil)
		unread := notificationsOf(t, ca, "?unread=1")
		if len(unread.Items) != 2 || *unread.UnreadCount != 2 {
			t.Fatalf("after reading one: %d unread items, count %d", len(unread.Items), *unread.UnreadCount)
		}
		all := notificationsOf(t, ca, "")
		if all.Items[0].ReadAt == nil || all.Items[1].ReadAt != nil {
			t.Fatalf("read_at not set on the one read: %+v", all.Items[:2])
		}
		// Paging.
		p1 := notificationsOf(t, ca, "?limit=2")
		if len(p1.Items) != 2 || *p1.NextCursor == "" {
			t.Fatalf("limit=2: %d items, cursor %q", len(p1.Items), *p1.NextCursor)
		}
		p2 := notificationsOf(t, ca, "?limit=2&cursor="+url.QueryEscape(*p1.NextCursor))
		if len(p2.Items) != 1 || p2.Items[0].ID >= p1.Items[1].ID {
			t.Fatalf("second page: %+v", p2.Items)
		}
		wantError(t, ca.Request("POST", "/api/v1/notifications/read", map[string]any{}), 422, "invalid_fields", "ids")
		msDo(t, ca, "POST", "/api/v1/notifications/read", map[string]any{"all": true}, 204, nil)
		if n := notificationsOf(t, ca, "?unread=1"); len(n.Items) != 0 || *n.UnreadCount != 0 {
			t.Fatalf("after all: %d unread", *n.UnreadCount)
		}
		wantStatus(t, app.Anonymous().Request("GET", "/api/v1/notifications", nil), 401)
	})
}

// TestNotifications_Live: a new notification is an event
// notification.created on the person's own topic, with the unread count.
func TestNotifications_Live(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		invitee := app.User(models.RoleMember, "mnc")
		ca, ci := app.Login(author), app.Login(invitee)
		m := msCreate(t, ca, "En direct")
		ws := dialWS(t, app, ci)
		ws.subscribeLive(models.UserTopic(invitee.ID))
		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": invitee.ID}, 201, nil)
		ev := ws.waitFor(func(m wsMsg) bool { return m.Type == "event" && m.Event == "notification.created" }, "notification.created")
		if ev.Topic != models.UserTopic(invitee.ID) || ev.Data["type"] != "editor.added" || ev.Data["unread_count"] != float64(1) || ev.Data["id"] == nil {
			t.Fatalf("event = %+v", ev)
		}
		// Nobody else may listen on that topic.
		other := dialWS(t, app, ca)
		other.send(map[string]any{"type": "subscribe", "topic": models.UserTopic(invitee.ID)})
		if m, ok := other.take(func(m wsMsg) bool { return m.Type == "subscribed" }, 500*time.Millisecond); ok {
			t.Fatalf("another user subscribed to user:%d: %+v", invitee.ID, m)
		}
	})
}

// TestNotifications_Pages: the header counter, the list page, and opening
// a notification (marks it read, leads to the comment).
func TestNotifications_Pages(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		other := app.User(models.RoleMember, "apebi")
		ca := app.Login(author)
		m := msCreate(t, ca, "Pages de notifications")
		cid := postComment(t, app.Login(other), m.ID, "Un avis.", 0)

		b := ca
		home := getHTML(b, "/")
		if !strings.Contains(string(home.Body), `href="/notifications"`) || !strings.Contains(string(home.Body), `aria-label="Notifications non lues : 1"`) {
			t.Fatalf("header counter missing or wrong:\n%s", home.Body)
		}
		page := getHTML(b, "/notifications")
		wantStatus(t, page, 200)
		body := string(page.Body)
		if !strings.Contains(body, other.Name+" a commenté « Pages de notifications »") || !strings.Contains(body, "notification unread") {
			t.Fatalf("list page lacks the notification:\n%s", body)
		}
		token := url.Values{"csrf_token": {csrfFromHTML(t, page.Body)}}
		list := notificationsOf(t, ca, "")
		r := postForm(b, fmt.Sprintf("/notifications/%d/open", list.Items[0].ID), token)
		wantStatus(t, r, 303)
		if loc := r.Header.Get("Location"); loc != fmt.Sprintf("/measures/%d#comment-%d", m.ID, cid) {
			t.Fatalf("open leads to %q", loc)
		}
		if n := notificationsOf(t, ca, "?unread=1"); len(n.Items) != 0 {
			t.Fatalf("opening did not mark it read")
		}
		// Another person's notification is not found.
		b2 := app.Login(other)
		token2 := url.Values{"csrf_token": {csrfFromHTML(t, getHTML(b2, "/notifications").Body)}}
		wantStatus(t, postForm(b2, fmt.Sprintf("/notifications/%d/open", list.Items[0].ID), token2), 404)
		// Mark all read from the page.
		postComment(t, app.Login(other), m.ID, "Encore un avis.", 0)
		r = postForm(b, "/notifications/read", token)
		if r.Status != 303 || r.Header.Get("Location") != "/notifications" {
			t.Fatalf("mark all read: %d %s", r.Status, r.Header.Get("Location"))
		}
		if n := notificationsOf(t, ca, "?unread=1"); len(n.Items) != 0 {
			t.Fatalf("mark all read left %d unread", len(n.Items))
		}
	})
}
