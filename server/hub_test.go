package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// TestHub_IDsVisibleInOrder proves what the hub relies on: a reader that
// repeatedly reads "id > last seen" never skips an event, even while many
// writers commit concurrently and hold their transactions open after
// drawing an id. On PostgreSQL a plain serial would break this (id 10 can
// commit after id 11); Emit's transaction-scoped lock prevents it.
func TestHub_IDsVisibleInOrder(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			store := storetest.Open(t, engine)
			const writers, perWriter = 8, 40
			var wg sync.WaitGroup
			var writing atomic.Int32
			writing.Store(writers)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					defer writing.Add(-1)
					for i := 0; i < perWriter; i++ {
						err := store.Write(context.Background(), func(tx *models.Tx) error {
							if _, err := tx.Emit("measure:1", "comment.created", nil, 0, 0, map[string]int{"w": w, "i": i}); err != nil {
								return err
							}
							time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
							return nil
						})
						if err != nil {
							t.Errorf("writer %d: %v", w, err)
							return
						}
					}
				}(w)
			}
			// The reader: what the feeder does.
			var seen []int64
			last := int64(0)
			for {
				done := writing.Load() == 0
				scan, err := store.EventsAfter(context.Background(), "", last, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range scan.Events {
					seen = append(seen, e.ID)
				}
				last = scan.Next
				if done && !scan.More {
					break
				}
			}
			wg.Wait()
			all, err := store.EventsAfter(context.Background(), "", 0, 10000)
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Events) != writers*perWriter {
				t.Fatalf("%d events written, want %d", len(all.Events), writers*perWriter)
			}
			var want []int64
			for _, e := range all.Events {
				want = append(want, e.ID)
			}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Fatalf("the reader saw %d events, skipping some: ids became visible out of order", len(seen))
			}
		})
	}
}

// TestHub_LaterWriterWaitsForEarlier shows the mechanism on PostgreSQL: a
// transaction that has drawn an event id holds the lock until it commits,
// so a second writer cannot draw (let alone commit) a later id before it.
func TestHub_LaterWriterWaitsForEarlier(t *testing.T) {
	t.Parallel()
	store := storetest.Open(t, models.Postgres)
	emitted := make(chan int64)
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseFirst := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseFirst()
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- store.Write(context.Background(), func(tx *models.Tx) error {
			ev, err := tx.Emit("measure:1", "comment.created", nil, 0, 0, map[string]any{})
			if err != nil {
				close(emitted)
				return err
			}
			emitted <- ev.ID
			<-release
			return nil
		})
	}()
	first, ok := <-emitted
	if !ok {
		t.Fatal(<-firstDone)
	}
	secondID := make(chan int64, 1)
	go func() {
		var id int64
		err := store.Write(context.Background(), func(tx *models.Tx) error {
			ev, err := tx.Emit("measure:1", "comment.created", nil, 0, 0, map[string]any{})
			id = ev.ID
			return err
		})
		if err != nil {
			t.Error(err)
		}
		secondID <- id
	}()
	// The second writer is seen waiting on the advisory lock…
	db := store.SQL()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database()
			AND a.query LIKE '%pg_advisory_xact_lock%'`).Scan(&n)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case id := <-secondID:
			t.Fatalf("the second writer committed id %d while the first (id %d) was still open", id, first)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second writer never waited for the first one's lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// …and has committed nothing: the log still ends with the first id,
	// which is not even visible yet.
	if max, err := store.MaxEventID(context.Background()); err != nil || max >= first {
		t.Fatalf("max visible id %d (err %v) while id %d is uncommitted", max, err, first)
	}
	releaseFirst()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if second := <-secondID; second <= first {
		t.Fatalf("second id %d, first %d", second, first)
	}
}
