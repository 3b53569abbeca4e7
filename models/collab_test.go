package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pacte/collab"
	"pacte/models"
	"pacte/models/storetest"
)

// collabFixture is a measure with two editors and an outsider.
type collabFixture struct {
	s                 *models.Store
	measure           int64
	alice, bob, other *models.User
}

// fixtureSeq keeps fixture emails unique; parallel subtests share it.
var fixtureSeq atomic.Int64

func newCollabFixture(t *testing.T, engine, body, status string) *collabFixture {
	t.Helper()
	s := storetest.Open(t, engine)
	ctx := context.Background()
	var apebi int64
	if err := s.Read(ctx).Raw("SELECT id FROM organizations WHERE slug = 'apebi'").Scan(&apebi).Error; err != nil {
		t.Fatal(err)
	}
	mk := func(name string) *models.User {
		n := fixtureSeq.Add(1)
		now := time.Now().UTC()
		u := &models.User{Email: fmt.Sprintf("%s%d@example.ma", name, n), Name: name, OrganizationID: &apebi,
			Role: models.RoleMember, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
		if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	f := &collabFixture{s: s, alice: mk("Alice"), bob: mk("Bob"), other: mk("Other")}
	err := s.Write(ctx, func(tx *models.Tx) error {
		now := time.Now().UTC()
		var ids []int64
		if err := tx.Raw(`INSERT INTO measures (title, summary, body, pillar, lead_organization_id, visibility, status, revision, collab_version, created_by, created_at, updated_at)
			VALUES ('Cloud souverain', 'Résumé', ?, 'enablers', ?, 'federation', ?, 1, 0, ?, ?, ?) RETURNING id`,
			body, apebi, status, f.alice.ID, now, now).Scan(&ids).Error; err != nil {
			return err
		}
		f.measure = ids[0]
		for _, u := range []*models.User{f.alice, f.bob} {
			if err := tx.Exec("INSERT INTO measure_editors (measure_id, user_id, created_at) VALUES (?, ?, ?)", f.measure, u.ID, now).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`INSERT INTO revisions (measure_id, number, title, summary, body, pillar, status, authors, collab_version, created_at)
			VALUES (?, 1, 'Cloud souverain', 'Résumé', ?, 'enablers', ?, ?, 0, ?)`, f.measure, body, status, fmt.Sprintf("[%d]", f.alice.ID), now).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// change builds the update turning old into new, as a browser would send it.
func change(clientID, old, new string) collab.Update {
	b, err := collab.FromDiff(old, new).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return collab.Update{ClientID: clientID, Changes: b}
}

func raw(clientID, changes string) collab.Update {
	return collab.Update{ClientID: clientID, Changes: json.RawMessage(changes)}
}

func (f *collabFixture) doc(t *testing.T) (string, int64) {
	t.Helper()
	text, v, err := f.s.CollabDoc(context.Background(), f.measure)
	if err != nil {
		t.Fatal(err)
	}
	return text, v
}

func errCode(err error) string {
	if e, ok := err.(*models.Error); ok {
		return e.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// replay rebuilds the text from the first revision and the stored log, and
// checks that versions have no gaps.
func (f *collabFixture) replay(t *testing.T, initial string) (string, int64) {
	t.Helper()
	var rows []struct {
		Version int64
		Changes string
	}
	if err := f.s.Read(context.Background()).Raw("SELECT version, changes FROM collab_updates WHERE measure_id = ? ORDER BY version", f.measure).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	doc := collab.NewDoc(initial)
	for i, r := range rows {
		if r.Version != int64(i+1) {
			t.Fatalf("stored versions have a gap: row %d has version %d", i, r.Version)
		}
		cs, err := collab.ParseChangeSet(json.RawMessage(r.Changes))
		if err != nil {
			t.Fatalf("stored version %d does not parse: %v", r.Version, err)
		}
		if doc, err = cs.Apply(doc); err != nil {
			t.Fatalf("stored version %d does not apply: %v", r.Version, err)
		}
	}
	return doc.String(), int64(len(rows))
}

func TestCollab_Push(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "Hello world", models.StatusDraft)

			t.Run("OK", func(t *testing.T) {
				c, err := f.s.PushCollab(ctx, f.alice, f.measure, 0, []collab.Update{
					change("a1", "Hello world", "Hello, world"),
					change("a1", "Hello, world", "Hello, world!"),
				})
				if err != nil {
					t.Fatal(err)
				}
				if c.From != 0 || c.Version != 2 || len(c.Updates) != 2 || c.Doc.String() != "Hello, world!" {
					t.Fatalf("commit %+v", c)
				}
				if text, v := f.doc(t); text != "Hello, world!" || v != 2 {
					t.Fatalf("doc %q at %d", text, v)
				}
				var users []int64
				f.s.Read(ctx).Raw("SELECT user_id FROM collab_updates WHERE measure_id = ? ORDER BY version", f.measure).Scan(&users)
				if len(users) != 2 || users[0] != f.alice.ID {
					t.Fatalf("stored authors %v", users)
				}
			})
			t.Run("ErrStale", func(t *testing.T) {
				c, err := f.s.PushCollab(ctx, f.bob, f.measure, 1, []collab.Update{change("b1", "Hello, world", "Hello, big world")})
				if errCode(err) != models.CollabStale || c.Version != 2 {
					t.Fatalf("stale push: %v, version %d", err, c.Version)
				}
				if text, v := f.doc(t); text != "Hello, world!" || v != 2 {
					t.Fatalf("doc changed by a stale push: %q at %d", text, v)
				}
			})
			t.Run("ErrInvalid", func(t *testing.T) {
				cur := "Hello, world!" // 13 units
				cases := map[string][]collab.Update{
					"not an array":     {raw("b", `{"x":1}`)},
					"negative":         {raw("b", `[-1]`)},
					"fraction":         {raw("b", `[13.0]`)},
					"too short":        {raw("b", `[5,[0,"x"]]`)},
					"too long":         {raw("b", `[14,[0,"x"]]`)},
					"lone surrogate":   {raw("b", `[13,[0,"\ud83d"]]`)},
					"carriage return":  {raw("b", `[13,[0,"a\rb"]]`)},
					"empty client":     {raw("", `[13,[0,"x"]]`)},
					"server client id": {raw("server", `[13,[0,"x"]]`)},
					"no updates":       {},
					"second bad":       {raw("b", `[13,[0,"x"]]`), raw("b", `[13,[0,"y"]]`)},
				}
				for name, ups := range cases {
					_, err := f.s.PushCollab(ctx, f.bob, f.measure, 2, ups)
					if errCode(err) != models.CollabInvalid {
						t.Errorf("%s: got %v, want invalid", name, err)
					}
				}
				huge := strings.Repeat("é", models.MaxBodyBytes/2)
				if _, err := f.s.PushCollab(ctx, f.bob, f.measure, 2, []collab.Update{change("b", cur, cur+huge)}); errCode(err) != models.CollabInvalid {
					t.Errorf("text over the size limit: got %v, want invalid", err)
				}
				if _, err := f.s.PushCollab(ctx, f.bob, f.measure, 9, []collab.Update{change("b", cur, cur+"x")}); errCode(err) != models.CollabGone {
					t.Errorf("future version: got %v, want gone", err)
				}
				if text, v := f.doc(t); text != cur || v != 2 {
					t.Fatalf("doc changed by invalid pushes: %q at %d", text, v)
				}
			})
			t.Run("ErrForbidden", func(t *testing.T) {
				_, err := f.s.PushCollab(ctx, f.other, f.measure, 2, []collab.Update{change("o", "Hello, world!", "Hello, world!!")})
				if errCode(err) != models.CollabForbidden {
					t.Fatalf("outsider push: %v", err)
				}
			})
			t.Run("ErrNotEditable", func(t *testing.T) {
				if err := f.s.Write(ctx, func(tx *models.Tx) error {
					return tx.Exec("UPDATE measures SET status = 'in_review' WHERE id = ?", f.measure).Error
				}); err != nil {
					t.Fatal(err)
				}
				defer f.s.Write(ctx, func(tx *models.Tx) error {
					return tx.Exec("UPDATE measures SET status = 'draft' WHERE id = ?", f.measure).Error
				})
				_, err := f.s.PushCollab(ctx, f.bob, f.measure, 2, []collab.Update{change("b", "Hello, world!", "Hello, world!!")})
				if errCode(err) != models.CollabNotEditable {
					t.Fatalf("push in review: %v", err)
				}
			})
			t.Run("ErrNotFound", func(t *testing.T) {
				_, err := f.s.PushCollab(ctx, f.bob, 999999, 0, []collab.Update{raw("b", `[[0,"x"]]`)})
				if models.ErrorKind(err) != models.ENotFound {
					t.Fatalf("push to a missing measure: %v", err)
				}
			})
			if text, v := f.replay(t, "Hello world"); text != "Hello, world!" || v != 2 {
				t.Fatalf("replay gives %q at %d", text, v)
			}
		})
	}
}

// TestCollab_UTF16 checks that offsets count UTF-16 units, as browsers do:
// Arabic letters take one unit, emoji two, and a change may not split a pair.
func TestCollab_UTF16(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := "مرحبا 😀 é"
			f := newCollabFixture(t, engine, start, models.StatusDraft)
			// "مرحبا" is 5 units, " " 1, "😀" 2, " " 1, "é" 1: length 10.
			// Insert "👍🏽" (4 units) after the emoji (at 8), replace "é" (9..10) with "è".
			c, err := f.s.PushCollab(ctx, f.alice, f.measure, 0, []collab.Update{raw("a", `[8,[0,"👍🏽"],1,[1,"è"]]`)})
			if err != nil {
				t.Fatal(err)
			}
			want := "مرحبا 😀👍🏽 è"
			if c.Doc.String() != want {
				t.Fatalf("got %q, want %q", c.Doc.String(), want)
			}
			// Delete the Arabic word and the space (0..6), as JavaScript counts it.
			if _, err := f.s.PushCollab(ctx, f.alice, f.measure, 1, []collab.Update{raw("a", `[[6],8]`)}); err != nil {
				t.Fatal(err)
			}
			if text, _ := f.doc(t); text != "😀👍🏽 è" {
				t.Fatalf("got %q", text)
			}
			// Cutting 😀 in half (a change ending at unit 1) is refused.
			_, err = f.s.PushCollab(ctx, f.alice, f.measure, 2, []collab.Update{raw("a", `[[1],7]`)})
			if errCode(err) != models.CollabInvalid {
				t.Fatalf("split surrogate: %v", err)
			}
			if text, v := f.replay(t, start); text != "😀👍🏽 è" || v != 2 {
				t.Fatalf("replay %q at %d", text, v)
			}
		})
	}
}

func addAnchoredComment(t *testing.T, f *collabFixture, from, to int) int64 {
	t.Helper()
	var ids []int64
	err := f.s.Write(context.Background(), func(tx *models.Tx) error {
		return tx.Raw(`INSERT INTO comments (measure_id, author_id, body, status, anchor_quote, anchor_from, anchor_to, created_at)
			VALUES (?, ?, ?, 'visible', 'q', ?, ?, ?) RETURNING id`, f.measure, f.bob.ID, "Pourquoi ?", from, to, time.Now().UTC()).Scan(&ids).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

func anchorOf(t *testing.T, f *collabFixture, id int64) (int, int, bool) {
	t.Helper()
	var a struct {
		AnchorFrom, AnchorTo int
		AnchorDetached       bool
	}
	if err := f.s.Read(context.Background()).Raw("SELECT anchor_from, anchor_to, anchor_detached FROM comments WHERE id = ?", id).Scan(&a).Error; err != nil {
		t.Fatal(err)
	}
	return a.AnchorFrom, a.AnchorTo, a.AnchorDetached
}

func TestCollab_AnchorsFollowText(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := "Le cloud souverain est prioritaire."
			f := newCollabFixture(t, engine, start, models.StatusDraft)
			// "cloud souverain" is 3..18; "prioritaire" 23..34.
			cloud := addAnchoredComment(t, f, 3, 18)
			prio := addAnchoredComment(t, f, 23, 34)

			text := start
			push := func(v int64, next string) {
				t.Helper()
				if _, err := f.s.PushCollab(ctx, f.alice, f.measure, v, []collab.Update{change("a", text, next)}); err != nil {
					t.Fatal(err)
				}
				text = next
			}
			push(0, "🇲🇦 Le cloud souverain est prioritaire.") // 5 units before it
			if a, b, d := anchorOf(t, f, cloud); a != 8 || b != 23 || d {
				t.Fatalf("after insert before: %d..%d detached=%v", a, b, d)
			}
			if got, _ := collab.NewDoc(text).Slice(8, 23); got != "cloud souverain" {
				t.Fatalf("anchor points at %q", got)
			}
			// Typing right after the span stays outside it.
			push(1, "🇲🇦 Le cloud souverain marocain est prioritaire.")
			if a, b, _ := anchorOf(t, f, cloud); a != 8 || b != 23 {
				t.Fatalf("after insert at the end: %d..%d", a, b)
			}
			// Deleting the words detaches the comment; the other one moves on.
			push(2, "🇲🇦 Le marocain est prioritaire.")
			if _, _, d := anchorOf(t, f, cloud); !d {
				t.Fatalf("deleted span is not detached")
			}
			a, b, d := anchorOf(t, f, prio)
			if got, _ := collab.NewDoc(text).Slice(a, b); got != "prioritaire" || d {
				t.Fatalf("second anchor %d..%d = %q detached=%v", a, b, got, d)
			}
			// A detached anchor stays where it was, whatever happens next.
			before1, before2, _ := anchorOf(t, f, cloud)
			push(3, "Texte: 🇲🇦 Le marocain est prioritaire.")
			if a, b, d := anchorOf(t, f, cloud); a != before1 || b != before2 || !d {
				t.Fatalf("detached anchor moved: %d..%d %v", a, b, d)
			}
		})
	}
}

// TestCollab_ConcurrentPushes: many writers racing on one measure get
// exactly one winner per version, versions without gaps, and a stored log
// that replays to the stored text.
func TestCollab_ConcurrentPushes(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "", models.StatusDraft)
			const writers, each = 8, 15
			var mu sync.Mutex
			winners := map[int64]string{} // version → client
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					user := f.alice
					if w%2 == 1 {
						user = f.bob
					}
					id := fmt.Sprintf("w%d", w)
					for done := 0; done < each; {
						text, v, err := f.s.CollabDoc(ctx, f.measure)
						if err != nil {
							errs <- err
							return
						}
						c, err := f.s.PushCollab(ctx, user, f.measure, v, []collab.Update{change(id, text, text+fmt.Sprintf("<%s.%d>", id, done))})
						switch errCode(err) {
						case "":
							mu.Lock()
							if prev, dup := winners[c.Version]; dup {
								mu.Unlock()
								errs <- fmt.Errorf("version %d accepted twice (%s and %s)", c.Version, prev, id)
								return
							}
							winners[c.Version] = id
							mu.Unlock()
							done++
						case models.CollabStale:
						default:
							errs <- fmt.Errorf("writer %d: %v", w, err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			text, v := f.doc(t)
			if v != writers*each || len(winners) != writers*each {
				t.Fatalf("version %d, %d winners; want %d", v, len(winners), writers*each)
			}
			replayed, n := f.replay(t, "")
			if replayed != text || n != v {
				t.Fatalf("replay gives %d updates and a different text", n)
			}
			for w := 0; w < writers; w++ {
				for i := 0; i < each; i++ {
					if m := fmt.Sprintf("<w%d.%d>", w, i); !strings.Contains(text, m) {
						t.Fatalf("accepted %s missing", m)
					}
				}
			}
		})
	}
}

func TestCollab_UpdatesSince(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "a", models.StatusDraft)
			text := "a"
			for i := 0; i < 5; i++ {
				next := text + "b"
				if _, err := f.s.PushCollab(ctx, f.alice, f.measure, int64(i), []collab.Update{change(fmt.Sprint("c", i), text, next)}); err != nil {
					t.Fatal(err)
				}
				text = next
			}
			t.Run("OK", func(t *testing.T) {
				c, err := f.s.CollabUpdatesSince(ctx, f.measure, 2)
				if err != nil {
					t.Fatal(err)
				}
				if c.From != 2 || c.Version != 5 || len(c.Updates) != 3 || c.Updates[0].ClientID != "c2" {
					t.Fatalf("%+v", c)
				}
				c, err = f.s.CollabUpdatesSince(ctx, f.measure, 5)
				if err != nil || len(c.Updates) != 0 || c.Version != 5 {
					t.Fatalf("pull at the current version: %+v %v", c, err)
				}
			})
			t.Run("ErrFuture", func(t *testing.T) {
				if _, err := f.s.CollabUpdatesSince(ctx, f.measure, 6); errCode(err) != models.CollabGone {
					t.Fatalf("future version: %v", err)
				}
			})
			t.Run("ErrGone", func(t *testing.T) {
				if err := f.s.Write(ctx, func(tx *models.Tx) error {
					return tx.Exec("DELETE FROM collab_updates WHERE measure_id = ? AND version <= 2", f.measure).Error
				}); err != nil {
					t.Fatal(err)
				}
				if _, err := f.s.CollabUpdatesSince(ctx, f.measure, 1); errCode(err) != models.CollabGone {
					t.Fatalf("pruned: %v", err)
				}
				if c, err := f.s.CollabUpdatesSince(ctx, f.measure, 2); err != nil || len(c.Updates) != 3 {
					t.Fatalf("kept part: %+v %v", c, err)
				}
			})
		})
	}
}

func TestCollab_AppendServerChange(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "Un texte.", models.StatusDraft)
			if _, err := f.s.PushCollab(ctx, f.alice, f.measure, 0, []collab.Update{change("a", "Un texte.", "Un long texte.")}); err != nil {
				t.Fatal(err)
			}
			comment := addAnchoredComment(t, f, 3, 7) // "long"
			var v int64
			err := f.s.Write(ctx, func(tx *models.Tx) error {
				var err error
				v, err = tx.AppendServerChange(f.measure, "Un long texte.", "Titre\r\n\r\nUn long texte, révisé.", f.bob)
				return err
			})
			if err != nil || v != 2 {
				t.Fatalf("append: %v, version %d", err, v)
			}
			text, cur := f.doc(t)
			if text != "Titre\n\nUn long texte, révisé." || cur != 2 {
				t.Fatalf("doc %q at %d", text, cur)
			}
			if a, b, _ := anchorOf(t, f, comment); text[a:b] != "long" {
				t.Fatalf("anchor moved to %q", text[a:b])
			}
			var client string
			f.s.Read(ctx).Raw("SELECT client_id FROM collab_updates WHERE measure_id = ? AND version = 2", f.measure).Scan(&client)
			if client != models.ServerClientID {
				t.Fatalf("server change stored as %q", client)
			}
			if replayed, _ := f.replay(t, "Un texte."); replayed != text {
				t.Fatalf("replay %q", replayed)
			}
			// The same text again changes nothing.
			f.s.Write(ctx, func(tx *models.Tx) error {
				v, err = tx.AppendServerChange(f.measure, text, text, f.bob)
				return err
			})
			if err != nil || v != 2 {
				t.Fatalf("no-op append: %v %d", err, v)
			}
		})
	}
}

func TestCollab_Fold(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "v1", models.StatusDraft)
			if _, err := f.s.PushCollab(ctx, f.bob, f.measure, 0, []collab.Update{change("b", "v1", "v1 b")}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.PushCollab(ctx, f.alice, f.measure, 1, []collab.Update{change("a", "v1 b", "v1 b a")}); err != nil {
				t.Fatal(err)
			}
			ids, err := f.s.UnfoldedCollabMeasures(ctx)
			if err != nil || len(ids) != 1 || ids[0] != f.measure {
				t.Fatalf("unfolded: %v %v", ids, err)
			}
			wait, folded, err := f.s.FoldCollabIfIdle(ctx, f.measure, time.Hour)
			if err != nil || folded || wait <= 0 {
				t.Fatalf("busy measure folded: %v %v %v", wait, folded, err)
			}
			_, folded, err = f.s.FoldCollabIfIdle(ctx, f.measure, 0)
			if err != nil || !folded {
				t.Fatalf("idle measure not folded: %v %v", folded, err)
			}
			var rev struct {
				Number                int64
				Body, Authors, Reason string
				CollabVersion         int64
			}
			f.s.Read(ctx).Raw("SELECT number, body, authors, reason, collab_version FROM revisions WHERE measure_id = ? ORDER BY number DESC LIMIT 1", f.measure).Scan(&rev)
			var authors []int64
			json.Unmarshal([]byte(rev.Authors), &authors)
			if rev.Number != 2 || rev.Body != "v1 b a" || rev.CollabVersion != 2 || len(authors) != 2 || rev.Reason != models.RevisionCollab {
				t.Fatalf("revision %+v", rev)
			}
			if !(authors[0] == min(f.alice.ID, f.bob.ID) && authors[1] == max(f.alice.ID, f.bob.ID)) {
				t.Fatalf("authors %v", authors)
			}
			var measureRev int64
			f.s.Read(ctx).Raw("SELECT revision FROM measures WHERE id = ?", f.measure).Scan(&measureRev)
			if measureRev != 2 {
				t.Fatalf("measure revision %d", measureRev)
			}
			var events int
			f.s.Read(ctx).Raw("SELECT COUNT(*) FROM events WHERE type = 'measure.revision_saved' AND measure_id = ?", f.measure).Scan(&events)
			if events != 1 {
				t.Fatalf("%d revision_saved events", events)
			}
			// Nothing new: nothing folded.
			if _, folded, err := f.s.FoldCollabIfIdle(ctx, f.measure, 0); err != nil || folded {
				t.Fatalf("second fold: %v %v", folded, err)
			}
			if ids, _ := f.s.UnfoldedCollabMeasures(ctx); len(ids) != 0 {
				t.Fatalf("still unfolded: %v", ids)
			}
			// The next burst has only Bob as author.
			f.s.PushCollab(ctx, f.bob, f.measure, 2, []collab.Update{change("b", "v1 b a", "v1 b a b")})
			err = f.s.Write(ctx, func(tx *models.Tx) error {
				n, folded, err := tx.FoldCollab(f.measure)
				if err == nil && (!folded || n != 3) {
					err = fmt.Errorf("fold in a transition: %d %v", n, folded)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			f.s.Read(ctx).Raw("SELECT authors FROM revisions WHERE measure_id = ? AND number = 3", f.measure).Scan(&rev.Authors)
			if rev.Authors != fmt.Sprintf("[%d]", f.bob.ID) {
				t.Fatalf("authors of revision 3: %s", rev.Authors)
			}
		})
	}
}
