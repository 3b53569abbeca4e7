package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"pacte/models"
)

// wsBufferPool lends write buffers to connections only while they write a
// message that is not prepared (errors, presence snapshots, collab
// answers), so an idle connection holds none.
var wsBufferPool = &sync.Pool{}

var upgrader = websocket.Upgrader{
	ReadBufferSize:    1024,
	WriteBufferSize:   4096,
	WriteBufferPool:   wsBufferPool,
	EnableCompression: false,
	HandshakeTimeout:  10 * time.Second,
	// handleWS checks the Origin itself, before upgrading, so that a refusal
	// is a JSON 403 like every other.
	CheckOrigin: func(*http.Request) bool { return true },
}

// handleWS upgrades a signed-in request to the live connection. Cookie
// requests must come from our own pages (Origin = base URL): a page on
// another site could otherwise open a socket riding the visitor's cookie.
// Bearer requests carry nothing ambient, so they need no Origin.
func (s *Server) handleWS(c echo.Context) error {
	u := ctxUser(c)
	if u == nil || !u.Active() {
		return models.CodedError(models.EUnauthorized, "unauthorized", "Please sign in.")
	}
	r := c.Request()
	if c.Get("bearer") == nil {
		if origin := r.Header.Get("Origin"); origin == "" || !strings.EqualFold(origin, s.origin) {
			s.denied(c, "websocket origin "+fmt.Sprintf("%q", origin))
			return models.CodedError(models.EForbidden, "bad_origin", "This connection did not come from a Pacte page.")
		}
	}
	// A slot is taken before upgrading, so a refusal is a plain 429: at
	// most WSPerUser sockets per account, and a total that leaves
	// descriptors for everything else.
	if err := s.hub.reserveSlot(u.ID); err != nil {
		if models.ErrorKind(err) == models.ETooMany {
			wsRetryAfter(c.Response()) // the request log has the 429: no line of its own
		}
		return err
	}
	ws, err := upgrader.Upgrade(c.Response(), r, nil)
	if err != nil {
		s.hub.releaseSlot(u.ID)
		return nil // the upgrader has answered
	}
	session := ""
	if sess := ctxSession(c); sess != nil {
		session = sess.ID
	}
	conn := s.hub.newConn(ws, u, session)
	if !s.hub.register(conn) {
		s.hub.releaseSlot(u.ID)
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(wsCloseWait))
		ws.Close()
		return nil
	}
	c.Response().Status = http.StatusSwitchingProtocols // for the request log; the upgrader wrote it
	// The request's goroutine returns at once: net/http then lets go of
	// its buffers and the middleware's deep stack, which would otherwise be
	// held for the connection's whole life.
	go conn.serve()
	return nil
}

// outMsg is one queued message: a shared prepared event, or bytes made for
// this connection alone.
type outMsg struct {
	pm   *websocket.PreparedMessage
	data []byte
}

// wsConn is one websocket: a reader goroutine that handles client messages
// in order, and a writer goroutine that alone writes to the socket. Others
// hand it messages through a bounded queue and never wait.
type wsConn struct {
	hub  *Hub
	id   uint64
	ws   *websocket.Conn
	user *models.User
	// session is the browser session the socket was opened with ("" for a
	// bearer token): when it ends, so does the socket.
	session string
	staff   bool // sees data.moderator_only

	ctx    context.Context
	cancel context.CancelFunc

	qmu       sync.Mutex
	queue     []outMsg
	spare     []outMsg // the writer's: the queue's other buffer
	closing   bool
	closeCode int
	closeText string
	pingDue   bool
	wantSpace atomic.Bool // a replay waits for room in the queue
	// inflight counts the messages the writer has taken and not yet
	// written: with the queue, what the bound applies to.
	inflight atomic.Int32

	wake       chan struct{}
	space      chan struct{}
	writerDone chan struct{}

	subs map[string]*subscription // guarded by hub.mu

	strikes []time.Time // reader only
	// active is when the client last sent a message (unix ns): activity
	// through the socket keeps its session from idling out (checkSessions).
	active atomic.Int64
}

func (h *Hub) newConn(ws *websocket.Conn, u *models.User, session string) *wsConn {
	c := &wsConn{hub: h, id: h.nextConn.Add(1), ws: ws, user: u, session: session, staff: models.Can(u, models.ActModerate, nil),
		wake: make(chan struct{}, 1), space: make(chan struct{}, 1), writerDone: make(chan struct{}),
		subs: map[string]*subscription{}}
	c.ctx, c.cancel = context.WithCancel(h.ctx)
	return c
}

// WSConn, for features' message handlers.

func (c *wsConn) ID() uint64               { return c.id }
func (c *wsConn) User() *models.User       { return c.user }
func (c *wsConn) Context() context.Context { return c.ctx }

// Send queues a message for this connection alone; false when it was
// dropped (connection closing, or its queue full, which closes it).
func (c *wsConn) Send(msg any) bool {
	b, err := json.Marshal(msg)
	if err != nil {
		c.hub.log.Error("live: cannot encode a message", "err", err.Error())
		return false
	}
	return c.enqueue(outMsg{data: b})
}

// enqueue never blocks: a full queue means the client does not keep up, so
// it is disconnected and will catch up from the log when it reconnects.
func (c *wsConn) enqueue(m outMsg) bool {
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		return false
	}
	if len(c.queue)+int(c.inflight.Load()) >= c.hub.maxQueue {
		c.qmu.Unlock()
		c.hub.metrics.WSDropped.Add(1)
		c.close(websocket.CloseTryAgainLater, "too slow")
		return false
	}
	c.queue = append(c.queue, m)
	c.qmu.Unlock()
	c.poke()
	return true
}

// enqueueWait is enqueue for the replay of missed events: it waits while
// the queue is half full, leaving the other half to live messages.
func (c *wsConn) enqueueWait(m outMsg) bool {
	for {
		c.qmu.Lock()
		if c.closing {
			c.qmu.Unlock()
			return false
		}
		if len(c.queue)+int(c.inflight.Load()) < c.hub.maxQueue/2 {
			c.queue = append(c.queue, m)
			c.qmu.Unlock()
			c.poke()
			return true
		}
		c.wantSpace.Store(true)
		c.qmu.Unlock()
		// The writer signals room after each batch; the timer covers a
		// signal given just before we asked for it.
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-c.space:
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// close starts closing with a close code; the writer sends it. Safe from
// any goroutine, under the hub lock too; never blocks.
func (c *wsConn) close(code int, text string) {
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		return
	}
	c.closing = true
	c.closeCode, c.closeText = code, text
	c.queue = nil
	c.qmu.Unlock()
	c.cancel()
	c.poke()
	// A write stuck on a client that reads nothing ends now, not after
	// the full write deadline.
	c.ws.UnderlyingConn().SetWriteDeadline(time.Now().Add(wsCloseWait))
}

// poke wakes the writer.
func (c *wsConn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// requestPing asks the writer for a ping (the hub's pinger calls it every
// wsPingPeriod): the pong, or any message, extends the read deadline.
func (c *wsConn) requestPing() {
	c.qmu.Lock()
	c.pingDue = true
	c.qmu.Unlock()
	c.poke()
}

// serve runs the connection until it closes, then forgets it.
func (c *wsConn) serve() {
	go c.writeLoop()
	err := c.readLoop()
	code := websocket.CloseNormalClosure
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		code = websocket.CloseMessageTooBig // already sent by the library
	case errors.As(err, &ce):
		code = ce.Code
		if code == websocket.CloseNoStatusReceived {
			code = websocket.CloseNormalClosure
		}
	}
	c.close(code, "")
	c.hub.unregister(c)
	var ne net.Error
	if !errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) &&
		!errors.Is(err, io.ErrUnexpectedEOF) {
		// The socket is still open with unread bytes (an oversized frame, a
		// close handshake): read them away before closing, or the kernel
		// answers with a reset that can swallow our close frame.
		nc := c.ws.UnderlyingConn()
		nc.SetReadDeadline(time.Now().Add(wsCloseWait))
		io.Copy(io.Discard, io.LimitReader(nc, 4<<20))
	}
	<-c.writerDone
	c.ws.Close()
	c.hub.collab.forget(c)
	c.hub.connWG.Done()
}

// writeLoop is the only goroutine that writes to the socket. It waits on
// one channel: closing and pings are flags it reads when woken.
func (c *wsConn) writeLoop() {
	defer close(c.writerDone)
	for range c.wake {
		c.qmu.Lock()
		closing, code, text := c.closing, c.closeCode, c.closeText
		ping := c.pingDue
		c.pingDue = false
		batch := c.queue
		c.queue = c.spare
		c.inflight.Store(int32(len(batch)))
		c.qmu.Unlock()
		c.spare = nil
		if closing {
			if code != websocket.CloseAbnormalClosure && code != websocket.CloseNoStatusReceived {
				c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(wsCloseWait))
			}
			// The reader waits for the client's close frame no longer than this.
			c.ws.UnderlyingConn().SetReadDeadline(time.Now().Add(wsCloseWait))
			return
		}
		ok := true
		if ping {
			ok = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)) == nil
		}
		if ok && !c.write(batch) {
			ok = false
		}
		if !ok {
			c.close(websocket.CloseAbnormalClosure, "")
		}
	}
}

// write writes a batch taken from the queue; false on a write error.
func (c *wsConn) write(batch []outMsg) bool {
	ok := true
	for i := range batch {
		if ok {
			c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
			var err error
			switch {
			case batch[i].pm != nil:
				err = c.ws.WritePreparedMessage(batch[i].pm)
			case batch[i].data != nil:
				err = c.ws.WriteMessage(websocket.TextMessage, batch[i].data)
			}
			ok = err == nil
		}
		batch[i] = outMsg{}
		c.inflight.Add(-1)
	}
	if cap(batch) <= 64 {
		c.spare = batch[:0] // the queue's next buffer (only the writer touches spare)
	}
	if c.wantSpace.CompareAndSwap(true, false) {
		select {
		case c.space <- struct{}{}:
		default:
		}
	}
	return ok
}

// readLoop handles client messages in order until the connection fails.
func (c *wsConn) readLoop() error {
	c.ws.SetReadLimit(wsReadLimit)
	c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wsPongWait)) })
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return err
		}
		if c.ctx.Err() != nil {
			continue // closing: only the client's close frame matters now
		}
		c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
		if mt != websocket.TextMessage {
			c.bad("malformed", "Send JSON objects in text frames.", "")
			continue
		}
		// Handling may go deep (database, features' handlers); doing it on
		// a goroutine of its own, and waiting, keeps the reader's stack (held
		// for the connection's whole life) small.
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if r := recover(); r != nil {
					c.hub.log.Error("live: message handling panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					c.Send(wsErrorMessage{Type: "error", Code: "internal", Message: "Something went wrong on our side."})
				}
			}()
			c.active.Store(time.Now().UnixNano())
			c.handle(data)
		}()
		<-done
		// A long replay is our doing, not the client's silence.
		c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	}
}

// clientMessage is the part of a client message the hub reads itself.
type clientMessage struct {
	Type  string `json:"type"`
	Topic string `json:"topic"`
	After *int64 `json:"after"`
	State string `json:"state"`
}

// wsErrorMessage is {"type":"error"} (docs/API.md); topic tells which
// subscription it is about, when it is about one.
type wsErrorMessage struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Topic   string `json:"topic,omitempty"`
}

func (c *wsConn) handle(data []byte) {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		c.bad("malformed", "Each message must be one JSON object with a type.", "")
		return
	}
	switch m.Type {
	case "":
		c.bad("malformed", "Each message must be one JSON object with a type.", "")
	case "subscribe":
		c.subscribe(m.Topic, m.After)
	case "unsubscribe":
		c.unsubscribe(m.Topic)
	case "presence":
		c.setPresence(m.Topic, m.State)
	default:
		h := c.hub.handlers[m.Type]
		if h == nil {
			c.bad("unknown_type", "Unknown message type "+fmt.Sprintf("%q", truncate(m.Type, 40))+".", "")
			return
		}
		c.dispatch(h, data)
	}
}

// dispatch runs a feature's handler; a panic there answers an error
// rather than ending the connection.
func (c *wsConn) dispatch(h wsHandler, data []byte) {
	defer func() {
		if r := recover(); r != nil {
			c.hub.log.Error("live: message handler panicked", "panic", fmt.Sprint(r))
			c.Send(wsErrorMessage{Type: "error", Code: "internal", Message: "Something went wrong on our side."})
		}
	}()
	err := h(c, json.RawMessage(data))
	if err == nil {
		return
	}
	var ae *models.Error
	if errors.As(err, &ae) {
		if ae.Kind == models.EMalformed {
			c.bad(ae.Code, ae.Message, "")
			return
		}
		c.Send(wsErrorMessage{Type: "error", Code: ae.Code, Message: ae.Message})
		return
	}
	if c.ctx.Err() == nil {
		c.hub.log.Error("live: message handler failed", "err", err.Error())
		c.Send(wsErrorMessage{Type: "error", Code: "internal", Message: "Something went wrong on our side."})
	}
}

// bad answers a malformed message and counts it: a client that keeps
// sending them is closed with 1008 (policy violation).
func (c *wsConn) bad(code, msg, topic string) {
	c.Send(wsErrorMessage{Type: "error", Code: code, Message: msg, Topic: topic})
	if c.strike() > wsMaxStrikes {
		c.close(websocket.ClosePolicyViolation, "too many malformed messages")
	}
}

// strike counts a bad or refused message and tells how many the window
// holds now. Reader only.
func (c *wsConn) strike() int {
	now := time.Now()
	kept := c.strikes[:0]
	for _, t := range c.strikes {
		if now.Sub(t) < wsStrikeWindow {
			kept = append(kept, t)
		}
	}
	c.strikes = append(kept, now)
	return len(c.strikes)
}

// refused answers a subscription that was denied. Denials are logged with
// who and what (docs/SECURITY.md), and counted like malformed messages: a client
// that keeps asking for what it may not see is closed with 1008, so one
// socket writes a bounded number of log lines.
func (c *wsConn) refused(code, msg, topic string) {
	n := c.strike()
	if n <= wsMaxStrikes {
		c.hub.log.Warn("denied", "route", "/ws", "why", "subscribe "+code, "topic", topic,
			"user_id", c.user.ID, "role", c.user.Role)
	}
	c.fail(code, msg, topic)
	if n > wsMaxStrikes {
		c.hub.log.Warn("denied", "route", "/ws", "why", "too many refused messages; closing", "user_id", c.user.ID)
		c.close(websocket.ClosePolicyViolation, "too many refused messages")
	}
}

// retryLater closes the connection with 1013 (try again later) when the
// database did not answer while deciding on or replaying a subscription:
// the client reconnects and subscribes again with after=, and so misses
// nothing; answering "not found" or skipping events would lose them.
func (c *wsConn) retryLater(err error) {
	if c.ctx.Err() == nil {
		c.hub.log.Warn("live: database unavailable; closing a connection for it to reconnect", "err", err.Error())
	}
	c.close(websocket.CloseTryAgainLater, "database unavailable")
}

// dbFailure reports whether an error is the database failing (to retry)
// rather than an answer about the request: anything but the kinds a
// refusal or a bad request carries.
func dbFailure(err error) bool {
	switch models.ErrorKind(err) {
	case models.EMalformed, models.EUnauthorized, models.EForbidden, models.ENotFound, models.EConflict, models.EGone,
		models.ETooLarge, models.EInvalid, models.ETooMany:
		return false
	}
	return err != nil
}

func (c *wsConn) fail(code, msg, topic string) {
	c.Send(wsErrorMessage{Type: "error", Code: code, Message: msg, Topic: topic})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// --- subscriptions ----------------------------------------------------------

// subscribe checks the topic against what the person may see, registers
// the subscription (holding live events), replays what was missed after
// `after`, then lets held events through, skipping those already sent.
func (c *wsConn) subscribe(topic string, after *int64) {
	if topic == "" {
		c.bad("malformed", "subscribe needs a topic.", "")
		return
	}
	if after != nil && *after < 0 {
		c.bad("malformed", "after must be an event id.", topic)
		return
	}
	if err := c.hub.srv.topicAllowed(c.ctx, c.user, topic); err != nil {
		var ae *models.Error
		switch {
		case dbFailure(err):
			// The database did not answer: not a refusal. The client
			// reconnects and subscribes again with after=.
			c.retryLater(err)
		case errors.As(err, &ae) && ae.Kind == models.EMalformed:
			c.bad(ae.Code, ae.Message, topic)
		case errors.As(err, &ae):
			c.refused(ae.Code, ae.Message, topic)
		}
		return
	}
	h := c.hub
	h.mu.Lock()
	if sub := c.subs[topic]; sub != nil {
		// Already live: say so again, as for a new subscription.
		c.enqueue(outMsg{data: subscribedMessage(topic, sub.lastSent)})
		h.mu.Unlock()
		if k, _, _ := models.ParseTopic(topic); k == models.TopicKindMeasure {
			h.presence.snapshot(c, topic)
		}
		return
	}
	if len(c.subs) >= wsMaxSubs {
		h.mu.Unlock()
		c.fail("too_many_subscriptions", fmt.Sprintf("A connection may follow at most %d topics.", wsMaxSubs), topic)
		return
	}
	sub := &subscription{topic: topic, catchingUp: after != nil}
	if after != nil {
		sub.lastSent = *after
	} else {
		// Live from here: every event after the last one published.
		sub.lastSent = h.lastID.Load()
		c.enqueue(outMsg{data: subscribedMessage(topic, sub.lastSent)})
	}
	h.addSubLocked(c, sub)
	h.mu.Unlock()

	if after != nil {
		if !c.catchUp(sub, *after) {
			return
		}
	}
	if k, _, _ := models.ParseTopic(topic); k == models.TopicKindMeasure {
		h.presence.snapshot(c, topic)
	}
}

// catchUp replays the events after `after` on the subscription's topic,
// then turns it live. False when the subscription was given up.
func (c *wsConn) catchUp(sub *subscription, after int64) bool {
	h := c.hub
	giveUp := func(code, msg string) bool {
		h.mu.Lock()
		if c.subs[sub.topic] == sub {
			h.dropSubLocked(c, sub.topic)
		}
		h.mu.Unlock()
		if code != "" {
			c.fail(code, msg, sub.topic)
		}
		if code == "forbidden" {
			h.presence.removeConn(c, []string{sub.topic})
		}
		return false
	}
	// A read that fails skips nothing: the connection is closed (1013) and
	// the client, reconnecting with the same after=, gets the replay then.
	max, err := h.store.MaxEventID(c.ctx)
	if err != nil {
		c.retryLater(err)
		return giveUp("", "")
	}
	n, err := h.store.CountEventsAfter(c.ctx, sub.topic, after, wsMaxCatchUp+1)
	if err != nil {
		c.retryLater(err)
		return giveUp("", "")
	}
	if after > max || n > wsMaxCatchUp {
		return giveUp("too_far_behind", "Too much happened since this page was loaded; reload it.")
	}
	cursor := after
	for pass := 0; ; pass++ {
		for {
			scan, err := h.store.EventsAfter(c.ctx, sub.topic, cursor, wsCatchUpPage)
			if err != nil {
				c.retryLater(err)
				return giveUp("", "")
			}
			prepared, err := h.prepare(c.ctx, scan.Events)
			if err != nil {
				c.retryLater(err)
				return giveUp("", "")
			}
			for _, he := range prepared {
				if !he.visibleTo(c.user, sub.topic) {
					if k, _, _ := models.ParseTopic(sub.topic); k == models.TopicKindMeasure {
						// Access lost since the subscription was allowed.
						return giveUp("forbidden", "You no longer have access to this measure.")
					}
					continue
				}
				if !c.enqueueWait(outMsg{data: he.message(sub.topic, c.staff)}) {
					return giveUp("", "")
				}
				h.metrics.EventsDelivered.Add(1)
			}
			cursor = scan.Next
			if !scan.More {
				break
			}
		}
		h.mu.Lock()
		if c.subs[sub.topic] != sub {
			h.mu.Unlock()
			return false
		}
		if !sub.heldOverflow {
			break // with h.mu held: go live
		}
		// More was published during the replay than can be held. All of it
		// is in the log by now: read on from the cursor, holding afresh.
		sub.heldOverflow = false
		h.mu.Unlock()
		if pass >= 3 {
			h.metrics.WSDropped.Add(1)
			c.close(websocket.CloseTryAgainLater, "too slow")
			return giveUp("", "")
		}
	}
	if cursor > sub.lastSent {
		sub.lastSent = cursor
	}
	sub.catchingUp = false
	c.enqueue(outMsg{data: subscribedMessage(sub.topic, sub.lastSent)})
	held := sub.held
	sub.held = nil
	for _, he := range held {
		if !h.deliverLocked(c, sub, he) {
			h.endSubLocked(c, sub.topic)
			h.mu.Unlock()
			h.afterEnded([]endedSub{{c, sub.topic}})
			return false
		}
	}
	h.mu.Unlock()
	return true
}

// subscribedMessage tells the client its subscription is live and that
// every event after lastID on the topic will reach it (or was replayed).
// Not in docs/API.md's list; an addition clients may ignore.
func subscribedMessage(topic string, lastID int64) []byte {
	b, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Topic  string `json:"topic"`
		LastID int64  `json:"last_id"`
	}{"subscribed", topic, lastID})
	return b
}

func (c *wsConn) unsubscribe(topic string) {
	if topic == "" {
		c.bad("malformed", "unsubscribe needs a topic.", "")
		return
	}
	h := c.hub
	h.mu.Lock()
	had := c.subs[topic] != nil
	if had {
		h.dropSubLocked(c, topic)
	}
	h.mu.Unlock()
	if had {
		h.presence.removeConn(c, []string{topic})
	}
}

func (c *wsConn) setPresence(topic, state string) {
	if state != presenceViewing && state != presenceEditing {
		c.bad("malformed", `presence state must be "viewing" or "editing".`, topic)
		return
	}
	if k, _, ok := models.ParseTopic(topic); !ok || k != models.TopicKindMeasure {
		c.bad("invalid_topic", "Presence is shared on measure topics only.", topic)
		return
	}
	c.hub.mu.Lock()
	subscribed := c.subs[topic] != nil
	c.hub.mu.Unlock()
	if !subscribed {
		c.fail("not_subscribed", "Subscribe to the topic before sharing presence on it.", topic)
		return
	}
	// Only the measure's editors are shown editing; anyone else (or anyone
	// while the database does not answer) is shown viewing.
	if state == presenceEditing {
		_, id, _ := models.ParseTopic(topic)
		acc, err := c.hub.store.MeasureAccessByID(c.ctx, id)
		if err != nil || !models.Can(c.user, models.ActCollabEdit, acc) {
			state = presenceViewing
		}
	}
	c.hub.presence.set(topic, c, state)
}

// topicAllowed decides whether a person may follow a topic: the measures
// list, a measure they may see (else it does not exist), their own
// notifications.
func (s *Server) topicAllowed(ctx context.Context, u *models.User, topic string) error {
	kind, id, ok := models.ParseTopic(topic)
	if !ok {
		return models.CodedError(models.EMalformed, "invalid_topic", "Topics are measures, measure:<id> and user:<id>.")
	}
	if !u.Active() {
		return models.CodedError(models.EUnauthorized, "unauthorized", "Please sign in.")
	}
	switch kind {
	case models.TopicKindUser:
		if id != u.ID {
			return models.CodedError(models.EForbidden, "forbidden", "You may only follow your own notifications.")
		}
	case models.TopicKindMeasure:
		acc, err := s.store.MeasureAccessByID(ctx, id)
		if err != nil && models.ErrorKind(err) != models.ENotFound {
			return err // the database did not answer: not a refusal
		}
		if err != nil || !models.CanSeeMeasure(u, acc) {
			return models.CodedError(models.ENotFound, "not_found", "This measure does not exist.")
		}
	}
	return nil
}
