package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// TestFanOut_CutShortThenRunAgain: a fan-out is written in chunks; one cut
// short after some of them (a crash before the job completed) and run
// again tells each follower once, with one bell each.
func TestFanOut_CutShortThenRunAgain(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		author := app.User(models.RoleMember, "apebi")
		id := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Quiet: true})
		const followers = 250 // three chunks
		for i := 0; i < followers; i++ {
			u := app.User(models.RoleMember, "mnc")
			if err := app.Store.SetFollowing(ctx, u, id, true); err != nil {
				t.Fatal(err)
			}
		}
		// The event, written as a fixture: no job of its own runs it.
		var evID int64
		err := app.Store.Write(ctx, func(tx *models.Tx) error {
			return tx.Raw(`INSERT INTO events (topic, type, actor_id, measure_id, payload, created_at)
				VALUES (?, 'measure.published', ?, ?, '{"note":"Publiée."}', ?) RETURNING id`,
				models.MeasureTopic(id), author.ID, id, time.Now().UTC().Add(time.Second)).Scan(&evID).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string) int64 {
			t.Helper()
			var n int64
			if err := app.Store.Read(ctx).Raw(q, evID).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		crash := errors.New("the instance died before the job completed")
		if err := app.Store.FanOut(ctx, evID, func(*models.Tx) error { return crash }); !errors.Is(err, crash) {
			t.Fatalf("cut short: %v", err)
		}
		first := count("SELECT COUNT(*) FROM notifications WHERE event_id = ?")
		if first == 0 || first >= followers {
			t.Fatalf("after the cut: %d notifications, want some but not all of %d", first, followers)
		}
		if err := app.Store.FanOut(ctx, evID, func(*models.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n := count("SELECT COUNT(*) FROM notifications WHERE event_id = ?"); n != followers {
			t.Fatalf("after running again: %d notifications, want %d", n, followers)
		}
		if n := count("SELECT COUNT(DISTINCT user_id) FROM notifications WHERE event_id = ?"); n != followers {
			t.Fatalf("%d people told, want %d", n, followers)
		}
		bells := count(`SELECT COUNT(*) FROM events WHERE type = 'notification.created' AND subject_user_id IN
			(SELECT user_id FROM notifications WHERE event_id = ?)`)
		if bells != followers {
			t.Fatalf("%d bells, want %d", bells, followers)
		}
	})
}
