package server_test

import (
	"context"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// TestCollab_CompactedLog: after the retention job compacts a measure's
// log, a pull from below the floor is answered gone, even by the room
// that still holds those updates in memory; a pull exactly at the floor
// gets the kept updates; a push from below the floor is gone at once; and
// a new join starts from the current text and goes on editing.
func TestCollab_CompactedLog(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(time.Hour) // the test saves the revision itself
			alice, bob := app.User(models.RoleMember, "apebi"), app.User(models.RoleMember, "ausim")
			_, aliceTok := coToken(t, app, alice)
			_, bobTok := coToken(t, app, bob)
			text := "Début."
			id := app.Measure(t, alice, servertest.MeasureSpec{Body: text, Pillar: "enablers", Axis: "cloud_computing", Editors: []*models.User{bob}})
			a := coDial(t, app.URL, aliceTok)
			a.join(id)
			for v := range int64(6) {
				next := text + " mot"
				a.push(id, v, coEdit("alice", text, next))
				if ack := a.expect("collab.ack"); ack.version() != v+1 {
					t.Fatalf("ack %s", ack.Raw)
				}
				text = next
			}
			ctx := context.Background()
			if err := app.Store.Write(ctx, func(tx *models.Tx) error { _, _, err := tx.FoldCollab(id); return err }); err != nil {
				t.Fatal(err)
			}
			policy := models.DefaultRetentionPolicy()
			policy.CollabKeep = 2
			if r, err := app.Store.Retain(ctx, policy); err != nil || r.CollabUpdates != 4 {
				t.Fatalf("compaction: %+v %v", r, err)
			}

			b := coDial(t, app.URL, bobTok)
			if doc := b.join(id); doc.Doc != text || doc.version() != 6 {
				t.Fatalf("join after compaction: %s", doc.Raw)
			}
			b.send(map[string]any{"type": "collab.pull", "measure": id, "version": 3})
			if r := b.expect("collab.rejected"); r.Reason != models.CollabGone || r.version() != 6 {
				t.Fatalf("pull below the floor: %s", r.Raw)
			}
			b.send(map[string]any{"type": "collab.pull", "measure": id, "version": 4})
			if u := b.expect("collab.updates"); u.From != 4 || len(u.Updates) != 2 {
				t.Fatalf("pull at the floor: %s", u.Raw)
			}
			// Not a member of the room: the push reaches the store, which
			// knows the floor.
			c := coDial(t, app.URL, bobTok)
			c.push(id, 1, coEdit("carol", "x", "xy"))
			if r := c.expect("collab.rejected"); r.Reason != models.CollabGone {
				t.Fatalf("push below the floor: %s", r.Raw)
			}
			b.push(id, 6, coEdit("bob", text, text+" fin"))
			if ack := b.expect("collab.ack"); ack.version() != 7 {
				t.Fatalf("push after compaction: %s", ack.Raw)
			}
		})
	}
}
