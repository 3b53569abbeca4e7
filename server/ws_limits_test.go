package server_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// dialStatus tries an upgrade with the client's cookie and gives the
// connection, or the HTTP status and error code of the refusal.
func dialStatus(t *testing.T, app *servertest.App, c *servertest.Client) (*websocket.Conn, int, string) {
	t.Helper()
	h := http.Header{}
	h.Set("Origin", app.URL)
	for _, ck := range c.Cookies() {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL(app), h)
	if err == nil {
		t.Cleanup(func() { conn.Close() })
		return conn, http.StatusSwitchingProtocols, ""
	}
	if resp == nil {
		t.Fatalf("no HTTP answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := &servertest.Response{Status: resp.StatusCode, Body: body}
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	return nil, resp.StatusCode, r.ErrorCode()
}

// TestWS_PerAccountLimit: one account holds at most 32 websockets (the
// default of PACTE_WS_PER_USER): the 33rd upgrade is refused with 429
// too_many_connections, other accounts still connect and receive, and
// closing one socket frees a slot.
func TestWS_PerAccountLimit(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	flooder := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "ausim")
	fc := app.Login(flooder)
	var mine []*websocket.Conn
	for i := 0; i < 32; i++ {
		conn, st, code := dialStatus(t, app, fc)
		if conn == nil {
			t.Fatalf("socket %d refused: %d %s", i+1, st, code)
		}
		mine = append(mine, conn)
	}
	if _, st, code := dialStatus(t, app, fc); st != http.StatusTooManyRequests || code != "too_many_connections" {
		t.Fatalf("33rd socket: %d %q, want 429 too_many_connections", st, code)
	}
	// Another account is not affected.
	w := dialWS(t, app, app.Login(other))
	m := app.Measure(t, other, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	w.subscribeLive(models.MeasureTopic(m))
	ev := emit(t, app.Store, models.MeasureTopic(m), "comment.created", other, m, map[string]any{"n": 1})
	if got := w.events(models.MeasureTopic(m), 1); got[0].ID != ev.ID {
		t.Fatalf("other account got %v", ids(got))
	}
	// Closing one frees a slot (once the server has seen it close).
	mine[0].Close()
	waitUntil(t, "a slot to free", func() bool {
		conn, _, _ := dialStatus(t, app, fc)
		if conn != nil {
			conn.Close()
			return true
		}
		return false
	})
}

// TestWS_TotalLimitKeepsReserve: the instance's websocket total is capped
// (derived from the descriptor limit, here configured small): the next
// upgrade gets 429 server_busy while /healthz and sign-in still answer.
func TestWS_TotalLimitKeepsReserve(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) { c.WSMax = 3; c.WSPerUser = 2 }))
	a := app.Login(app.User(models.RoleMember, "apebi"))
	b := app.Login(app.User(models.RoleMember, "ausim"))
	for i, c := range []*servertest.Client{a, a, b} {
		if conn, st, code := dialStatus(t, app, c); conn == nil {
			t.Fatalf("socket %d refused: %d %s", i+1, st, code)
		}
	}
	if _, st, code := dialStatus(t, app, a); st != http.StatusTooManyRequests || code != "too_many_connections" {
		t.Fatalf("a's third socket: %d %q, want 429 too_many_connections", st, code)
	}
	if _, st, code := dialStatus(t, app, b); st != http.StatusTooManyRequests || code != "server_busy" {
		t.Fatalf("fourth socket: %d %q, want 429 server_busy", st, code)
	}
	if r := app.Anonymous().Request("GET", "/healthz", nil); r.Status != 200 {
		t.Fatalf("/healthz: %d", r.Status)
	}
	// Signing in still works.
	app.Login(app.User(models.RoleMember, "mnc"))
}

// TestWSCapFor: the total keeps a reserve of descriptors for everything
// but websockets.
func TestWSCapFor(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		want  int
	}{{1024, 768}, {256, 128}, {100, 16}, {1 << 20, 1<<20 - 4096}, {0, 10000}} {
		if got := server.WSCapFor(c.limit); got != c.want {
			t.Errorf("cap for %d descriptors: %d, want %d", c.limit, got, c.want)
		}
	}
}
