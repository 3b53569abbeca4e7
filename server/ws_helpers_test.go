package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server/servertest"
)

// Fixtures for the live tests: measures are inserted as rows and events
// written with Emit, as the features do, so these tests depend on nothing
// but the store and the hub.

// emit writes one event in its own transaction and returns it.
func emit(t testing.TB, store *models.Store, topic, typ string, actor *models.User, measureID int64, data any) models.Event {
	t.Helper()
	ev, err := emitErr(store, topic, typ, actor, measureID, data)
	if err != nil {
		t.Fatalf("emit %s: %v", typ, err)
	}
	return ev
}

func emitErr(store *models.Store, topic, typ string, actor *models.User, measureID int64, data any) (models.Event, error) {
	var ev models.Event
	err := store.Write(context.Background(), func(tx *models.Tx) error {
		var err error
		ev, err = tx.Emit(topic, typ, actor, measureID, 0, data)
		return err
	})
	return ev, err
}

// wsMsg is any server message, decoded loosely.
type wsMsg struct {
	Type   string `json:"type"`
	ID     int64  `json:"id"`
	Topic  string `json:"topic"`
	Event  string `json:"event"`
	LastID int64  `json:"last_id"`
	Actor  *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"actor"`
	Data    map[string]any `json:"data"`
	At      string         `json:"at"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Users   []struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"users"`
	Raw string `json:"-"`
}

// wsClient is a real websocket client reading in the background.
type wsClient struct {
	t    testing.TB
	Conn *websocket.Conn
	msgs chan wsMsg
	mu   sync.Mutex
	err  error // why reading stopped
	done chan struct{}
	// pending holds messages read but not yet taken.
	pending []wsMsg
	rawIDs  chan int64 // guarded by mu
}

// rawEventIDs switches the client to reading only the ids of events, for
// tests whose events are too big to decode quickly under -race. Call it
// before anything else reads (or after, between messages).
func (w *wsClient) rawEventIDs() <-chan int64 {
	ch := make(chan int64, 100000)
	w.mu.Lock()
	w.rawIDs = ch
	w.mu.Unlock()
	return ch
}

func wsURL(app *servertest.App) string { return "ws" + strings.TrimPrefix(app.URL, "http") + "/ws" }

// dialWS opens a websocket with the client's session cookie and the
// server's own Origin, as a browser on a Pacte page does.
func dialWS(t testing.TB, app *servertest.App, c *servertest.Client) *wsClient {
	t.Helper()
	h := http.Header{}
	h.Set("Origin", app.URL)
	for _, ck := range c.Cookies() {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	return dialHeader(t, app, h)
}

func dialHeader(t testing.TB, app *servertest.App, h http.Header) *wsClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL(app), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial /ws: %v (status %d)", err, status)
	}
	return startClient(t, conn)
}

func startClient(t testing.TB, conn *websocket.Conn) *wsClient {
	w := &wsClient{t: t, Conn: conn, msgs: make(chan wsMsg, 100000), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.msgs)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				return
			}
			w.mu.Lock()
			rawIDs := w.rawIDs
			w.mu.Unlock()
			if rawIDs != nil {
				// Big events: read the id without decoding the rest.
				if bytes.HasPrefix(data, []byte(`{"type":"event","id":`)) {
					rest := data[len(`{"type":"event","id":`):]
					n, _ := strconv.ParseInt(string(rest[:bytes.IndexByte(rest, ',')]), 10, 64)
					rawIDs <- n
				}
				continue
			}
			var m wsMsg
			if err := json.Unmarshal(data, &m); err != nil {
				m = wsMsg{Type: "!invalid"}
			}
			m.Raw = string(data)
			w.msgs <- m
		}
	}()
	t.Cleanup(func() { conn.Close(); <-w.done })
	return w
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.Conn.WriteMessage(websocket.TextMessage, b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

func (w *wsClient) subscribe(topic string, after ...int64) {
	w.t.Helper()
	m := map[string]any{"type": "subscribe", "topic": topic}
	if len(after) > 0 {
		m["after"] = after[0]
	}
	w.send(m)
}

// subscribeLive subscribes and waits until the subscription is live.
func (w *wsClient) subscribeLive(topic string, after ...int64) {
	w.t.Helper()
	w.subscribe(topic, after...)
	w.waitFor(func(m wsMsg) bool { return m.Type == "subscribed" && m.Topic == topic }, "subscribed "+topic)
}

// next gives the next message not yet taken, or false when none came in
// time or the connection ended.
func (w *wsClient) next(timeout time.Duration) (wsMsg, bool) {
	if len(w.pending) > 0 {
		m := w.pending[0]
		w.pending = w.pending[1:]
		return m, true
	}
	return w.read(timeout)
}

func (w *wsClient) read(timeout time.Duration) (wsMsg, bool) {
	select {
	case m, ok := <-w.msgs:
		return m, ok
	case <-time.After(timeout):
		return wsMsg{}, false
	}
}

// take gives the first message that matches, keeping the others for later
// takes (a test reading one topic does not lose another's messages).
func (w *wsClient) take(match func(wsMsg) bool, timeout time.Duration) (wsMsg, bool) {
	for i, m := range w.pending {
		if match(m) {
			w.pending = append(w.pending[:i:i], w.pending[i+1:]...)
			return m, true
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		m, ok := w.read(time.Until(deadline))
		if !ok {
			return m, false
		}
		if match(m) {
			return m, true
		}
		w.pending = append(w.pending, m)
	}
}

// waitFor takes the first matching message, failing after 10 s.
func (w *wsClient) waitFor(match func(wsMsg) bool, what string) wsMsg {
	w.t.Helper()
	m, ok := w.take(match, 10*time.Second)
	if !ok {
		w.t.Fatalf("waiting for %s: nothing came (read error: %v)", what, w.readErr())
	}
	return m
}

// events takes n event messages on topic.
func (w *wsClient) events(topic string, n int) []wsMsg {
	w.t.Helper()
	var out []wsMsg
	deadline := time.Now().Add(15 * time.Second)
	for len(out) < n {
		m, ok := w.take(func(m wsMsg) bool { return m.Type == "event" && m.Topic == topic }, time.Until(deadline))
		if !ok {
			w.t.Fatalf("got %d of %d events on %s (read error: %v)", len(out), n, topic, w.readErr())
		}
		out = append(out, m)
	}
	return out
}

// eventsUntil collects the events (any topic) that arrive before the one
// with markerID: the caller emits the marker after the events that must or
// must not arrive, so absence is proven without waiting a fixed time.
func (w *wsClient) eventsUntil(markerID int64) []wsMsg {
	w.t.Helper()
	var out []wsMsg
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, ok := w.next(time.Until(deadline))
		if !ok {
			w.t.Fatalf("marker event %d never came (read error: %v)", markerID, w.readErr())
		}
		if m.Type != "event" {
			continue
		}
		if m.ID == markerID {
			return out
		}
		out = append(out, m)
	}
}

func (w *wsClient) readErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// closed waits for the server to close the connection and gives the close
// code (-1 when it ended without a close frame).
func (w *wsClient) closed(timeout time.Duration) int {
	w.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-w.msgs:
			if ok {
				continue
			}
			var ce *websocket.CloseError
			if errors.As(w.readErr(), &ce) {
				return ce.Code
			}
			return -1
		case <-deadline:
			w.t.Fatalf("the server did not close the connection within %s", timeout)
			return 0
		}
	}
}

// bearerToken issues an API token for u.
func bearerToken(t testing.TB, app *servertest.App, u *models.User) string {
	t.Helper()
	_, raw, err := app.Store.CreateToken(context.Background(), u, "live test")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func ids(ms []wsMsg) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// waitUntil polls a condition for up to 10 s; it is how tests wait for
// something asynchronous without sleeping a fixed time.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 10*time.Second, what, cond)
}

// waitWithin is waitUntil with another limit.
func waitWithin(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fmtIDs(v []int64) string { return fmt.Sprint(v) }
