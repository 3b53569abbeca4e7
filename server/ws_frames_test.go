package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// TestWS_BadFrames: a bad frame gets {"type":"error"} and the connection
// stays open; one byte over the read limit closes with 1009; a client that
// keeps misbehaving is closed with 1008.
func TestWS_BadFrames(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	member := app.User(models.RoleMember, "apebi")
	c := app.Login(member)
	mine := app.Measure(t, member, servertest.MeasureSpec{Visibility: models.VisibilityFederation, Status: "draft", Quiet: true})

	t.Run("ErrorsKeepTheConnection", func(t *testing.T) {
		w := dialWS(t, app, c)
		cases := []struct {
			name  string
			frame string
			code  string
		}{
			{"NotJSON", `hello`, "malformed"},
			{"Array", `[1,2]`, "malformed"},
			{"NoType", `{"topic":"measures"}`, "malformed"},
			{"UnknownType", `{"type":"dance"}`, "unknown_type"},
			{"SubscribeNoTopic", `{"type":"subscribe"}`, "malformed"},
			{"SubscribeBadTopic", `{"type":"subscribe","topic":"everything"}`, "invalid_topic"},
			{"SubscribeAfterString", `{"type":"subscribe","topic":"measures","after":"12"}`, "malformed"},
			{"SubscribeNegativeAfter", `{"type":"subscribe","topic":"measures","after":-1}`, "malformed"},
			{"PresenceBadState", `{"type":"presence","topic":"measure:1","state":"dancing"}`, "malformed"},
			{"PresenceNotSubscribed", `{"type":"presence","topic":"measure:` + itoa(mine) + `","state":"viewing"}`, "not_subscribed"},
		}
		// Nine malformed frames (and a refusal that is no misbehaviour):
		// below the threshold.
		for _, tc := range cases {
			if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(tc.frame)); err != nil {
				t.Fatalf("%s: write: %v", tc.name, err)
			}
			m := w.waitFor(func(m wsMsg) bool { return m.Type == "error" }, tc.name+" error")
			if m.Code != tc.code || m.Message == "" {
				t.Errorf("%s: got %s, want code %q with a message", tc.name, m.Raw, tc.code)
			}
		}
		// Still open and working.
		w.subscribeLive(models.TopicMeasures)
		w.subscribeLive(models.MeasureTopic(mine))
	})

	t.Run("BinaryFrame", func(t *testing.T) {
		w := dialWS(t, app, c)
		if err := w.Conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if m := w.waitFor(func(m wsMsg) bool { return m.Type == "error" }, "error"); m.Code != "malformed" {
			t.Fatalf("got %s", m.Raw)
		}
	})

	t.Run("AtTheLimit", func(t *testing.T) {
		w := dialWS(t, app, c)
		// A frame of exactly the limit is read (and refused as unknown).
		pad := server.WSReadLimit - len(`{"type":"x","pad":""}`)
		frame := `{"type":"x","pad":"` + strings.Repeat("a", pad) + `"}`
		if len(frame) != server.WSReadLimit {
			t.Fatalf("frame is %d bytes", len(frame))
		}
		if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatal(err)
		}
		if m := w.waitFor(func(m wsMsg) bool { return m.Type == "error" }, "error"); m.Code != "unknown_type" {
			t.Fatalf("got %s", m.Raw)
		}
	})

	t.Run("ErrOneByteOver", func(t *testing.T) {
		w := dialWS(t, app, c)
		frame := `{"type":"subscribe","topic":"measures","pad":"` + strings.Repeat("a", server.WSReadLimit) + `"}`
		frame = frame[:server.WSReadLimit+1]
		if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatal(err)
		}
		if code := w.closed(5 * time.Second); code != websocket.CloseMessageTooBig {
			t.Fatalf("close code %d, want 1009", code)
		}
	})

	t.Run("ErrKeepsMisbehaving", func(t *testing.T) {
		w := dialWS(t, app, c)
		for i := 0; i < 11; i++ {
			if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"nonsense"}`)); err != nil {
				break // already closed
			}
		}
		if code := w.closed(5 * time.Second); code != websocket.ClosePolicyViolation {
			t.Fatalf("close code %d, want 1008", code)
		}
	})
}
