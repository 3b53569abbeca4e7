package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// newInstance starts one more Pacte instance on an existing PostgreSQL
// database, as a second machine behind the load balancer would.
func newInstance(t *testing.T, databaseURL string) *servertest.App {
	t.Helper()
	return clockedInstance(t, databaseURL, &servertest.Clock{})
}

// TestWS_TwoInstances: two instances on one PostgreSQL. A change made
// through either reaches the clients of both, in order; when an instance's
// listener connection is killed, the events written meanwhile still arrive
// once it reconnects; presence is shared.
func TestWS_TwoInstances(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresSchema(t)
	a := newInstance(t, url)
	b := newInstance(t, url)
	author := a.User(models.RoleMember, "apebi")
	reader := a.User(models.RoleMember, "ausim")
	// The reader co-edits (only editors are shown editing in presence).
	m := a.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true, Editors: []*models.User{reader}})
	topic := models.MeasureTopic(m)

	wa := dialWS(t, a, a.Login(reader))
	wa.subscribeLive(topic)
	wb := dialWS(t, b, b.Login(reader))
	wb.subscribeLive(topic)

	t.Run("CommentThroughB", func(t *testing.T) {
		var out struct {
			ID int64 `json:"id"`
		}
		cb := b.Login(author)
		if st := cb.Do("POST", fmt.Sprintf("/api/v1/measures/%d/comments", m), map[string]any{"body": "Posté sur B"}, &out); st != 201 {
			t.Fatalf("comment through B: %d", st)
		}
		got := wa.waitFor(func(msg wsMsg) bool { return msg.Type == "event" && msg.Event == "comment.created" }, "the comment on A")
		if got.Actor == nil || got.Actor.ID != author.ID {
			t.Fatalf("on A: %s", got.Raw)
		}
		wb.waitFor(func(msg wsMsg) bool { return msg.ID == got.ID }, "the comment on B")
	})

	t.Run("InterleavedWritersInOrder", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, app := range []*servertest.App{a, b} {
			wg.Add(1)
			go func(app *servertest.App) {
				defer wg.Done()
				for i := 0; i < 40; i++ {
					if _, err := emitErr(app.Store, topic, "comment.created", author, m, map[string]any{"i": i}); err != nil {
						t.Error(err)
						return
					}
				}
			}(app)
		}
		wg.Wait()
		ga, gb := wa.events(topic, 80), wb.events(topic, 80)
		for i := 1; i < 80; i++ {
			if ga[i].ID <= ga[i-1].ID || gb[i].ID != ga[i].ID {
				t.Fatalf("A got %v\nB got %v", ids(ga), ids(gb))
			}
		}
	})

	t.Run("ListenerKilled", func(t *testing.T) {
		hub := a.Server.LiveHub()
		hub.SetEventPoll(0)                 // only the listener can tell A about B's events
		hub.SetListenerBackoff(time.Second) // so the events below are written while it is away
		pid := hub.ListenerPID()
		if pid == 0 {
			t.Fatal("A has no listener")
		}
		if _, err := b.Store.SQL().Exec("SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "A's listener to notice", func() bool { return hub.ListenerPID() != pid })
		var want []int64
		for i := 0; i < 20; i++ {
			want = append(want, emit(t, b.Store, topic, "comment.created", author, m, map[string]any{"while": i}).ID)
		}
		if hub.ListenerPID() != 0 {
			t.Log("A reconnected before the writes finished; they are caught up all the same")
		}
		got := wa.events(topic, 20)
		if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
			t.Fatalf("A got %v, want %v", ids(got), want)
		}
		if np := hub.ListenerPID(); np == 0 || np == pid {
			t.Fatalf("listener pid %d after reconnecting (was %d)", np, pid)
		}
		wb.events(topic, 20)
	})

	t.Run("PresenceShared", func(t *testing.T) {
		viewer := a.User(models.RoleMember, "mnc")
		wv := dialWS(t, a, a.Login(viewer))
		wv.subscribe(topic)
		wv.send(map[string]any{"type": "presence", "topic": topic, "state": "viewing"})
		wb.send(map[string]any{"type": "presence", "topic": topic, "state": "editing"})
		both := sortedNames(viewer.Name+":viewing", reader.Name+":editing")
		wb.waitPresence(topic, both)
		wa.waitPresence(topic, both)
		start := time.Now()
		wv.Conn.Close()
		wb.waitPresence(topic, reader.Name+":editing")
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("a tab closed on A stayed %s on B", d)
		}
	})
}
