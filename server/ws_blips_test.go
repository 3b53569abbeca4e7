package server_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// TestWS_DatabaseBlipsLoseNoEvent: two instances on one PostgreSQL, 16
// writers commenting through B as fast as they can, a member subscribed on
// A, and eight times every database connection of both instances killed
// (pg_terminate_backend): every comment whose creation was acknowledged
// reaches the member as comment.created, once and in order, possibly after
// reconnecting with after= (a failed lookup must never move delivery on).
func TestWS_DatabaseBlipsLoseNoEvent(t *testing.T) {
	t.Parallel()
	var rnd [6]byte
	rand.Read(rnd[:])
	appName := "pacte-blip-" + hex.EncodeToString(rnd[:])
	url := storetest.NewPostgresSchema(t) + "&application_name=" + appName
	a := newInstance(t, url)
	b := newInstance(t, url)
	author := b.User(models.RoleMember, "apebi")
	reader := a.User(models.RoleMember, "ausim")
	m := a.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)

	killer, err := sql.Open("pgx", storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close()
	// Only this test's instances: their pools carry appName, their event
	// listeners their own name (hence the pids).
	kill := func() int {
		pids := []int64{a.Server.LiveHub().ListenerPID(), b.Server.LiveHub().ListenerPID()}
		var n int
		err := killer.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE (application_name = $1 OR pid = ANY($2)) AND pid <> pg_backend_pid()`, appName, pids).Scan(&n)
		if err != nil {
			t.Errorf("kill: %v", err)
		}
		return n
	}

	readerClient := a.Login(reader)
	w := dialWS(t, a, readerClient)
	w.subscribeLive(topic)

	const writers, perWriter = 16, 40
	var acked sync.Map // comment id → true
	var nAcked atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(30 * time.Second)
	for i := 0; i < writers; i++ {
		c := b.Login(author)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < perWriter && time.Now().Before(stop); j++ {
				var out struct {
					ID int64 `json:"id"`
				}
				if st := c.Do("POST", fmt.Sprintf("/api/v1/measures/%d/comments", m), map[string]any{"body": fmt.Sprintf("w%d c%d", i, j)}, &out); st == 201 {
					acked.Store(out.ID, true)
					nAcked.Add(1)
				}
			}
		}(i)
	}
	// Blips, while the writers write.
	killed := 0
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()
	const blips = 8
	for k := int64(1); k <= blips; k++ {
		after := writers * perWriter * k / (blips + 2)
		for nAcked.Load() < after && time.Now().Before(stop) {
			select {
			case <-writing:
			case <-time.After(5 * time.Millisecond):
			}
		}
		// As pages load on A, its pool holds several connections.
		var warm sync.WaitGroup
		for i := 0; i < 8; i++ {
			warm.Add(1)
			go func() {
				defer warm.Done()
				a.Store.SQL().Exec("SELECT pg_sleep(0.02)")
			}()
		}
		warm.Wait()
		killed += kill()
	}
	<-writing
	if killed == 0 {
		t.Fatal("no backend was terminated")
	}
	want := map[int64]bool{}
	acked.Range(func(k, _ any) bool { want[k.(int64)] = true; return true })
	if len(want) < 50 {
		t.Fatalf("only %d comments acknowledged", len(want))
	}
	t.Logf("%d comments acknowledged, %d backends terminated", len(want), killed)

	// Read until every acknowledged comment's event came, reconnecting
	// with after= whenever the server closes the connection.
	got := map[int64]bool{}
	gotWanted := 0
	var last int64
	reconnects := 0
	deadline := time.Now().Add(60 * time.Second)
	for gotWanted < len(want) {
		if time.Now().After(deadline) {
			var missing []int64
			for id := range want {
				if !got[id] {
					missing = append(missing, id)
				}
			}
			t.Fatalf("%d of %d acknowledged comments never reached the member (after %d reconnects): %v",
				len(missing), len(want), reconnects, missing)
		}
		// Once the writers are done, the events left come quickly.
		msg, ok := w.next(min(time.Until(deadline), 15*time.Second))
		if !ok {
			if w.readErr() == nil {
				deadline = time.Now() // nothing for a while: report
				continue
			}
			if reconnects++; reconnects > 20 {
				t.Fatalf("reconnected %d times", reconnects)
			}
			w = dialWS(t, a, readerClient)
			w.subscribe(topic, last)
			continue
		}
		if msg.Type != "event" || msg.Topic != topic {
			continue
		}
		if msg.ID <= last {
			t.Fatalf("event %d after %d: out of order or twice", msg.ID, last)
		}
		last = msg.ID
		if msg.Event != "comment.created" {
			continue
		}
		id, _ := msg.Data["comment_id"].(float64)
		if got[int64(id)] {
			t.Fatalf("comment %d delivered twice", int64(id))
		}
		got[int64(id)] = true
		if want[int64(id)] { // others were written but their answer was lost in a blip
			gotWanted++
		}
	}
}
