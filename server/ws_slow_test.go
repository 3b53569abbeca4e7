package server_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server/servertest"
)

// TestWS_SlowClientDropped: a client that stops reading fills its queue
// and is disconnected, without delaying anyone else; it catches up from its
// last id when it reconnects.
func TestWS_SlowClientDropped(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	m := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)
	c := app.Login(author)

	fast := dialWS(t, app, c)
	fast.subscribeLive(topic)
	fastIDs := fast.rawEventIDs()

	// The stuck client: a tiny receive buffer, and after subscribing it
	// reads nothing.
	h := http.Header{}
	h.Set("Origin", app.URL)
	for _, ck := range c.Cookies() {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return conn, err
	}}
	stuck, _, err := d.Dial(wsURL(app), h)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.WriteJSON(map[string]any{"type": "subscribe", "topic": topic})
	var seen int64
	for {
		var msg wsMsg
		if err := stuck.ReadJSON(&msg); err != nil {
			t.Fatal(err)
		}
		if msg.Type == "subscribed" {
			seen = msg.LastID
			break
		}
	}
	if app.Server.LiveHub().Connections() != 2 {
		t.Fatalf("%d connections, want 2", app.Server.LiveHub().Connections())
	}

	// Far more than the socket buffers and the queue hold.
	const total, perTx = 450, 50
	big := strings.Repeat("x", 32<<10)
	var lastID int64
	for i := 0; i < total; i += perTx {
		err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			for j := i; j < i+perTx; j++ {
				ev, err := tx.Emit(topic, "comment.created", author, m, 0, map[string]any{"i": j, "pad": big})
				if err != nil {
					return err
				}
				lastID = ev.ID
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	lastAt := time.Now()
	for i := 0; i < total; i++ {
		select {
		case id := <-fastIDs:
			if id != seen+int64(i)+1 {
				t.Fatalf("fast client: got %d, want %d", id, seen+int64(i)+1)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("fast client: got %d of %d events", i, total)
		}
	}
	// A hub that waited for the stuck client would hold everyone for the
	// whole write deadline (10 s); delivering this much takes a second or
	// two, several under -race on a busy machine.
	if delay := time.Since(lastAt); delay > 8*time.Second {
		t.Fatalf("the fast client got the last event %s after it was written", delay)
	}
	waitUntil(t, "the stuck client to be dropped", func() bool {
		return app.Server.Dropped() >= 1 && app.Server.LiveHub().Connections() == 1
	})

	// Reconnecting with the last id it saw, it gets everything, in order.
	again := dialWS(t, app, c)
	again.subscribe(topic, seen)
	againIDs := again.rawEventIDs()
	for i := 0; i < total; i++ {
		select {
		case id := <-againIDs:
			if id != seen+int64(i)+1 {
				t.Fatalf("catch-up: got %d, want %d", id, seen+int64(i)+1)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("catch-up: got %d of %d events", i, total)
		}
	}
	if lastID != seen+total {
		t.Fatalf("ids %d..%d", seen, lastID)
	}
}
