package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// chainFixture writes n events the way the platform does: single events,
// several in one transaction (the head remembered between them) and a
// batch (emitAll), with personal values in their payloads.
func chainFixture(t *testing.T, s *models.Store, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	actor := &models.User{ID: 3, Name: "Alice Benali"}
	var ids []int64
	for len(ids) < n {
		i := len(ids)
		err := s.Write(ctx, func(tx *models.Tx) error {
			switch i % 3 {
			case 0: // one event
				ev, err := tx.Emit(models.MeasureTopic(7), "measure.updated", actor, 7, 0,
					map[string]any{"fields": []string{"title"}, "title": fmt.Sprintf("Budget du numérique %d", i),
						"reviewer": map[string]any{"id": 3, "name": "Alice Benali"}, "body": "Merci @[Alice Benali](user:3) !"})
				ids = append(ids, ev.ID)
				return err
			case 1: // two in one transaction
				for k := 0; k < 2; k++ {
					ev, err := tx.Emit(models.UserTopic(5), "user.updated", actor, 0, 5,
						map[string]any{"user_id": 5, "changes": map[string]any{"name": map[string]any{"from": "Karim", "to": "Karim B."}},
							"email": "karim@example.ma", "ratio": 1.50})
					if err != nil {
						return err
					}
					ids = append(ids, ev.ID)
				}
				return nil
			default: // a batch
				evs := make([]models.Event, 3)
				for k := range evs {
					ev, err := tx.NewEvent(models.UserTopic(int64(10+k)), models.EventNotificationCreated, nil, 0, int64(10+k),
						map[string]any{"id": 100 + i + k, "type": "mention", "unread_count": k})
					if err != nil {
						return err
					}
					evs[k] = ev
				}
				if err := tx.EmitAll(evs); err != nil {
					return err
				}
				for _, ev := range evs {
					ids = append(ids, ev.ID)
				}
				return nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func exec(t *testing.T, s *models.Store, q string, args ...any) {
	t.Helper()
	if err := s.Write(context.Background(), func(tx *models.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func check(t *testing.T, s *models.Store) models.AuditVerification {
	t.Helper()
	v, err := s.CheckAuditChain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAuditChain_IntactAndEmpty(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			v, err := s.VerifyAuditChain(ctx)
			if err != nil || !v.OK || v.Events != 0 || v.HeadID != 0 {
				t.Fatalf("empty log: %+v, %v", v, err)
			}
			ids := chainFixture(t, s, 30)
			v, err = s.VerifyAuditChain(ctx)
			if err != nil || !v.OK {
				t.Fatalf("intact log: %+v, %v", v, err)
			}
			if v.Events != int64(len(ids)) || v.HeadID != ids[len(ids)-1] {
				t.Errorf("checked %d events up to %d, want %d up to %d", v.Events, v.HeadID, len(ids), ids[len(ids)-1])
			}
			// The event handed to the publisher is the row stored: same
			// time (microseconds) and hash.
			var stored models.Event
			if err := s.Read(ctx).Where("id = ?", v.HeadID).First(&stored).Error; err != nil {
				t.Fatal(err)
			}
			if stored.Hash != v.HeadHash || len(stored.Hash) != 64 {
				t.Errorf("head hash %q, stored %q", v.HeadHash, stored.Hash)
			}
			head, err := s.AuditChainHead(ctx, &models.User{ID: 1, Role: models.RoleAdmin, Status: models.StatusActive})
			if err != nil {
				t.Fatal(err)
			}
			if head.EventID != v.HeadID || head.Hash != v.HeadHash || head.Verified == nil || !head.Verified.OK || head.Verified.Events != v.Events {
				t.Errorf("head: %+v (verified %+v)", head, head.Verified)
			}
		})
	}
}

// Each kind of tampering names the first event that no longer matches.
func TestAuditChain_Tampering(t *testing.T) {
	type tamper struct {
		name string
		// do changes the log; it returns the event that must be named.
		do   func(t *testing.T, s *models.Store, ids []int64) int64
		want string // in the problem
	}
	mid := func(ids []int64) int64 { return ids[len(ids)/2] }
	cases := []tamper{
		{"one byte of a payload", func(t *testing.T, s *models.Store, ids []int64) int64 {
			exec(t, s, "UPDATE events SET payload = REPLACE(payload, 'Budget', 'Budgot') WHERE id = ?", ids[9])
			return ids[9]
		}, "does not match its content"},
		{"its time", func(t *testing.T, s *models.Store, ids []int64) int64 {
			var e models.Event
			if err := s.Read(context.Background()).Where("id = ?", mid(ids)).First(&e).Error; err != nil {
				t.Fatal(err)
			}
			exec(t, s, "UPDATE events SET created_at = ? WHERE id = ?", e.CreatedAt.Add(-time.Second), mid(ids))
			return mid(ids)
		}, "does not match"},
		{"its type", func(t *testing.T, s *models.Store, ids []int64) int64 {
			exec(t, s, "UPDATE events SET type = 'measure.published' WHERE id = ?", mid(ids))
			return mid(ids)
		}, "does not match"},
		{"its actor", func(t *testing.T, s *models.Store, ids []int64) int64 {
			exec(t, s, "UPDATE events SET actor_id = 4 WHERE id = ?", ids[0])
			return ids[0]
		}, "as the first event"},
		{"its hash erased", func(t *testing.T, s *models.Store, ids []int64) int64 {
			exec(t, s, "UPDATE events SET hash = '' WHERE id = ?", mid(ids))
			return mid(ids)
		}, "has no hash"},
		{"a row deleted", func(t *testing.T, s *models.Store, ids []int64) int64 {
			exec(t, s, "DELETE FROM events WHERE id = ?", mid(ids))
			return ids[len(ids)/2+1]
		}, "the event before it, "},
		{"the first row deleted", func(t *testing.T, s *models.Store, ids []int64) int64 {
			exec(t, s, "DELETE FROM events WHERE id = ?", ids[0])
			return ids[1]
		}, "as the first event"},
		{"a row inserted at the end", func(t *testing.T, s *models.Store, ids []int64) int64 {
			last := ids[len(ids)-1]
			exec(t, s, `INSERT INTO events (id, topic, type, actor_id, payload, created_at, hash)
				VALUES (?, 'measures', 'measure.created', 3, '{}', ?, ?)`, last+1, time.Now().UTC(), strings.Repeat("ab", 32))
			return last + 1
		}, "does not match"},
		{"a row inserted in a gap, its hash forged", func(t *testing.T, s *models.Store, ids []int64) int64 {
			// Remove an event and put another in its place, chained
			// properly after the one before: the event after it breaks.
			ctx := context.Background()
			at := mid(ids)
			var prev models.Event
			if err := s.Read(ctx).Where("id < ?", at).Order("id DESC").First(&prev).Error; err != nil {
				t.Fatal(err)
			}
			exec(t, s, "DELETE FROM events WHERE id = ?", at)
			forged := models.Event{ID: at, Topic: "measures", Type: "measure.created", Payload: `{"title":"Fausse"}`, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
			forged.Hash = models.ChainHash(prev.Hash, &forged)
			exec(t, s, `INSERT INTO events (id, topic, type, payload, created_at, hash) VALUES (?, ?, ?, ?, ?, ?)`,
				forged.ID, forged.Topic, forged.Type, forged.Payload, forged.CreatedAt, forged.Hash)
			return ids[len(ids)/2+1]
		}, "does not match"},
		{"the end cut off after a verification", func(t *testing.T, s *models.Store, ids []int64) int64 {
			if _, err := s.VerifyAuditChain(context.Background()); err != nil {
				t.Fatal(err)
			}
			exec(t, s, "DELETE FROM events WHERE id >= ?", ids[len(ids)-3])
			return ids[len(ids)-1]
		}, "deleted from the end"},
		{"the log rewritten and chained again after a verification", func(t *testing.T, s *models.Store, ids []int64) int64 {
			ctx := context.Background()
			if _, err := s.VerifyAuditChain(ctx); err != nil {
				t.Fatal(err)
			}
			exec(t, s, "UPDATE events SET payload = REPLACE(payload, 'Budget', 'Budgot') WHERE id = ?", ids[3])
			var rows []models.Event
			if err := s.Read(ctx).Order("id").Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			prev := ""
			for _, r := range rows {
				r.Hash = models.ChainHash(prev, &r)
				exec(t, s, "UPDATE events SET hash = ? WHERE id = ?", r.Hash, r.ID)
				prev = r.Hash
			}
			return ids[len(ids)-1]
		}, "rewritten"},
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					s := storetest.Open(t, engine)
					ids := chainFixture(t, s, 20)
					want := tc.do(t, s, ids)
					v := check(t, s)
					if v.OK || v.BadEventID != want {
						t.Fatalf("named event %d (%q), want %d", v.BadEventID, v.Problem, want)
					}
					if !strings.HasPrefix(v.Problem, fmt.Sprintf("event %d: ", want)) || !strings.Contains(v.Problem, tc.want) {
						t.Errorf("problem %q, want it to start with event %d and say %q", v.Problem, want, tc.want)
					}
				})
			}
		})
	}
}

// Account erasure rewrites names and emails in payloads, at any depth,
// and re-encodes them: the chain holds.
func TestAuditChain_ErasureKeepsTheChain(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			chainFixture(t, s, 12)
			if _, err := s.VerifyAuditChain(ctx); err != nil {
				t.Fatal(err)
			}
			exec(t, s, "UPDATE events SET payload = REPLACE(payload, 'Alice Benali', 'Personne effacée 3')")
			exec(t, s, "UPDATE events SET payload = REPLACE(REPLACE(payload, 'karim@example.ma', 'erased-5@invalid'), '\"Karim B.\"', '\"Personne effacée 5\"')")
			// Re-encoded with other key order and spacing, as erasure's
			// rewrite may do it.
			exec(t, s, `UPDATE events SET payload = REPLACE(payload, '{"id":3,"name":', '{ "name" :') WHERE payload LIKE '%"reviewer":{"id":3,%'`)
			exec(t, s, `UPDATE events SET payload = REPLACE(payload, '"name" :"Personne effacée 3"}', '"name" :"Personne effacée 3", "id": 3}')`)
			var changed int64
			s.Read(ctx).Table("events").Where("payload LIKE ?", `%"name" :"Personne effacée 3", "id": 3}%`).Count(&changed)
			if changed == 0 {
				t.Fatal("the fixture's payloads were not rewritten")
			}
			if v := check(t, s); !v.OK {
				t.Fatalf("names and emails rewritten: %s", v.Problem)
			}
			// Anything else in the same payloads is covered.
			exec(t, s, `UPDATE events SET payload = REPLACE(payload, '"id": 3}', '"id": 4}')`)
			if v := check(t, s); v.OK {
				t.Fatal("a changed id inside a payload went unnoticed")
			}
		})
	}
}

func TestChainPayload(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"title":"Budget","n":1.50}`, `{"title":"Budget","n":1.50}`}, // nothing personal: as stored
		{`{"name":"Alice","id":3}`, `{"id":3,"name":""}`},
		{`{"b":{"email":"a@b.ma","x":[{"name":"C","n":2.0}]},"a":true}`, `{"a":true,"b":{"email":"","x":[{"n":2.0,"name":""}]}}`},
		{`{"changes":{"name":{"from":"A","to":"B"}},"user_id":5}`, `{"changes":{"name":""},"user_id":5}`},
		{`{"body":"Merci @[Nadia B.](user:7) !","id":9}`, `{"body":"Merci @[](user:7) !","id":9}`},
		{`{"list":["name"],"t":"x"}`, `{"list":["name"],"t":"x"}`}, // a value, not a key
		{`not json @`, `not json @`},
	} {
		if got := string(models.ChainPayload(tc.in)); got != tc.want {
			t.Errorf("ChainPayload(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	a := models.Event{ID: 1, Topic: "t", Type: "x", Payload: `{"name":"A","id":1}`, CreatedAt: time.Unix(1, 1500)}
	b := a
	b.Payload = `{ "id": 1, "name": "Personne effacée" }`
	if models.ChainHash("", &a) != models.ChainHash("", &b) {
		t.Error("a rewritten name changes the hash")
	}
	b.CreatedAt = time.Unix(1, 999) // microsecond 0, not 1
	if models.ChainHash("", &a) == models.ChainHash("", &b) {
		t.Error("a different microsecond keeps the hash")
	}
	if models.ChainHash("", &a) == models.ChainHash(models.ChainHash("", &a), &a) {
		t.Error("the previous hash is not covered")
	}
}

// Databases from before the chain get their hashes once, at start; a hash
// erased afterwards is reported, not silently written again.
func TestAuditChain_Backfill(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			opts := storetest.Options(t, engine)
			s, err := models.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			ids := chainFixture(t, s, 40)
			exec(t, s, "UPDATE events SET hash = ''")
			exec(t, s, "UPDATE audit_chain SET backfilled = ?", false)
			s.Close()
			if s, err = models.Open(ctx, opts); err != nil {
				t.Fatal(err)
			}
			if v := check(t, s); !v.OK || v.Events != int64(len(ids)) {
				t.Fatalf("after the backfill: %+v", v)
			}
			exec(t, s, "UPDATE events SET hash = '' WHERE id >= ?", ids[30])
			s.Close()
			if s, err = models.Open(ctx, opts); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if v := check(t, s); v.OK || v.BadEventID != ids[30] {
				t.Fatalf("erased hashes after the backfill: %+v", v)
			}
		})
	}
}

// Writers on two instances (PostgreSQL) or many goroutines (SQLite's one
// writer) keep one valid chain.
func TestAuditChain_ConcurrentWriters(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			opts := storetest.Options(t, engine)
			stores := make([]*models.Store, 2)
			for i := range stores {
				s, err := models.Open(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				stores[i] = s
			}
			if engine == models.SQLite {
				stores = stores[:1] // one writer per file
			}
			const writers, rounds = 8, 15
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					s := stores[w%len(stores)]
					for r := 0; r < rounds; r++ {
						err := s.Write(ctx, func(tx *models.Tx) error {
							if r%4 == 3 {
								evs := make([]models.Event, 3)
								for k := range evs {
									evs[k], _ = tx.NewEvent(models.UserTopic(int64(w+1)), models.EventNotificationCreated, nil, 0, int64(w+1), map[string]any{"k": k})
								}
								return tx.EmitAll(evs)
							}
							_, err := tx.Emit(models.MeasureTopic(int64(w+1)), "measure.updated", nil, int64(w+1), 0, map[string]any{"w": w, "r": r})
							if err == nil && r%2 == 0 {
								_, err = tx.Emit(models.MeasureTopic(int64(w+1)), "measure.updated", nil, int64(w+1), 0, map[string]any{"w": w, "r": r, "second": true})
							}
							if err == nil && r%5 == 4 {
								return fmt.Errorf("rolled back on purpose") // leaves a gap on PostgreSQL
							}
							return err
						})
						if err != nil && !strings.Contains(err.Error(), "on purpose") {
							errs <- err
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
			var n int64
			stores[0].Read(ctx).Table("events").Count(&n)
			v := check(t, stores[len(stores)-1])
			if !v.OK || v.Events != n || n == 0 {
				t.Fatalf("after concurrent writers: %d rows, %+v", n, v)
			}
		})
	}
}

// The real erasure (erasure.go) rewrites a person's name, address and
// mentions in old events: the chain still holds, and still covers the rest.
func TestAuditChain_AccountErasure(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			orgs, err := s.Organizations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var apebi int64
			for _, o := range orgs {
				if o.Slug == "apebi" {
					apebi = o.ID
				}
			}
			now := time.Now().UTC()
			mk := func(name, email, role string, org *int64) *models.User {
				u := &models.User{Email: email, Name: name, Role: role, Status: models.StatusActive, OrganizationID: org, Locale: "fr", CreatedAt: now, UpdatedAt: now}
				if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
					t.Fatal(err)
				}
				return u
			}
			admin := mk("Admin Pacte", "admin@example.ma", models.RoleAdmin, nil)
			nadia := mk("Nadia Alaoui", "nadia@apebi.ma", models.RoleMember, &apebi)
			karim := mk("Karim Tazi", "karim@apebi.ma", models.RoleMember, &apebi)
			m, err := s.CreateMeasure(ctx, nadia, models.NewMeasure{Title: "Un cloud souverain", Summary: "Héberger les données publiques.",
				Body: "Le texte de la mesure.", Pillar: "enablers", Axis: "cloud_computing"})
			if err != nil {
				t.Fatal(err)
			}
			renamed := "Nadia B. Alaoui"
			if nadia, err = s.UpdateProfile(ctx, nadia, models.ProfileChange{Name: &renamed}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateComment(ctx, karim, m.ID, models.NewComment{Body: fmt.Sprintf("Merci @[%s](user:%d) pour ce texte.", renamed, nadia.ID)}); err != nil {
				t.Fatal(err)
			}
			if v := check(t, s); !v.OK {
				t.Fatalf("before erasure: %s", v.Problem)
			}
			if err := s.EraseUser(ctx, admin, nadia.ID); err != nil {
				t.Fatal(err)
			}
			var left int64
			s.Read(ctx).Table("events").Where("payload LIKE ? OR payload LIKE ?", "%Nadia%", "%nadia@%").Count(&left)
			if left != 0 {
				t.Fatalf("%d events still name the erased person", left)
			}
			if v := check(t, s); !v.OK {
				t.Fatalf("after erasure: %s", v.Problem)
			}
			exec(t, s, "UPDATE events SET payload = REPLACE(payload, 'pour ce texte', 'contre ce texte') WHERE type = 'comment.created'")
			if v := check(t, s); v.OK {
				t.Fatal("a changed comment text went unnoticed after erasure")
			}
		})
	}
}
