package server_test

import (
	"bytes"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// TestWS_NoGoroutineLeak: connections that close, however they close,
// leave no goroutine behind, and a closed server leaves none at all. Not
// parallel: it counts goroutines.
func TestWS_NoGoroutineLeak(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Run("Run", func(t *testing.T) { leakRun(t, engine) })
			// The app of "Run" is closed by now.
			goleak.VerifyNone(t, before)
		})
	}
}

func leakRun(t *testing.T, engine string) {
	app := servertest.New(t, engine)
	u := app.User(models.RoleMember, "apebi")
	m := app.Measure(t, u, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)
	c := app.Login(u)
	c.Do("GET", "/api/v1/me", nil, nil) // the HTTP client's own connection exists before counting
	hub := app.Server.LiveHub()
	baseline := liveGoroutines()

	var clients []*wsClient
	for i := 0; i < 30; i++ {
		w := dialWS(t, app, c)
		w.subscribe(topic, 0)
		w.subscribe(models.TopicMeasures)
		w.send(map[string]any{"type": "presence", "topic": topic, "state": "viewing"})
		clients = append(clients, w)
	}
	ev := emit(t, app.Store, topic, "comment.created", u, m, map[string]any{})
	for _, w := range clients {
		w.waitFor(func(msg wsMsg) bool { return msg.ID == ev.ID }, "the event")
	}
	if n := hub.Connections(); n != 30 {
		t.Fatalf("%d connections, want 30", n)
	}
	// Ten close properly, ten vanish, ten are closed by the server (a frame
	// over the limit).
	for i, w := range clients {
		switch i % 3 {
		case 0:
			w.Conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		case 1:
			w.Conn.Close()
		case 2:
			w.Conn.WriteMessage(websocket.TextMessage, make([]byte, 2<<20))
		}
	}
	waitUntil(t, "every connection to close", func() bool { return hub.Connections() == 0 })
	for i, w := range clients {
		if i%3 != 1 {
			w.closed(5 * time.Second)
		} else {
			<-w.done
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for liveGoroutines() > baseline {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("%d goroutines, %d before connecting:\n%s", liveGoroutines(), baseline, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveGoroutines counts the goroutines outside the job queue's client:
// River starts its maintenance services when it wins leadership, which may
// happen while connections come and go. Its goroutines end with the server,
// which goleak.VerifyNone checks once the app is closed.
func liveGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if len(g) > 0 && !bytes.Contains(g, []byte("github.com/riverqueue/river")) {
			n++
		}
	}
	return n
}
