package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// TestMeasures_Restore: a withdrawn measure's editors take it back up as a
// draft (docs/API.md …/restore); nobody else can, and only from withdrawn.
func TestMeasures_Restore(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		colleague := app.User(models.RoleMember, "apebi")
		ca := app.Login(author)
		m := msCreate(t, ca, "Mesure à reprendre")
		msWantError(t, ca.Request("POST", msPath(m.ID, "/restore"), nil), 409, "illegal_transition")
		msDo(t, ca, "POST", msPath(m.ID, "/withdraw"), nil, 200, nil)
		if got := msGet(t, ca, m.ID); got.Status != models.StatusWithdrawn || !got.can("measure.restore") {
			t.Fatalf("withdrawn: status %s, actions %v", got.Status, got.AvailableActions)
		}
		msWantError(t, app.Login(colleague).Request("POST", msPath(m.ID, "/restore"), nil), 403, "forbidden")
		var out msMeasure
		msDo(t, ca, "POST", msPath(m.ID, "/restore"), nil, 200, &out)
		if out.Status != models.StatusDraft || !out.can("measure.edit") {
			t.Fatalf("restored: status %s, actions %v", out.Status, out.AvailableActions)
		}
		if n := msCount(msEvents(t, app, m.ID), "measure.status_changed"); n != 2 {
			t.Fatalf("%d status events, want 2 (withdraw, restore)", n)
		}
	})
}

// TestMeasures_RemoveEditorRules is issue 8's lock-out: only the lead
// federation's editors (and moderators, admins) remove editors, anyone may
// step down, and the lead federation always keeps one editor.
func TestMeasures_RemoveEditorRules(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		second := app.User(models.RoleMember, "apebi")
		guest := app.User(models.RoleMember, "mnc")
		guest2 := app.User(models.RoleMember, "mnc")
		moderator := app.User(models.RoleModerator, "")
		ca, cg, cm := app.Login(author), app.Login(guest), app.Login(moderator)
		m := msCreate(t, ca, "Mesure partagée")
		for _, u := range []*models.User{guest, guest2} {
			msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": u.ID}, 201, nil)
		}
		remove := func(c *servertest.Client, who *models.User) *servertest.Response {
			return c.Request("DELETE", msPath(m.ID, fmt.Sprintf("/editors/%d", who.ID)), nil)
		}
		// A co-editor from another federation cannot remove the author, nor
		// another co-editor.
		msWantError(t, remove(cg, author), 403, "forbidden")
		msWantError(t, remove(cg, guest2), 403, "forbidden")
		// The author cannot leave the measure without a lead editor.
		msWantError(t, remove(ca, author), 409, "last_lead_editor")
		// A co-editor may step down, and be added back.
		msDo(t, cg, "DELETE", msPath(m.ID, fmt.Sprintf("/editors/%d", guest.ID)), nil, 204, nil)
		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": guest.ID}, 201, nil)
		// A lead editor removes a co-editor.
		msDo(t, ca, "DELETE", msPath(m.ID, fmt.Sprintf("/editors/%d", guest2.ID)), nil, 204, nil)
		// With a second lead editor the author may go; then that one is the last.
		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": second.ID}, 201, nil)
		msDo(t, cm, "DELETE", msPath(m.ID, fmt.Sprintf("/editors/%d", author.ID)), nil, 204, nil)
		msWantError(t, remove(cm, second), 409, "last_lead_editor")
		got := msGet(t, app.Login(second), m.ID)
		if len(got.Editors) != 2 {
			t.Fatalf("editors left: %+v", got.Editors)
		}
	})
}

// TestMeasures_ConfirmBeforeIrreversible: withdrawing, removing an editor
// and suspending an account ask first when the browser did not (no
// JavaScript): the first post answers a confirmation page that sends the
// same form with confirmed=yes, and nothing changes until then.
func TestMeasures_ConfirmBeforeIrreversible(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		guest := app.User(models.RoleMember, "mnc")
		moderator := app.User(models.RoleModerator, "")
		ca := app.Login(author)
		m := msCreate(t, ca, "Mesure à confirmer")
		msDo(t, ca, "POST", msPath(m.ID, "/editors"), map[string]any{"user_id": guest.ID}, 201, nil)
		token := url.Values{"csrf_token": {csrfFromHTML(t, getHTML(ca, fmt.Sprintf("/measures/%d", m.ID)).Body)}}

		ask := func(c *servertest.Client, path string, v url.Values, question string) url.Values {
			t.Helper()
			r := postForm(c, path, v)
			body := string(r.Body)
			if r.Status != 200 || !strings.Contains(body, question) || !strings.Contains(body, `name="confirmed" value="yes"`) ||
				!strings.Contains(body, `action="`+path+`"`) {
				t.Fatalf("POST %s without confirmation: %d, want the confirmation page asking %q:\n%.2000s", path, r.Status, question, body)
			}
			out := url.Values{"confirmed": {"yes"}}
			for k, vs := range v {
				out[k] = vs
			}
			return out
		}
		withdraw := fmt.Sprintf("/measures/%d/withdraw", m.ID)
		v := url.Values{"csrf_token": token["csrf_token"], "revision": {fmt.Sprint(m.Revision)}}
		yes := ask(ca, withdraw, v, "Retirer cette mesure ?")
		if got := msGet(t, ca, m.ID); got.Status != models.StatusDraft {
			t.Fatalf("withdrawn before confirmation: %s", got.Status)
		}
		wantStatus(t, postForm(ca, withdraw, yes), 303)
		if got := msGet(t, ca, m.ID); got.Status != models.StatusWithdrawn {
			t.Fatalf("not withdrawn after confirmation: %s", got.Status)
		}
		restore := postForm(ca, fmt.Sprintf("/measures/%d/restore", m.ID), url.Values{"csrf_token": token["csrf_token"]})
		wantStatus(t, restore, 303)

		removal := fmt.Sprintf("/measures/%d/editors/%d/delete", m.ID, guest.ID)
		yes = ask(ca, removal, url.Values{"csrf_token": token["csrf_token"]}, "Retirer cette personne des rédacteurs")
		if got := msGet(t, ca, m.ID); len(got.Editors) != 2 {
			t.Fatal("editor removed before confirmation")
		}
		wantStatus(t, postForm(ca, removal, yes), 303)
		if got := msGet(t, ca, m.ID); len(got.Editors) != 1 {
			t.Fatal("editor not removed after confirmation")
		}

		cm := app.Login(moderator)
		userPage := fmt.Sprintf("/admin/users/%d", guest.ID)
		mt := url.Values{"csrf_token": {csrfFromHTML(t, getHTML(cm, userPage).Body)}, "status": {"suspended"}}
		yes = ask(cm, userPage, mt, "Suspendre le compte de "+guest.Name)
		if u, _ := app.Store.UserByID(t.Context(), guest.ID); u.Status != models.StatusActive {
			t.Fatalf("suspended before confirmation: %s", u.Status)
		}
		wantStatus(t, postForm(cm, userPage, yes), 303)
		if u, _ := app.Store.UserByID(t.Context(), guest.ID); u.Status != models.StatusSuspended {
			t.Fatalf("not suspended after confirmation: %s", u.Status)
		}
	})
}
