package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server/servertest"
)

// TestWS_RefusedSubscribesClose: a client that keeps subscribing to what
// it may not see is counted like one sending malformed frames: after a few
// refusals (each answered, the first ones logged) the connection is closed
// with 1008, so one socket cannot fill the log.
func TestWS_RefusedSubscribesClose(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	member := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "ausim")
	w := dialWS(t, app, app.Login(member))
	forbidden := models.UserTopic(other.ID)
	const tries = 200
	sent := 0
	for ; sent < tries; sent++ {
		m := map[string]any{"type": "subscribe", "topic": forbidden}
		if err := w.Conn.WriteJSON(m); err != nil {
			break // closed by the server
		}
	}
	if code := w.closed(10 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d after %d refused subscribes, want 1008", code, sent)
	}
	denied := strings.Count(app.Logs.String(), "msg=denied")
	if denied == 0 || denied > 12 {
		t.Fatalf("%d denied lines for one socket, want between 1 and 12:\n%s", denied, app.Logs.String())
	}
}
