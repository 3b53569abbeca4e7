package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"pacte/collab"
	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// TestCollab_Protocol walks through docs/API.md's collab.* messages between two
// editors over real websockets, on each engine.
func TestCollab_Protocol(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(time.Hour) // revisions are the subject of another test
			alice, bob := app.User(models.RoleMember, "apebi"), app.User(models.RoleMember, "ausim")
			aliceAPI, aliceTok := coToken(t, app, alice)
			_, bobTok := coToken(t, app, bob)
			start := "Le cloud souverain est prioritaire."
			id := app.Measure(t, alice, servertest.MeasureSpec{Body: start, Pillar: "enablers", Axis: "cloud_computing", Editors: []*models.User{bob}})
			a, b := coDial(t, app.URL, aliceTok), coDial(t, app.URL, bobTok)

			doc := a.join(id)
			if doc.Doc != start || doc.version() != 0 {
				t.Fatalf("collab.doc %s", doc.Raw)
			}
			b.join(id)
			text := start

			t.Run("PushBroadcastsAndAcks", func(t *testing.T) {
				next := "🇲🇦 Le cloud souverain est prioritaire."
				a.push(id, 0, coEdit("alice", text, next))
				for _, c := range []*coClient{a, b} {
					u := c.expect("collab.updates")
					if u.From != 0 || len(u.Updates) != 1 || u.Updates[0].ClientID != "alice" || coApply(t, text, u.Updates) != next {
						t.Fatalf("collab.updates %s", u.Raw)
					}
				}
				if ack := a.expect("collab.ack"); ack.version() != 1 || ack.Measure != id {
					t.Fatalf("collab.ack %s", ack.Raw)
				}
				text = next
			})
			t.Run("ErrStale", func(t *testing.T) {
				b.push(id, 0, coEdit("bob", start, start+"!"))
				if r := b.expect("collab.rejected"); r.Reason != "stale" || r.version() != 1 {
					t.Fatalf("stale push: %s", r.Raw)
				}
				b.send(map[string]any{"type": "collab.pull", "measure": id, "version": 0})
				if u := b.expect("collab.updates"); u.From != 0 || len(u.Updates) != 1 || coApply(t, start, u.Updates) != text {
					t.Fatalf("pull: %s", u.Raw)
				}
			})
			t.Run("ErrInvalid", func(t *testing.T) {
				for _, changes := range []string{`[3,[0,"x"]]`, `[[1],99]`, `"nope"`, `[8,[0,"\ud83d"],30]`} {
					b.push(id, 1, collab.Update{ClientID: "bob", Changes: json.RawMessage(changes)})
					if r := b.expect("collab.rejected"); r.Reason != "invalid" {
						t.Fatalf("push %s: %s", changes, r.Raw)
					}
				}
				// The flag (2 units) cut in half.
				b.push(id, 1, collab.Update{ClientID: "bob", Changes: json.RawMessage(fmt.Sprintf(`[[1],%d]`, collab.UTF16Len(text)-1))})
				if r := b.expect("collab.rejected"); r.Reason != "invalid" {
					t.Fatalf("split surrogate: %s", r.Raw)
				}
				if got := coGet(t, aliceAPI, id).Body; got != text {
					t.Fatalf("text changed by refused pushes: %q", got)
				}
			})
			t.Run("Cursors", func(t *testing.T) {
				a.send(map[string]any{"type": "collab.cursor", "measure": id, "clientID": "alice", "anchor": 5, "head": 9})
				c := b.expect("collab.cursor")
				if c.ClientID != "alice" || c.User.ID != alice.ID || c.User.Name != alice.Name || *c.Anchor != 5 || *c.Head != 9 {
					t.Fatalf("cursor: %s", c.Raw)
				}
				a.quiet(150 * time.Millisecond) // not echoed to its sender
			})
			t.Run("APIShowsCurrentText", func(t *testing.T) {
				if got := coGet(t, aliceAPI, id); got.Body != text {
					t.Fatalf("GET body %q, want %q", got.Body, text)
				}
			})
			t.Run("PatchEntersTheLog", func(t *testing.T) {
				// The revision the page was loaded at, before the co-edits above:
				// a text edit on it would overwrite them, so it is refused.
				next := "Préambule.\n\n" + text + " Vraiment."
				r := aliceAPI.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", id), map[string]any{"body": "Autre chose.", "revision": 1})
				if r.Status != 409 || r.ErrorCode() != "stale_revision" {
					t.Fatalf("PATCH on the revision before the co-edits: %d %s", r.Status, r.Body)
				}
				rev := coGet(t, aliceAPI, id).Revision
				if r := aliceAPI.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", id), map[string]any{"body": next, "revision": rev}); r.Status != 200 {
					t.Fatalf("PATCH: %d %s", r.Status, r.Body)
				}
				for _, c := range []*coClient{a, b} {
					u := c.expect("collab.updates")
					if u.From != 1 || len(u.Updates) != 1 || u.Updates[0].ClientID != models.ServerClientID || coApply(t, text, u.Updates) != next {
						t.Fatalf("server change: %s", u.Raw)
					}
				}
				text = next
			})
			t.Run("LeaveRemovesCursor", func(t *testing.T) {
				a.send(map[string]any{"type": "collab.leave", "measure": id})
				c := b.expect("collab.cursor")
				if !c.Left || c.ClientID != "alice" || c.Anchor != nil {
					t.Fatalf("leave: %s", c.Raw)
				}
				// A joined editor pushes on; the one who left hears nothing.
				b.push(id, 2, coEdit("bob", text, text+" Bob."))
				b.expect("collab.updates")
				b.expect("collab.ack")
				a.quiet(200 * time.Millisecond)
				text += " Bob."
				a.join(id)
			})
			t.Run("StatusChangeClosesEditing", func(t *testing.T) {
				rev := coGet(t, aliceAPI, id).Revision
				if r := aliceAPI.Request("POST", fmt.Sprintf("/api/v1/measures/%d/submit", id), map[string]any{"revision": rev}); r.Status >= 300 {
					t.Fatalf("submit: %d %s", r.Status, r.Body)
				}
				for _, c := range []*coClient{a, b} {
					if r := c.expect("collab.rejected"); r.Reason != "not_editable" {
						t.Fatalf("after submit: %s", r.Raw)
					}
				}
				b.push(id, 3, coEdit("bob", text, text+"?"))
				if r := b.expect("collab.rejected"); r.Reason != "not_editable" {
					t.Fatalf("push after submit: %s", r.Raw)
				}
				// The co-edits were saved, under their authors, before the submit.
				var page struct {
					Items []map[string]any `json:"items"`
				}
				aliceAPI.Do("GET", fmt.Sprintf("/api/v1/measures/%d/revisions", id), nil, &page)
				if len(page.Items) < 2 || page.Items[0]["reason"] != "submit" || page.Items[1]["reason"] != models.RevisionCollab ||
					!containsID(page.Items[1]["authors"], bob.ID) || containsID(page.Items[1]["authors"], alice.ID) {
					t.Fatalf("revisions after submit: %v", page.Items)
				}
				// Joining now gives the text, read-only.
				c := coDial(t, app.URL, bobTok)
				if d := c.join(id); d.Doc != text {
					t.Fatalf("doc after submit %q", d.Doc)
				}
				if r := c.expect("collab.rejected"); r.Reason != "not_editable" {
					t.Fatalf("join after submit: %s", r.Raw)
				}
			})
		})
	}
}

// TestCollab_Access: who may join, push and share a cursor.
func TestCollab_Access(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			alice := app.User(models.RoleMember, "apebi")
			colleague := app.User(models.RoleMember, "apebi") // same federation, not an editor
			outsider := app.User(models.RoleMember, "mnc")
			aliceAPI, _ := coToken(t, app, alice)
			_, colTok := coToken(t, app, colleague)
			_, outTok := coToken(t, app, outsider)
			id := app.Measure(t, alice, servertest.MeasureSpec{Body: "Texte.", Pillar: "enablers", Axis: "cloud_computing"})

			t.Run("InvisibleMeasure", func(t *testing.T) {
				// Someone edits it, so the measure has a room on this instance.
				_, aliceTok := coToken(t, app, alice)
				a := coDial(t, app.URL, aliceTok)
				a.join(id)
				a.push(id, 0, coEdit("alice", "Texte.", "Texte…"))
				a.expect("collab.ack")
				c := coDial(t, app.URL, outTok)
				for _, m := range []int64{id, 999999} { // same answer as for a measure that does not exist
					c.send(map[string]any{"type": "collab.join", "measure": m})
					if r := c.expect("collab.rejected"); r.Reason != "forbidden" || r.Doc != "" {
						t.Fatalf("outsider join: %s", r.Raw)
					}
					c.push(m, 0, coEdit("x", "Texte.", "Texte!"))
					if r := c.expect("collab.rejected"); r.Reason != "forbidden" || r.Version != nil {
						t.Fatalf("outsider push: %s", r.Raw)
					}
					c.send(map[string]any{"type": "collab.pull", "measure": m, "version": 0})
					if r := c.expect("collab.rejected"); r.Reason != "forbidden" || r.Version != nil {
						t.Fatalf("outsider pull: %s", r.Raw)
					}
				}
			})
			t.Run("ReadOnlyForNonEditors", func(t *testing.T) {
				c := coDial(t, app.URL, colTok)
				if d := c.join(id); d.Doc != "Texte…" {
					t.Fatalf("colleague doc: %s", d.Raw)
				}
				if r := c.expect("collab.rejected"); r.Reason != "forbidden" {
					t.Fatalf("colleague join: %s", r.Raw)
				}
				for _, v := range []int64{0, 1} { // stale or current: not theirs to push
					c.push(id, v, coEdit("x", "Texte…", "Texte!"))
					if r := c.expect("collab.rejected"); r.Reason != "forbidden" {
						t.Fatalf("colleague push: %s", r.Raw)
					}
				}
				if got := coGet(t, aliceAPI, id).Body; got != "Texte…" {
					t.Fatalf("text changed: %q", got)
				}
			})
			t.Run("ErrMalformed", func(t *testing.T) {
				c := coDial(t, app.URL, colTok)
				for _, frame := range []map[string]any{
					{"type": "collab.join"},
					{"type": "collab.push", "measure": id},
					{"type": "collab.pull", "measure": id, "version": -1},
					{"type": "collab.join", "measure": "douze"},
				} {
					c.send(frame)
					if e := c.expect("error"); e.Code != "malformed" {
						t.Fatalf("%v: %s", frame, e.Raw)
					}
				}
			})
		})
	}
}

// TestCollab_Revisions: an editing burst is saved as a revision once the
// measure has been idle, with everyone who typed as its authors, and GET
// shows the text before that.
func TestCollab_Revisions(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(300 * time.Millisecond)
			alice, bob := app.User(models.RoleMember, "apebi"), app.User(models.RoleMember, "apebi")
			aliceAPI, aliceTok := coToken(t, app, alice)
			_, bobTok := coToken(t, app, bob)
			id := app.Measure(t, alice, servertest.MeasureSpec{Body: "Un.", Pillar: "enablers", Axis: "cloud_computing", Editors: []*models.User{bob}})
			a, b := coDial(t, app.URL, aliceTok), coDial(t, app.URL, bobTok)
			a.join(id)
			b.join(id)
			a.push(id, 0, coEdit("a", "Un.", "Un. Deux."))
			a.expect("collab.ack")
			b.expect("collab.updates")
			b.push(id, 1, coEdit("b", "Un. Deux.", "Un. Deux. Trois."))
			b.expect("collab.ack")
			if m := coGet(t, aliceAPI, id); m.Body != "Un. Deux. Trois." {
				t.Fatalf("GET before the fold: %q", m.Body)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				var page struct {
					Items []map[string]any `json:"items"`
				}
				aliceAPI.Do("GET", fmt.Sprintf("/api/v1/measures/%d/revisions", id), nil, &page)
				if len(page.Items) > 0 && page.Items[0]["reason"] == models.RevisionCollab {
					got := page.Items[0]
					b, _ := json.Marshal(got)
					if !(containsID(got["authors"], alice.ID) && containsID(got["authors"], bob.ID)) {
						t.Fatalf("authors of the folded revision: %s", b)
					}
					var r struct {
						Body string `json:"body"`
					}
					aliceAPI.Do("GET", fmt.Sprintf("/api/v1/measures/%d/revisions/%v", id, got["number"]), nil, &r)
					if r.Body != "Un. Deux. Trois." {
						t.Fatalf("folded revision body %q", r.Body)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no co-editing revision after 10 s: %v", page.Items)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// Nothing new, nothing saved again.
			var count int
			app.Store.Read(context.Background()).Raw("SELECT COUNT(*) FROM revisions WHERE measure_id = ? AND reason = ?", id, models.RevisionCollab).Scan(&count)
			if count != 1 {
				t.Fatalf("%d co-editing revisions", count)
			}
		})
	}
}

// containsID reports whether a JSON list of ids or of {id} objects holds id.
func containsID(list any, id int64) bool {
	items, _ := list.([]any)
	for _, it := range items {
		switch v := it.(type) {
		case float64:
			if int64(v) == id {
				return true
			}
		case map[string]any:
			if f, ok := v["id"].(float64); ok && int64(f) == id {
				return true
			}
		}
	}
	return false
}

// TestCollab_AnchoredComments: a comment quoting words keeps pointing at
// them while others type around them, and is marked detached, not lost,
// when they are deleted.
func TestCollab_AnchoredComments(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			alice := app.User(models.RoleMember, "apebi")
			aliceAPI, aliceTok := coToken(t, app, alice)
			start := "Le cloud souverain est prioritaire."
			id := app.Measure(t, alice, servertest.MeasureSpec{Body: start, Pillar: "enablers", Axis: "cloud_computing"})
			var c struct {
				ID int64 `json:"id"`
			}
			r := aliceAPI.Request("POST", fmt.Sprintf("/api/v1/measures/%d/comments", id), map[string]any{
				"body": "Lequel ?", "anchor": map[string]any{"quote": "cloud souverain", "from": 3, "to": 18}})
			if r.Status != 201 || r.JSON(&c) != nil {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			anchor := func() (from, to int, detached bool) {
				var out struct {
					Anchor struct {
						From     int  `json:"from"`
						To       int  `json:"to"`
						Detached bool `json:"detached"`
					} `json:"anchor"`
				}
				if r := aliceAPI.Request("GET", fmt.Sprintf("/api/v1/comments/%d", c.ID), nil); r.Status != 200 || r.JSON(&out) != nil {
					t.Fatalf("get comment: %d %s", r.Status, r.Body)
				}
				return out.Anchor.From, out.Anchor.To, out.Anchor.Detached
			}
			ws := coDial(t, app.URL, aliceTok)
			ws.join(id)
			text := start
			// splice replaces the first occurrence of old after the byte
			// offset at with new, as one precise change (as a browser sends).
			splice := func(v int64, at int, old, new string) {
				t.Helper()
				i := at + strings.Index(text[at:], old)
				from, _ := collab.ByteToUTF16Offset(text, i)
				n := collab.UTF16Len(text)
				ins, _ := json.Marshal(strings.Split(new, "\n"))
				changes := fmt.Sprintf(`[%d,[%d,%s],%d]`, from, collab.UTF16Len(old), ins[1:len(ins)-1], n-from-collab.UTF16Len(old))
				if new == "" {
					changes = fmt.Sprintf(`[%d,[%d],%d]`, from, collab.UTF16Len(old), n-from-collab.UTF16Len(old))
				}
				ws.push(id, v, collab.Update{ClientID: "alice", Changes: json.RawMessage(changes)})
				ws.expect("collab.ack")
				text = text[:i] + new + text[i+len(old):]
			}
			splice(0, 0, "", "👍🏽 ")               // before the words
			splice(1, 0, " est", " marocain est") // right after them
			from, to, detached := anchor()
			if got, _ := collab.NewDoc(text).Slice(from, to); got != "cloud souverain" || detached {
				t.Fatalf("anchor %d..%d = %q, detached %v in %q", from, to, got, detached, text)
			}
			splice(2, 0, "cloud souverain ", "")
			if _, _, detached := anchor(); !detached {
				t.Fatal("comment on deleted words is not detached")
			}
		})
	}
}
