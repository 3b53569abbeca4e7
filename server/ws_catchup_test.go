package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server"
	"pacte/server/servertest"
)

// TestWS_CatchUpDuringConcurrentWrites: clients subscribe with `after`
// while several writers commit events, and reconnect half-way; each gets
// every event after its id, in order, with no gap and no duplicate.
func TestWS_CatchUpDuringConcurrentWrites(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testCatchUp(t, engine)
		})
	}
}

func testCatchUp(t *testing.T, engine string) {
	app := servertest.New(t, engine)
	author := app.User(models.RoleMember, "apebi")
	m := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	noise := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)
	var before []int64
	for i := 0; i < 40; i++ {
		before = append(before, emit(t, app.Store, topic, "comment.created", author, m, map[string]any{"i": i}).ID)
	}

	const writers, perWriter = 6, 40
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			for i := 0; i < perWriter; i++ {
				err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
					tp, id := topic, m
					if i%4 == 3 {
						tp, id = models.MeasureTopic(noise), noise
					}
					if _, err := tx.Emit(tp, "comment.created", author, id, 0, map[string]any{"w": w, "i": i}); err != nil {
						return err
					}
					// Hold the transaction open a little after drawing the id,
					// as a real write does: ids must still become visible in order.
					time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
					return nil
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}(w)
	}

	type result struct {
		after int64
		got   []int64
	}
	c := app.Login(author)
	results := make([]result, 8)
	var cw sync.WaitGroup
	for i := range results {
		cw.Add(1)
		go func(i int) {
			defer cw.Done()
			time.Sleep(time.Duration(i*15) * time.Millisecond) // join at different points of the writing
			after := before[rand.IntN(len(before))]
			if i == 0 {
				after = 0
			}
			results[i].after = after
			var got []int64
			w := dialWS(t, app, c)
			w.subscribe(topic, after)
			last := after
			reconnected := i%2 == 1
			deadline := time.Now().Add(30 * time.Second)
			for {
				msg, ok := w.take(func(m wsMsg) bool { return m.Type == "event" || m.Type == "error" }, time.Until(deadline))
				if !ok {
					t.Errorf("client %d: stalled after %d events (read error %v)", i, len(got), w.readErr())
					break
				}
				if msg.Type == "error" {
					t.Errorf("client %d: %s", i, msg.Raw)
					break
				}
				got = append(got, msg.ID)
				last = msg.ID
				if msg.Data["marker"] == true {
					break
				}
				if !reconnected && len(got) == 60 {
					// Drop the connection and resume from the last id seen.
					reconnected = true
					w.Conn.Close()
					w = dialWS(t, app, c)
					w.subscribe(topic, last)
				}
			}
			results[i].got = got
		}(i)
	}
	close(start)
	wg.Wait()
	emit(t, app.Store, topic, "comment.created", author, m, map[string]any{"marker": true})
	cw.Wait()

	for i, r := range results {
		want := []int64{}
		cursor := r.after
		for {
			scan, err := app.Store.EventsAfter(context.Background(), topic, cursor, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range scan.Events {
				want = append(want, e.ID)
			}
			cursor = scan.Next
			if !scan.More {
				break
			}
		}
		if fmt.Sprint(r.got) != fmt.Sprint(want) {
			t.Errorf("client %d (after %d): got %d events, want %d\n got %v\nwant %v", i, r.after, len(r.got), len(want), r.got, want)
		}
	}
}

// TestWS_TooFarBehind: a client whose last id the log cannot serve is told
// so with the code web/src/live.js reloads the page on.
func TestWS_TooFarBehind(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	m := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)
	first := emit(t, app.Store, topic, "comment.created", author, m, map[string]any{})
	w := dialWS(t, app, app.Login(author))

	t.Run("AfterBeyondTheLog", func(t *testing.T) {
		w.subscribe(topic, first.ID+1000)
		msg := w.waitFor(func(m wsMsg) bool { return m.Type == "error" || m.Type == "subscribed" }, "answer")
		if msg.Type != "error" || msg.Code != "too_far_behind" || msg.Topic != topic {
			t.Fatalf("got %s", msg.Raw)
		}
	})
	t.Run("TooManyMissed", func(t *testing.T) {
		err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			for i := 0; i < server.WSMaxCatchUp; i++ {
				if _, err := tx.Emit(topic, "comment.created", author, m, 0, map[string]any{"i": i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w.subscribe(topic, 0) // WSMaxCatchUp+1 missed
		msg := w.waitFor(func(m wsMsg) bool { return m.Type == "error" || m.Type == "subscribed" }, "answer")
		if msg.Type != "error" || msg.Code != "too_far_behind" {
			t.Fatalf("got %s", msg.Raw)
		}
		// Exactly the limit is replayed.
		w.subscribe(topic, first.ID)
		evs := w.events(topic, server.WSMaxCatchUp)
		if evs[0].ID != first.ID+1 || evs[len(evs)-1].ID != first.ID+int64(server.WSMaxCatchUp) {
			t.Fatalf("replayed %d..%d", evs[0].ID, evs[len(evs)-1].ID)
		}
		w.waitFor(func(m wsMsg) bool { return m.Type == "subscribed" && m.LastID == first.ID+int64(server.WSMaxCatchUp) }, "subscribed")
	})
}
