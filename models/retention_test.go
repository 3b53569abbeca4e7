package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"pacte/collab"
	"pacte/models"
	"pacte/models/storetest"
)

// fakeClock is a store clock a test sets by hand; models tests run no
// background goroutine that reads it.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// retentionCase is one kind of row: insert makes one, at times relative to
// t0, and returns the statement that finds it again; due is when it
// becomes removable (it must still be there at due itself).
type retentionCase struct {
	name   string
	insert func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, event int64) (table, where string, args []any)
	due    func(t0 time.Time) time.Time
}

func TestRetention_RemovesEachKindExactlyWhenDue(t *testing.T) {
	const day = 24 * time.Hour
	policy := models.DefaultRetentionPolicy()
	exec := func(t *testing.T, tx *models.Tx, q string, args ...any) {
		t.Helper()
		if err := tx.Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	seq := 0
	token := func() string { seq++; return fmt.Sprintf("hash-%d", seq) }
	cases := []retentionCase{
		{"session idle", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			id := token()
			exec(t, tx, "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, 'x', ?, ?)", id, u.ID, t0, t0.Add(time.Hour))
			return "sessions", "id = ?", []any{id}
		}, func(t0 time.Time) time.Time { return t0.Add(time.Hour + models.DefaultSessionIdle) }},
		{"session absolute", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			id := token()
			// Seen right at the end of its life: only the absolute limit applies.
			exec(t, tx, "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, 'x', ?, ?)", id, u.ID, t0, t0.Add(models.DefaultSessionAbsolute))
			return "sessions", "id = ?", []any{id}
		}, func(t0 time.Time) time.Time { return t0.Add(models.DefaultSessionAbsolute) }},
		{"invitation used", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			h := token()
			exec(t, tx, "INSERT INTO invitations (token_hash, purpose, user_id, expires_at, used_at, created_at) VALUES (?, 'invite', ?, ?, ?, ?)",
				h, u.ID, t0.Add(7*day), t0, t0.Add(-day))
			return "invitations", "token_hash = ?", []any{h}
		}, func(t0 time.Time) time.Time { return t0.Add(policy.Tokens) }},
		{"invitation expired unused", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			h := token()
			exec(t, tx, "INSERT INTO invitations (token_hash, purpose, user_id, expires_at, created_at) VALUES (?, 'invite', ?, ?, ?)",
				h, u.ID, t0, t0.Add(-7*day))
			return "invitations", "token_hash = ?", []any{h}
		}, func(t0 time.Time) time.Time { return t0.Add(policy.Tokens) }},
		{"reset link used", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			h := token()
			exec(t, tx, "INSERT INTO account_links (purpose, user_id, token_hash, expires_at, used_at, created_at) VALUES ('reset', ?, ?, ?, ?, ?)",
				u.ID, h, t0.Add(time.Hour), t0, t0.Add(-time.Minute))
			return "account_links", "token_hash = ?", []any{h}
		}, func(t0 time.Time) time.Time { return t0.Add(policy.Tokens) }},
		{"email link expired unused", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			h := token()
			exec(t, tx, "INSERT INTO account_links (purpose, user_id, token_hash, new_email, expires_at, created_at) VALUES ('email', ?, ?, 'new@example.ma', ?, ?)",
				u.ID, h, t0, t0.Add(-day))
			return "account_links", "token_hash = ?", []any{h}
		}, func(t0 time.Time) time.Time { return t0.Add(policy.Tokens) }},
		{"notification read", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, event int64) (string, string, []any) {
			var ids []int64
			if err := tx.Raw("INSERT INTO notifications (user_id, type, event_id, read_at, created_at) VALUES (?, 'comment', ?, ?, ?) RETURNING id",
				u.ID, event, t0, t0.Add(-400*day)).Scan(&ids).Error; err != nil {
				t.Fatal(err)
			}
			return "notifications", "id = ?", []any{ids[0]}
		}, func(t0 time.Time) time.Time { return t0.Add(policy.Notifications) }},
		{"sign-in failure", func(t *testing.T, tx *models.Tx, t0 time.Time, _ *models.User, _ int64) (string, string, []any) {
			k := token()
			exec(t, tx, "INSERT INTO login_failures (key, at) VALUES (?, ?)", k, t0)
			return "login_failures", "key = ?", []any{k}
		}, func(t0 time.Time) time.Time { return t0.Add(day) }},
		{"reset request", func(t *testing.T, tx *models.Tx, t0 time.Time, _ *models.User, _ int64) (string, string, []any) {
			k := token()
			exec(t, tx, "INSERT INTO reset_requests (email, client, created_at) VALUES (?, '192.0.2.1', ?)", k, t0)
			return "reset_requests", "email = ?", []any{k}
		}, func(t0 time.Time) time.Time { return t0.Add(day) }},
		{"half sign-in", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			h := token()
			exec(t, tx, "INSERT INTO pending_logins (id_hash, user_id, expires_at) VALUES (?, ?, ?)", h, u.ID, t0)
			return "pending_logins", "id_hash = ?", []any{h}
		}, func(t0 time.Time) time.Time { return t0 }},
		{"forgotten device", func(t *testing.T, tx *models.Tx, t0 time.Time, u *models.User, _ int64) (string, string, []any) {
			h := token()
			exec(t, tx, "INSERT INTO login_devices (id_hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)", h, u.ID, t0.Add(-day), t0)
			return "login_devices", "id_hash = ?", []any{h}
		}, func(t0 time.Time) time.Time { return t0.Add(models.DeviceLifetime) }},
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "texte", models.StatusDraft)
			s := f.s
			clock := &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			s.Now = clock.Now
			var event int64
			if err := s.Write(ctx, func(tx *models.Tx) error {
				ev, err := tx.Emit(models.UserTopic(f.alice.ID), "retention.test", nil, 0, f.alice.ID, map[string]any{})
				event = ev.ID
				return err
			}); err != nil {
				t.Fatal(err)
			}
			// Kept whatever its age: an unread notification.
			var unread int64
			if err := s.Write(ctx, func(tx *models.Tx) error {
				return tx.Raw("INSERT INTO notifications (user_id, type, event_id, created_at) VALUES (?, 'comment', ?, ?) RETURNING id",
					f.bob.ID, event, clock.now.Add(-3*365*day)).Scan(&unread).Error
			}); err != nil {
				t.Fatal(err)
			}
			var events int64
			s.Read(ctx).Raw("SELECT COUNT(*) FROM events").Scan(&events)
			for _, c := range cases {
				// Each case starts from its own t0, after the previous
				// one's clock: its row is the only one of its kind.
				t0 := clock.now.Add(time.Hour)
				clock.now = t0
				var table, where string
				var args []any
				if err := s.Write(ctx, func(tx *models.Tx) error {
					table, where, args = c.insert(t, tx, t0, f.alice, event)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				count := func() int64 {
					var n int64
					if err := s.Read(ctx).Table(table).Where(where, args...).Count(&n).Error; err != nil {
						t.Fatal(err)
					}
					return n
				}
				due := c.due(t0)
				for _, step := range []struct {
					at   time.Time
					want int64
				}{{due.Add(-time.Second), 1}, {due, 1}, {due.Add(time.Second), 0}} {
					clock.now = step.at
					if _, err := s.Retain(ctx, policy); err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					if got := count(); got != step.want {
						t.Fatalf("%s at due%+v: %d rows, want %d", c.name, step.at.Sub(due), got, step.want)
					}
				}
			}
			var n int64
			s.Read(ctx).Raw("SELECT COUNT(*) FROM notifications WHERE id = ?", unread).Scan(&n)
			if n != 1 {
				t.Error("an unread notification was removed")
			}
			var after int64
			s.Read(ctx).Raw("SELECT COUNT(*) FROM events").Scan(&after)
			if after != events {
				t.Errorf("events %d before, %d after: the audit trail must not shrink", events, after)
			}
		})
	}
}

// TestRetention_SessionLifetimesAreSettings: with lifetimes set on the store, a session past
// either one is refused and removed, at the same boundary.
func TestRetention_SessionLifetimesAreSettings(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			opts := storetest.Options(t, engine)
			opts.Sessions = models.SessionLifetimes{Idle: 2 * time.Minute, Absolute: time.Hour}
			s, err := models.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			clock := &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			s.Now = clock.Now
			u := &models.User{Email: "sess@example.ma", Name: "S", Role: models.RoleAdmin, Status: models.StatusActive, Locale: "fr",
				CreatedAt: clock.now, UpdatedAt: clock.now}
			if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
				t.Fatal(err)
			}
			raw, sess, err := s.CreateSession(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			clock.now = clock.now.Add(2 * time.Minute) // exactly idle: still alive
			if live, _ := s.ExistingSessions(ctx, []string{sess.ID}); !live[sess.ID] {
				t.Fatal("a session exactly at its idle timeout is ended on the websocket")
			}
			if r, _ := s.Retain(ctx, models.DefaultRetentionPolicy()); r.Sessions != 0 {
				t.Fatal("a session exactly at its idle timeout was removed")
			}
			if _, _, err := s.SessionUser(ctx, raw); err != nil {
				t.Fatalf("a session exactly at its idle timeout: %v", err)
			}
			clock.now = clock.now.Add(2*time.Minute + time.Second)
			if live, _ := s.ExistingSessions(ctx, []string{sess.ID}); live[sess.ID] {
				t.Fatal("an idle session is still alive on the websocket")
			}
			if r, _ := s.Retain(ctx, models.DefaultRetentionPolicy()); r.Sessions != 1 {
				t.Fatalf("idle session: %d removed", r.Sessions)
			}
			if _, _, err := s.SessionUser(ctx, raw); models.ErrorKind(err) != models.EUnauthorized {
				t.Fatalf("an idle session: %v", err)
			}
			if _, err := models.Open(ctx, models.Options{DataDir: t.TempDir(), Sessions: models.SessionLifetimes{Idle: 2 * time.Hour, Absolute: time.Hour}}); err == nil {
				t.Error("an idle timeout longer than the absolute lifetime was accepted")
			}
		})
	}
}

// push applies n one-letter updates from the measure's current version.
func (f *collabFixture) push(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		text, v := f.doc(t)
		if _, err := f.s.PushCollab(ctx, f.alice, f.measure, v, []collab.Update{change("a", text, text+"x")}); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *collabFixture) fold(t *testing.T) {
	t.Helper()
	if err := f.s.Write(context.Background(), func(tx *models.Tx) error { _, _, err := tx.FoldCollab(f.measure); return err }); err != nil {
		t.Fatal(err)
	}
}

func TestRetention_CompactsCollabLog(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "début ", models.StatusDraft)
			policy := models.DefaultRetentionPolicy()
			policy.CollabKeep = 5
			policy.Batch = 7 // several batches per measure
			f.push(t, 30)
			// No revision saved since the updates: nothing is compacted.
			if r, err := f.s.Retain(ctx, policy); err != nil || r.CollabUpdates != 0 {
				t.Fatalf("before a revision: %+v %v", r, err)
			}
			f.fold(t) // revision at version 30
			f.push(t, 10)
			r, err := f.s.Retain(ctx, policy)
			if err != nil {
				t.Fatal(err)
			}
			floor, err := f.s.CollabFloor(ctx, f.measure)
			if err != nil {
				t.Fatal(err)
			}
			if r.CollabUpdates != 25 || floor != 25 {
				t.Fatalf("compacted %d, floor %d; want 25, 25", r.CollabUpdates, floor)
			}
			var versions []int64
			f.s.Read(ctx).Raw("SELECT version FROM collab_updates WHERE measure_id = ? ORDER BY version", f.measure).Scan(&versions)
			if len(versions) != 15 || versions[0] != 26 || versions[14] != 40 {
				t.Fatalf("kept versions %v, want 26…40", versions)
			}
			// Running again removes nothing more.
			if r, _ := f.s.Retain(ctx, policy); r.CollabUpdates != 0 {
				t.Fatalf("second run compacted %d", r.CollabUpdates)
			}
			text, version := f.doc(t)
			if version != 40 || text != "début "+strings.Repeat("x", 40) {
				t.Fatalf("text after compaction: %q at %d", text, version)
			}
			// Pulls: at the floor, everything after it; below it, gone.
			log, err := f.s.CollabUpdatesSince(ctx, f.measure, floor)
			if err != nil || len(log.Updates) != 15 || log.Version != 40 {
				t.Fatalf("pull at the floor: %d updates to %d, %v", len(log.Updates), log.Version, err)
			}
			if _, err := f.s.CollabUpdatesSince(ctx, f.measure, floor-1); errCode(err) != models.CollabGone {
				t.Fatalf("pull below the floor: %v", err)
			}
			if _, err := f.s.CollabUpdatesSince(ctx, f.measure, 0); errCode(err) != models.CollabGone {
				t.Fatalf("pull from the start: %v", err)
			}
			// Pushes: below the floor, gone at once; at the floor, stale
			// (a pull brings it up to date); at the current version, taken.
			if _, err := f.s.PushCollab(ctx, f.bob, f.measure, floor-1, []collab.Update{raw("b", `[1]`)}); errCode(err) != models.CollabGone {
				t.Fatalf("push below the floor: %v", err)
			}
			if _, err := f.s.PushCollab(ctx, f.bob, f.measure, floor, []collab.Update{raw("b", `[1]`)}); errCode(err) != models.CollabStale {
				t.Fatalf("push at the floor: %v", err)
			}
			// A client that joins now starts from the current text and
			// carries on: the text is the measure's, not a replay.
			f.push(t, 1)
			if text, version := f.doc(t); version != 41 || text != "début "+strings.Repeat("x", 41) {
				t.Fatalf("after compaction and a push: %q at %d", text, version)
			}
			// The next revision folds only what followed the last one, and
			// names its authors from the kept updates.
			f.fold(t)
			var authors string
			f.s.Read(ctx).Raw("SELECT authors FROM revisions WHERE measure_id = ? ORDER BY number DESC LIMIT 1", f.measure).Scan(&authors)
			if authors != fmt.Sprintf("[%d]", f.alice.ID) {
				t.Fatalf("authors of the revision after compaction: %s", authors)
			}
			// Keep 0: the log is empty up to the last revision.
			policy.CollabKeep = 0
			if _, err := f.s.Retain(ctx, policy); err != nil {
				t.Fatal(err)
			}
			if floor, _ := f.s.CollabFloor(ctx, f.measure); floor != 41 {
				t.Fatalf("floor with keep 0: %d", floor)
			}
			if log, err := f.s.CollabUpdatesSince(ctx, f.measure, 41); err != nil || len(log.Updates) != 0 {
				t.Fatalf("pull at the current version, nothing kept: %v %v", log, err)
			}
		})
	}
}

// TestRetention_CompactionUnderConcurrentPushes: editors push while the
// log is compacted; no push is lost or refused for anything but stale, and
// the kept log replays from the last revision to the text.
func TestRetention_CompactionUnderConcurrentPushes(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCollabFixture(t, engine, "", models.StatusDraft)
			policy := models.DefaultRetentionPolicy()
			policy.CollabKeep = 3
			done := make(chan error, 2)
			for _, u := range []*models.User{f.alice, f.bob} {
				go func() {
					accepted := 0
					for accepted < 40 {
						text, v, err := f.s.CollabDoc(ctx, f.measure)
						if err != nil {
							done <- err
							return
						}
						_, err = f.s.PushCollab(ctx, u, f.measure, v, []collab.Update{change(u.Name, text, text+u.Name[:1])})
						switch errCode(err) {
						case "":
							accepted++
						case models.CollabStale, models.CollabGone:
						default:
							done <- err
							return
						}
					}
					done <- nil
				}()
			}
			finished := 0
			for finished < 2 {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					finished++
				default:
					f.fold(t)
					if _, err := f.s.Retain(ctx, policy); err != nil {
						t.Fatal(err)
					}
				}
			}
			f.fold(t)
			if _, err := f.s.Retain(ctx, policy); err != nil {
				t.Fatal(err)
			}
			text, version := f.doc(t)
			if version != 80 || len(text) != 80 {
				t.Fatalf("version %d, %d characters; want 80 of each", version, len(text))
			}
			floor, _ := f.s.CollabFloor(ctx, f.measure)
			if floor != 77 {
				t.Fatalf("floor %d, want 77", floor)
			}
			var rev string
			f.s.Read(ctx).Raw("SELECT body FROM revisions WHERE measure_id = ? AND collab_version = ?", f.measure, 80).Scan(&rev)
			if rev != text {
				t.Fatalf("the last revision is not the text")
			}
		})
	}
}
