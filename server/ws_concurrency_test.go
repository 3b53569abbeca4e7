package server_test

import (
	"sync"
	"testing"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// TestWS_ManyClientsConcurrentWrites: 100 clients receive events published
// from several writers while presence changes are broadcast and handlers
// answer from several goroutines; under -race, no concurrent write (the
// library would panic) and every client gets every event.
func TestWS_ManyClientsConcurrentWrites(t *testing.T) {
	t.Parallel()
	// One account's 100 sockets: above the default per-account cap.
	app := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) { c.WSPerUser = 100 }))
	app.Server.AddEchoHandler() // a message type only tests speak (ws_export_test.go)
	u := app.User(models.RoleMember, "apebi")
	m := app.Measure(t, u, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)
	c := app.Login(u)
	const clients, writers, perWriter = 100, 4, 10
	ws := make([]*wsClient, clients)
	for i := range ws {
		ws[i] = dialWS(t, app, c)
		ws[i].subscribeLive(topic)
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				if _, err := emitErr(app.Store, topic, "comment.created", u, m, map[string]any{"i": i}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// Meanwhile every client stirs: presence (broadcast to all) and a
	// message whose handler answers from three goroutines.
	for i, w := range ws {
		state := "viewing"
		if i%2 == 0 {
			state = "editing"
		}
		w.send(map[string]any{"type": "presence", "topic": topic, "state": state})
		w.send(map[string]any{"type": "test.echo"})
	}
	wg.Wait()
	for i, w := range ws {
		evs := w.events(topic, writers*perWriter)
		for j := 1; j < len(evs); j++ {
			if evs[j].ID <= evs[j-1].ID {
				t.Fatalf("client %d: %v", i, ids(evs))
			}
		}
		for n := 0; n < 3; n++ {
			w.waitFor(func(m wsMsg) bool { return m.Type == "test.echo" }, "the handler's answers")
		}
	}
	if got := app.Server.LiveHub().Connections(); got != clients {
		t.Fatalf("%d connections left open, want %d", got, clients)
	}
}
