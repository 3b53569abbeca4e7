package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/collab"
	"pacte/models"
	"pacte/server/servertest"
)

// Helpers for the co-editing tests: real measures through the API, real
// websockets speaking the collab.* protocol.

// coMsg is any collab.* (or error) message from the server.
type coMsg struct {
	Type     string          `json:"type"`
	Measure  int64           `json:"measure"`
	Version  *int64          `json:"version"`
	From     int64           `json:"from"`
	Doc      string          `json:"doc"`
	Updates  []collab.Update `json:"updates"`
	Reason   string          `json:"reason"`
	Code     string          `json:"code"`
	ClientID string          `json:"clientID"`
	Anchor   *int64          `json:"anchor"`
	Head     *int64          `json:"head"`
	Left     bool            `json:"left"`
	User     struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
	Raw string `json:"-"`
}

func (m coMsg) version() int64 {
	if m.Version == nil {
		return -1
	}
	return *m.Version
}

// coClient is one editor's websocket.
type coClient struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan coMsg
	done chan struct{}
	wmu  sync.Mutex
}

// coDial opens a websocket with a bearer token, as scripts do.
func coDial(t testing.TB, baseURL, token string) *coClient {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	url := "ws" + strings.TrimPrefix(baseURL, "http") + "/ws"
	conn, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	c := &coClient{t: t, conn: conn, msgs: make(chan coMsg, 10000), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.msgs)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var m coMsg
			if json.Unmarshal(data, &m) != nil {
				m.Type = "!invalid"
			}
			m.Raw = string(data)
			c.msgs <- m
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *coClient) close() {
	c.conn.Close()
	<-c.done
}

func (c *coClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expect reads until a message of the type arrives (skipping events and
// presence), failing after 10 s or on an error frame.
func (c *coClient) expect(typ string) coMsg {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.t.Fatalf("connection closed while waiting for %s", typ)
			}
			if m.Type == typ {
				return m
			}
			if m.Type == "error" && typ != "error" {
				c.t.Fatalf("error frame while waiting for %s: %s", typ, m.Raw)
			}
		case <-deadline:
			c.t.Fatalf("no %s within 10 s", typ)
		}
	}
}

// quiet checks that no collab message arrives for a short while.
func (c *coClient) quiet(d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-c.msgs:
			if ok && strings.HasPrefix(m.Type, "collab.") {
				c.t.Fatalf("unexpected %s", m.Raw)
			}
		case <-deadline:
			return
		}
	}
}

func (c *coClient) join(measure int64) coMsg {
	c.t.Helper()
	c.send(map[string]any{"type": "collab.join", "measure": measure})
	return c.expect("collab.doc")
}

func (c *coClient) push(measure, version int64, ups ...collab.Update) {
	c.t.Helper()
	c.send(map[string]any{"type": "collab.push", "measure": measure, "version": version, "updates": ups})
}

// coEdit builds the update turning old into new, as a browser would.
func coEdit(clientID, old, new string) collab.Update {
	b, err := collab.FromDiff(old, new).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return collab.Update{ClientID: clientID, Changes: b}
}

// coApply applies updates to a text, failing the test if one does not fit.
func coApply(t testing.TB, text string, ups []collab.Update) string {
	t.Helper()
	doc := collab.NewDoc(text)
	for _, u := range ups {
		cs, err := u.ChangeSet()
		if err == nil {
			doc, err = cs.Apply(doc)
		}
		if err != nil {
			t.Fatalf("update %s does not apply: %v", u.Changes, err)
		}
	}
	return doc.String()
}

// coToken signs a user in and makes a bearer token.
func coToken(t testing.TB, app *servertest.App, u *models.User) (*servertest.Client, string) {
	t.Helper()
	c := app.Login(u)
	var out struct {
		Token string `json:"token"`
	}
	if st := c.Do("POST", "/api/v1/tokens", map[string]string{"name": "collab test"}, &out); st != 201 || out.Token == "" {
		t.Fatalf("create token: status %d", st)
	}
	return c, out.Token
}

// coMeasureState is what GET /api/v1/measures/:id says of the text.
type coMeasureState struct {
	Body     string `json:"body"`
	Revision int    `json:"revision"`
	Status   string `json:"status"`
}

func coGet(t testing.TB, c *servertest.Client, id int64) coMeasureState {
	t.Helper()
	var m coMeasureState
	if r := c.Request("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil); r.Status != 200 || r.JSON(&m) != nil {
		t.Fatalf("get measure: %d %s", r.Status, r.Body)
	}
	return m
}
