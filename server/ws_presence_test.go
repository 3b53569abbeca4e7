package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server/servertest"
)

// presenceOf renders a presence message as "name:state" in list order.
func presenceOf(m wsMsg) string {
	var parts []string
	for _, u := range m.Users {
		parts = append(parts, fmt.Sprintf("%s:%s", u.Name, u.State))
	}
	return strings.Join(parts, ",")
}

// waitPresence takes presence messages on topic until one shows want.
func (w *wsClient) waitPresence(topic, want string) {
	w.t.Helper()
	last := "(none)"
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, ok := w.take(func(m wsMsg) bool { return m.Type == "presence" && m.Topic == topic }, time.Until(deadline))
		if !ok {
			w.t.Fatalf("presence on %s: want %q, last seen %q", topic, want, last)
		}
		if last = presenceOf(m); last == want {
			return
		}
	}
}

func sortedNames(entries ...string) string {
	sort.Strings(entries)
	return strings.Join(entries, ",")
}

// TestWS_Presence: who views and who edits a measure, with names, live; a
// closed tab leaves at once, a silent one within 10 seconds.
func TestWS_Presence(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	a := app.User(models.RoleMember, "apebi")
	b := app.User(models.RoleMember, "ausim")
	// B edits A's measure; only editors are shown editing (docs/API.md).
	m := app.Measure(t, a, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true, Editors: []*models.User{b}})
	topic := models.MeasureTopic(m)
	ca, cb := app.Login(a), app.Login(b)

	wa := dialWS(t, app, ca)
	wa.subscribe(topic)
	wa.waitPresence(topic, "") // the snapshot on subscribing
	wa.send(map[string]any{"type": "presence", "topic": topic, "state": "viewing"})
	wa.waitPresence(topic, a.Name+":viewing")

	wb := dialWS(t, app, cb)
	wb.subscribe(topic)
	wb.waitPresence(topic, a.Name+":viewing")
	wb.send(map[string]any{"type": "presence", "topic": topic, "state": "editing"})
	both := sortedNames(a.Name+":viewing", b.Name+":editing")
	wa.waitPresence(topic, both)
	wb.waitPresence(topic, both)

	t.Run("TwoTabsAreOnePerson", func(t *testing.T) {
		wa2 := dialWS(t, app, ca)
		wa2.subscribe(topic)
		wa2.send(map[string]any{"type": "presence", "topic": topic, "state": "editing"})
		wb.waitPresence(topic, sortedNames(a.Name+":editing", b.Name+":editing"))
		wa2.Conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		wa2.Conn.Close()
		wb.waitPresence(topic, both)
	})

	t.Run("OnlyEditorsEdit", func(t *testing.T) {
		reader := app.User(models.RoleMember, "mnc") // sees the measure, does not edit it
		wr := dialWS(t, app, app.Login(reader))
		wr.subscribe(topic)
		wr.send(map[string]any{"type": "presence", "topic": topic, "state": "editing"})
		wa.waitPresence(topic, sortedNames(a.Name+":viewing", b.Name+":editing", reader.Name+":viewing"))
		wr.Conn.Close()
		wa.waitPresence(topic, both)
	})

	t.Run("ClosedTabLeavesAtOnce", func(t *testing.T) {
		wc := dialWS(t, app, cb)
		wc.subscribe(topic)
		other := app.User(models.RoleMember, "mnc")
		wo := dialWS(t, app, app.Login(other))
		wo.subscribe(topic)
		wo.send(map[string]any{"type": "presence", "topic": topic, "state": "viewing"})
		with := sortedNames(a.Name+":viewing", b.Name+":editing", other.Name+":viewing")
		wa.waitPresence(topic, with)
		start := time.Now()
		wo.Conn.Close() // the browser tab goes away: TCP closes, no close frame
		wa.waitPresence(topic, both)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("a closed tab stayed %s", d)
		}
	})

	t.Run("UnsubscribeLeaves", func(t *testing.T) {
		wb.send(map[string]any{"type": "unsubscribe", "topic": topic})
		wa.waitPresence(topic, a.Name+":viewing")
		wb.subscribe(topic)
		wb.send(map[string]any{"type": "presence", "topic": topic, "state": "editing"})
		wa.waitPresence(topic, both)
	})

	t.Run("SilentClientLeavesWithin10s", func(t *testing.T) {
		silent := app.User(models.RoleMember, "msec")
		ws := dialWS(t, app, app.Login(silent))
		// It stops answering pings, as a machine that lost its network does.
		ws.Conn.SetPingHandler(func(string) error { return nil })
		ws.subscribe(topic)
		ws.send(map[string]any{"type": "presence", "topic": topic, "state": "viewing"})
		lastFrame := time.Now()
		wa.waitPresence(topic, sortedNames(a.Name+":viewing", b.Name+":editing", silent.Name+":viewing"))
		deadline := time.Now().Add(12 * time.Second)
		for {
			msg, ok := wa.take(func(m wsMsg) bool { return m.Type == "presence" }, time.Until(deadline))
			if !ok {
				t.Fatal("the silent client never left")
			}
			if presenceOf(msg) == both {
				break
			}
		}
		if d := time.Since(lastFrame); d > 10*time.Second {
			t.Fatalf("the silent client stayed %s", d)
		}
	})
}
