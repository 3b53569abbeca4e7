package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// accessMsg is the part of any server message the access tests look at.
type accessMsg struct {
	Type    string `json:"type"`
	Topic   string `json:"topic"`
	Code    string `json:"code"`
	Measure int64  `json:"measure"`
	Reason  string `json:"reason"`
	ID      int64  `json:"id"`
	Event   string `json:"event"`
}

func decodeAccess(m wsMsg) accessMsg {
	var a accessMsg
	json.Unmarshal([]byte(m.Raw), &a)
	return a
}

// accessWorld is one measure with its author writing through instance B,
// and a person (the victim) watching it through instance A: subscribed to
// measure:N, to their own user topic (for markers), and joined to its
// co-editing.
type accessWorld struct {
	t        *testing.T
	a, b     *servertest.App
	author   *models.User
	authorB  *servertest.Client
	editorA  *coClient // the author's own co-editing socket on A
	measure  int64
	topic    string
	victim   *models.User
	w        *wsClient // the victim's socket on A
	version  int64
	text     string
	typedSeq int
}

func newAccessWorld(t *testing.T, a, b *servertest.App, victimOrg string, victimEditor bool, setup func(m int64)) *accessWorld {
	t.Helper()
	x := &accessWorld{t: t, a: a, b: b}
	x.author = a.User(models.RoleMember, "apebi")
	x.victim = a.User(models.RoleMember, victimOrg)
	var authorTokenA string
	_, authorTokenA = coToken(t, a, x.author)
	x.authorB = b.Login(x.author)
	var editors []*models.User
	if victimEditor {
		editors = append(editors, x.victim)
	}
	x.text = "Texte initial."
	x.measure = b.Measure(t, x.author, servertest.MeasureSpec{Body: x.text, Pillar: "enablers", Axis: "cloud_computing", Editors: editors})
	x.topic = models.MeasureTopic(x.measure)
	if setup != nil {
		setup(x.measure)
	}
	x.editorA = coDial(t, a.URL, authorTokenA)
	doc := x.editorA.join(x.measure)
	x.version = doc.version()

	x.w = dialWS(t, a, a.Login(x.victim))
	x.w.subscribeLive(x.topic)
	x.w.subscribeLive(models.UserTopic(x.victim.ID))
	x.w.send(map[string]any{"type": "presence", "topic": x.topic, "state": "viewing"})
	x.w.send(map[string]any{"type": "collab.join", "measure": x.measure})
	x.w.waitFor(func(m wsMsg) bool { return m.Type == "collab.doc" }, "collab.doc for the victim")
	// Before losing access the victim gets what is typed.
	x.type_("avant")
	x.w.waitFor(func(m wsMsg) bool { return m.Type == "collab.updates" }, "the victim's first collab.updates")
	return x
}

// type_ pushes a change through the author's socket on A and waits for it
// to be acknowledged and broadcast there.
func (x *accessWorld) type_(word string) {
	x.t.Helper()
	x.typedSeq++
	next := x.text + " " + word
	x.editorA.push(x.measure, x.version, coEdit(fmt.Sprintf("author-%d", x.typedSeq), x.text, next))
	// The ack follows the broadcast to every member on A.
	x.version = x.editorA.expect("collab.ack").version()
	x.text = next
}

// comment posts a comment through B and returns its id.
func (x *accessWorld) comment(body string) int64 {
	x.t.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	if st := x.authorB.Do("POST", fmt.Sprintf("/api/v1/measures/%d/comments", x.measure), map[string]any{"body": body}, &out); st != 201 {
		x.t.Fatalf("comment: %d", st)
	}
	return out.ID
}

// expectCut checks the victim lost the measure: collab.rejected forbidden,
// an error forbidden on the topic (when lostSight), then after more typing,
// a comment and a marker on their own topic, nothing about the measure.
func (x *accessWorld) expectCut(lostSight bool) {
	x.t.Helper()
	rej := x.w.waitFor(func(m wsMsg) bool { return m.Type == "collab.rejected" }, "collab.rejected")
	if a := decodeAccess(rej); a.Reason != models.CollabForbidden || a.Measure != x.measure {
		x.t.Fatalf("rejected: %s", rej.Raw)
	}
	if lostSight {
		e := x.w.waitFor(func(m wsMsg) bool { return m.Type == "error" && m.Topic == x.topic }, "error forbidden on the topic")
		if e.Code != "forbidden" {
			x.t.Fatalf("error: %s", e.Raw)
		}
	}
	x.w.pending = nil // what came before the cut
	x.type_("secret-tapé-après")
	x.comment("Commentaire après")
	marker := emit(x.t, x.a.Store, models.UserTopic(x.victim.ID), "marker.test", nil, 0, map[string]any{})
	// Everything the victim was sent before the marker: nothing more of the
	// measure's text; its events only if they may still see it.
	var sawComment bool
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, ok := x.w.next(time.Until(deadline))
		if !ok {
			x.t.Fatalf("marker never came (read error: %v)", x.w.readErr())
		}
		if m.Type == "event" && m.ID == marker.ID {
			break
		}
		switch {
		case m.Type == "collab.updates" || m.Type == "collab.doc" || m.Type == "collab.cursor":
			x.t.Fatalf("after losing access the victim got %s", m.Raw)
		case m.Type == "event" && m.Topic == x.topic && m.Event == "comment.created":
			sawComment = true
		case m.Type == "presence" && lostSight:
			x.t.Fatalf("after losing sight the victim got %s", m.Raw)
		}
	}
	if lostSight && sawComment {
		x.t.Fatal("the victim got a comment of a measure they may no longer see")
	}
	if !lostSight && !sawComment {
		x.t.Fatal("the victim, who may still read the measure, lost its events")
	}
	// Pulling from 0 gives nothing of the text to whoever lost sight of it.
	x.w.send(map[string]any{"type": "collab.pull", "measure": x.measure, "version": 0})
	got := x.w.waitFor(func(m wsMsg) bool {
		return m.Type == "collab.updates" || m.Type == "collab.rejected" || m.Type == "error"
	}, "an answer to collab.pull")
	if lostSight && (got.Type != "collab.rejected" || decodeAccess(got).Reason != models.CollabForbidden) {
		x.t.Fatalf("pull after losing sight: %s", got.Raw)
	}
	// Pushing is refused.
	x.w.send(map[string]any{"type": "collab.push", "measure": x.measure, "version": x.version,
		"updates": []any{coEdit("victim", x.text, x.text+" !")}})
	got = x.w.waitFor(func(m wsMsg) bool { return m.Type == "collab.rejected" || m.Type == "collab.ack" }, "an answer to collab.push")
	if got.Type != "collab.rejected" || decodeAccess(got).Reason != models.CollabForbidden {
		x.t.Fatalf("push after losing access: %s", got.Raw)
	}
}

// runAccessLoss checks every way of losing access to a measure: the
// victim watches through a, the change is made through b.
func runAccessLoss(t *testing.T, a, b *servertest.App) {
	admin := b.Login(b.User(models.RoleAdmin, ""))
	t.Run("EditorRemovedOtherFederation", func(t *testing.T) {
		x := newAccessWorld(t, a, b, "ausim", true, nil)
		if r := x.authorB.Request("DELETE", fmt.Sprintf("/api/v1/measures/%d/editors/%d", x.measure, x.victim.ID), nil); r.Status >= 300 {
			t.Fatalf("remove editor: %d %s", r.Status, r.Body)
		}
		x.expectCut(true)
	})
	t.Run("EditorRemovedSameFederation", func(t *testing.T) {
		x := newAccessWorld(t, a, b, "apebi", true, nil)
		if r := x.authorB.Request("DELETE", fmt.Sprintf("/api/v1/measures/%d/editors/%d", x.measure, x.victim.ID), nil); r.Status >= 300 {
			t.Fatalf("remove editor: %d %s", r.Status, r.Body)
		}
		x.expectCut(false)
	})
	t.Run("CosponsorshipRemoved", func(t *testing.T) {
		colleague := b.User(models.RoleMember, "mnc")
		x := newAccessWorld(t, a, b, "mnc", false, func(m int64) {
			if r := b.Login(colleague).Request("POST", fmt.Sprintf("/api/v1/measures/%d/cosponsor", m), nil); r.Status >= 300 {
				// Co-sponsoring needs sight of the measure: give it as a row.
				insertCosponsor(t, b, m, colleague)
			}
		})
		if r := b.Login(colleague).Request("DELETE", fmt.Sprintf("/api/v1/measures/%d/cosponsor", x.measure), nil); r.Status >= 300 {
			t.Fatalf("remove co-sponsorship: %d %s", r.Status, r.Body)
		}
		x.expectCut(true)
	})
	t.Run("VisibilityNarrowed", func(t *testing.T) {
		x := newAccessWorld(t, a, b, "ausim", false, func(m int64) {
			setVisibility(t, b, m, models.VisibilityPlatform)
		})
		// No route narrows visibility today; whatever does writes it and
		// an event in one transaction, as this does.
		err := b.Store.Write(context.Background(), func(tx *models.Tx) error {
			if err := tx.Exec("UPDATE measures SET visibility = ? WHERE id = ?", models.VisibilityFederation, x.measure).Error; err != nil {
				return err
			}
			_, err := tx.Emit(x.topic, "measure.updated", x.author, x.measure, 0, map[string]any{"fields": []string{"visibility"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		x.expectCut(true)
	})
	t.Run("RoleChanged", func(t *testing.T) {
		x := newAccessWorld(t, a, b, "ausim", true, nil)
		if r := admin.Request("PATCH", fmt.Sprintf("/api/v1/users/%d", x.victim.ID), map[string]any{"role": models.RoleModerator}); r.Status != 200 {
			t.Fatalf("change role: %d %s", r.Status, r.Body)
		}
		if code := x.w.closed(10 * time.Second); code != 4001 {
			t.Fatalf("close code %d, want 4001", code)
		}
	})
	t.Run("Suspended", func(t *testing.T) {
		x := newAccessWorld(t, a, b, "ausim", true, nil)
		if r := admin.Request("PATCH", fmt.Sprintf("/api/v1/users/%d", x.victim.ID), map[string]any{"status": models.StatusSuspended}); r.Status != 200 {
			t.Fatalf("suspend: %d %s", r.Status, r.Body)
		}
		if code := x.w.closed(10 * time.Second); code != 4001 {
			t.Fatalf("close code %d, want 4001", code)
		}
	})
}

func insertCosponsor(t *testing.T, app *servertest.App, measure int64, u *models.User) {
	t.Helper()
	err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
		return tx.Exec("INSERT INTO measure_cosponsors (measure_id, organization_id, user_id, created_at) VALUES (?, ?, ?, ?)",
			measure, u.OrgID(), u.ID, time.Now().UTC()).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func setVisibility(t *testing.T, app *servertest.App, measure int64, v string) {
	t.Helper()
	err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
		return tx.Exec("UPDATE measures SET visibility = ? WHERE id = ?", v, measure).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWS_AccessLoss: losing access to a measure, whichever way, ends the
// collab session (collab.rejected forbidden) and, for whoever may no longer
// see it, the subscription (error forbidden with the topic); after that
// nothing more of the measure reaches them: no collab.updates, no events,
// no presence, and a pull from version 0 is refused.
func TestWS_AccessLoss(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	runAccessLoss(t, app, app)
}

// TestWS_AccessLossTwoInstances: the same on two instances on PostgreSQL,
// the change made through B, the victim connected to A.
func TestWS_AccessLossTwoInstances(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresSchema(t)
	a := newInstance(t, url)
	b := newInstance(t, url)
	runAccessLoss(t, a, b)
}
