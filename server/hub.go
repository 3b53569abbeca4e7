package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
)

// Live-update limits. A browser tab holds one connection with a few
// subscriptions; everything beyond these is a bug or an abuse.
const (
	wsReadLimit    = 1 << 20 // collab pushes carry pasted text; one byte over closes with 1009
	wsWriteWait    = 10 * time.Second
	wsPongWait     = 9 * time.Second // a silent client is gone within this (presence: "within 10 s")
	wsPingPeriod   = 4 * time.Second
	wsCloseWait    = time.Second
	wsMaxQueue     = 256   // messages waiting for one connection's writer
	wsMaxHeld      = 4096  // live events held for one subscription while it catches up
	wsMaxCatchUp   = 10000 // missed events replayed on subscribe; beyond, the page reloads
	wsCatchUpPage  = 500
	wsMaxSubs      = 32
	wsMaxStrikes   = 10 // bad frames tolerated per wsStrikeWindow
	wsStrikeWindow = time.Minute
	feedBatch      = 500
	feedPoll       = 15 * time.Second // safety net; commits and NOTIFY wake the feeder at once
)

// Close codes beyond RFC 6455's.
const (
	closeAccountChanged = 4001 // suspension or role change: reconnect to be checked again
)

// Hub fans committed events out to this instance's websocket connections.
//
// One feeder goroutine publishes the event log in id order: it wakes after
// each local commit (Store.OnCommit) and, on PostgreSQL, on every NOTIFY
// from any instance, and reads the events after the last id it published.
// Reading from the log rather than trusting notifications means an event is
// published exactly once, in order, whichever instance wrote it, and a
// listener that reconnects catches up by itself. Each event is encoded once
// per variant (subscription topic × moderator view) as a PreparedMessage
// shared by all its receivers; a receiver whose queue is full is dropped, so
// nobody waits for a slow client.
type Hub struct {
	srv      *Server
	store    *models.Store
	log      *slog.Logger
	metrics  *metrics
	instance string // tells this instance's presence from the others'

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // hub goroutines
	connWG sync.WaitGroup // connection handlers

	mu     sync.Mutex // guards conns, topics, and every subscription and wsConn.subs
	closed bool
	conns  map[*wsConn]struct{}
	topics map[string]map[*wsConn]*subscription

	wake      chan struct{}
	lastID    atomic.Int64 // last event id published
	pollEvery atomic.Int64 // feeder safety poll, nanoseconds; 0 disables
	maxQueue  int
	nextConn  atomic.Uint64

	presence *presence
	// listener state (PostgreSQL)
	listenerPID        atomic.Int64
	listenerMinBackoff atomic.Int64 // nanoseconds
}

// subscription is one connection's interest in one topic. While it catches
// up from the log, live events for it are held in held, and sent after the
// replay, skipping what the replay already sent.
type subscription struct {
	topic      string
	catchingUp bool
	held       []*hubEvent
	// heldOverflow: more was published during the replay than can be held;
	// the replay then reads on from the log.
	heldOverflow bool
	lastSent     int64 // highest event id sent (or skipped as invisible) on it
}

// newHub starts the live side of a server.
func newHub(s *Server) (*Hub, error) {
	h := &Hub{srv: s, store: s.store, log: s.log, metrics: s.metrics,
		conns: map[*wsConn]struct{}{}, topics: map[string]map[*wsConn]*subscription{},
		wake: make(chan struct{}, 1), maxQueue: wsMaxQueue}
	var b [8]byte
	rand.Read(b[:])
	h.instance = hex.EncodeToString(b[:])
	h.pollEvery.Store(int64(feedPoll))
	h.listenerMinBackoff.Store(int64(100 * time.Millisecond))
	h.ctx, h.cancel = context.WithCancel(context.Background())
	last, err := s.store.MaxEventID(h.ctx)
	if err != nil {
		h.cancel()
		return nil, err
	}
	h.lastID.Store(last)
	h.presence = newPresence(h)
	s.store.OnCommit(func([]models.Event) { h.notify() })
	h.wg.Add(2)
	go h.runFeeder()
	go h.presence.run()
	if s.store.Dialect == models.Postgres {
		h.wg.Add(1)
		go h.runListener()
	}
	return h, nil
}

// notify wakes the feeder; it never blocks.
func (h *Hub) notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// UserChanged closes the person's websockets on this instance: they
// reconnect and are checked again (a suspended person cannot).
func (h *Hub) UserChanged(userID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.user.ID == userID {
			c.close(closeAccountChanged, "account changed")
		}
	}
}

// Close closes every connection and stops the hub's goroutines.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for c := range h.conns {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
	done := make(chan struct{})
	go func() { h.connWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.log.Warn("websocket connections still closing at shutdown")
	}
}

// register adds a connection; false once the hub is closed.
func (h *Hub) register(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	h.connWG.Add(1)
	h.metrics.WSConnections.Add(1)
	return true
}

// unregister forgets a closed connection and its presence.
func (h *Hub) unregister(c *wsConn) {
	h.mu.Lock()
	if _, ok := h.conns[c]; !ok {
		h.mu.Unlock()
		return
	}
	delete(h.conns, c)
	topics := make([]string, 0, len(c.subs))
	for t := range c.subs {
		h.dropSubLocked(c, t)
		topics = append(topics, t)
	}
	h.metrics.WSConnections.Add(-1)
	h.mu.Unlock()
	h.presence.removeConn(c, topics)
}

func (h *Hub) dropSubLocked(c *wsConn, topic string) {
	delete(c.subs, topic)
	if m := h.topics[topic]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.topics, topic)
		}
	}
}

// --- publishing -------------------------------------------------------------

// runFeeder publishes the log in id order whenever woken.
func (h *Hub) runFeeder() {
	defer h.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var tick <-chan time.Time
		if d := time.Duration(h.pollEvery.Load()); d > 0 {
			timer.Reset(d)
			tick = timer.C
		}
		select {
		case <-h.wake:
		case <-tick:
		case <-h.ctx.Done():
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		h.feed()
	}
}

// feed publishes every event after the last one published.
func (h *Hub) feed() {
	for h.ctx.Err() == nil {
		scan, err := h.store.EventsAfter(h.ctx, "", h.lastID.Load(), feedBatch)
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Error("live: reading the event log failed", "err", err.Error())
			}
			return
		}
		for _, he := range h.prepare(h.ctx, scan.Events) {
			h.publish(he)
			h.metrics.EventsPublished.Add(1)
			for _, observe := range eventObservers { // collab.go: co-editing follows status and text changes
				observe(h.srv, he.Event)
			}
			if he.Type == "user.updated" && he.SubjectUserID != nil {
				h.recheckUser(*he.SubjectUserID)
			}
		}
		if !scan.More {
			return
		}
	}
}

// recheckUser closes a person's connections when their role or status no
// longer matches what they connected with: UserChanged for the changes made
// through another instance.
func (h *Hub) recheckUser(id int64) {
	h.mu.Lock()
	var mine []*wsConn
	for c := range h.conns {
		if c.user.ID == id {
			mine = append(mine, c)
		}
	}
	h.mu.Unlock()
	if len(mine) == 0 {
		return
	}
	u, err := h.store.UserByID(h.ctx, id)
	for _, c := range mine {
		if err != nil || !u.Active() || u.Role != c.user.Role {
			c.close(closeAccountChanged, "account changed")
		}
	}
}

// publish hands one event to every subscription it is delivered on.
func (h *Hub) publish(he *hubEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Under the lock, so that a subscription registered now knows exactly
	// which events it will get live: those after lastID.
	h.lastID.Store(he.ID)
	for _, topic := range he.topics {
		for c, sub := range h.topics[topic] {
			if sub.catchingUp {
				switch {
				case sub.heldOverflow:
				case len(sub.held) >= wsMaxHeld:
					// The replay reads these from the log instead.
					sub.held, sub.heldOverflow = nil, true
				default:
					sub.held = append(sub.held, he)
				}
				continue
			}
			h.deliverLocked(c, sub, he)
		}
	}
}

// deliverLocked queues an event on a live subscription, once, if the
// receiver may see it.
func (h *Hub) deliverLocked(c *wsConn, sub *subscription, he *hubEvent) {
	if he.ID <= sub.lastSent {
		return
	}
	sub.lastSent = he.ID
	if !he.visibleTo(c.user, sub.topic) {
		return
	}
	if c.enqueue(outMsg{pm: he.prepared(sub.topic, c.staff)}) {
		h.metrics.EventsDelivered.Add(1)
	}
}

// --- events as sent ---------------------------------------------------------

// hubEvent is a committed event with what delivery needs: its actor, the
// visibility of its measure as it is now, its data with and without the
// moderators' part, and its encodings.
type hubEvent struct {
	models.Event
	topics    []string
	actor     *eventActor
	measureID int64
	access    *models.MeasureAccess // nil when the measure is gone
	full      json.RawMessage       // data as written
	public    json.RawMessage       // data without moderator_only
	modOnly   bool                  // full and public differ
	encoded   map[encKey]*websocket.PreparedMessage
}

type encKey struct {
	topic string
	staff bool
}

type eventActor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// eventMessage is the wire form of an event (API.md, "Websocket /ws").
type eventMessage struct {
	Type  string          `json:"type"`
	ID    int64           `json:"id"`
	Topic string          `json:"topic"`
	Event string          `json:"event"`
	Actor *eventActor     `json:"actor"`
	Data  json.RawMessage `json:"data"`
	At    string          `json:"at"`
}

// prepare loads, for a batch of events, their actors and the current
// visibility of their measures: once per measure per batch, after commit.
func (h *Hub) prepare(ctx context.Context, evs []models.Event) []*hubEvent {
	if len(evs) == 0 {
		return nil
	}
	actorIDs := []int64{}
	seenActor := map[int64]bool{}
	access := map[int64]*models.MeasureAccess{}
	for i := range evs {
		if a := evs[i].ActorID; a != nil && !seenActor[*a] {
			seenActor[*a] = true
			actorIDs = append(actorIDs, *a)
		}
		if m := evs[i].MeasureRef(); m != 0 {
			if _, done := access[m]; !done {
				if acc, err := h.store.MeasureAccessByID(ctx, m); err == nil {
					access[m] = &acc
				} else {
					access[m] = nil // gone: only moderators and admins see it
				}
			}
		}
	}
	users, err := h.store.UsersByIDs(ctx, actorIDs)
	if err != nil {
		users = map[int64]*models.User{}
	}
	// A comment hidden or deleted since its event was written is no longer
	// readable: members get the event without its text (models/comments.go).
	commentOf := make([]int64, len(evs))
	var commentIDs []int64
	for i := range evs {
		if strings.Contains(evs[i].Payload, `"comment_id"`) {
			var d struct {
				CommentID int64 `json:"comment_id"`
			}
			if json.Unmarshal([]byte(evs[i].Payload), &d) == nil && d.CommentID > 0 {
				commentOf[i] = d.CommentID
				commentIDs = append(commentIDs, d.CommentID)
			}
		}
	}
	unreadable, err := h.store.UnreadableComments(ctx, commentIDs)
	if err != nil {
		unreadable = map[int64]bool{}
		for _, id := range commentIDs {
			unreadable[id] = true // when in doubt, members get no text
		}
	}
	out := make([]*hubEvent, len(evs))
	for i := range evs {
		he := &hubEvent{Event: evs[i], topics: evs[i].Topics(), measureID: evs[i].MeasureRef()}
		if he.measureID != 0 {
			he.access = access[he.measureID]
		}
		if a := evs[i].ActorID; a != nil {
			he.actor = &eventActor{ID: *a}
			if u := users[*a]; u != nil {
				he.actor.Name = u.Name
			}
		}
		he.full, he.public = publicData(evs[i].Payload, unreadable[commentOf[i]])
		he.modOnly = !bytes.Equal(he.full, he.public)
		out[i] = he
	}
	return out
}

// publicData gives the data as written and as members see it: without
// data.moderator_only (a hidden comment's body, a report's reason), and
// without the text of a comment they may no longer read.
func publicData(payload string, unreadableComment bool) (full, public json.RawMessage) {
	full = json.RawMessage(payload)
	if len(payload) == 0 || !json.Valid(full) {
		full = json.RawMessage("{}")
		return full, full
	}
	if !unreadableComment && !strings.Contains(payload, `"moderator_only"`) {
		return full, full
	}
	var m map[string]any
	if err := json.Unmarshal(full, &m); err != nil {
		return full, json.RawMessage("{}")
	}
	_, modOnly := m["moderator_only"]
	delete(m, "moderator_only")
	redacted := unreadableComment && models.RedactCommentData(m, map[int64]bool{models.CommentIDOf(m): true})
	if !modOnly && !redacted {
		return full, full
	}
	b, err := json.Marshal(m)
	if err != nil {
		return full, json.RawMessage("{}")
	}
	return full, b
}

// visibleTo decides, at send time, whether a person receives the event on
// a topic: their own user topic only, and only events of measures they may
// see.
func (he *hubEvent) visibleTo(u *models.User, topic string) bool {
	if !u.Active() {
		return false
	}
	kind, id, ok := models.ParseTopic(topic)
	if !ok || (kind == models.TopicKindUser && id != u.ID) {
		return false
	}
	if he.measureID != 0 {
		if he.access == nil {
			return models.CanSeeMeasure(u, models.MeasureAccess{ID: he.measureID})
		}
		return models.CanSeeMeasure(u, *he.access)
	}
	return true
}

// message encodes the event as sent on a topic.
func (he *hubEvent) message(topic string, staff bool) []byte {
	data := he.public
	if staff && he.modOnly {
		data = he.full
	}
	b, _ := json.Marshal(eventMessage{Type: "event", ID: he.ID, Topic: topic, Event: he.Type, Actor: he.actor,
		Data: data, At: jsonTime(he.CreatedAt)})
	return b
}

// prepared is the shared encoding for a variant, made on first use. Only
// the feeder and catch-up flushes call it, under the hub lock.
func (he *hubEvent) prepared(topic string, staff bool) *websocket.PreparedMessage {
	staff = staff && he.modOnly // one encoding serves everyone when nothing is for moderators
	key := encKey{topic, staff}
	if pm := he.encoded[key]; pm != nil {
		return pm
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, he.message(topic, staff))
	if err != nil {
		return nil
	}
	if he.encoded == nil {
		he.encoded = make(map[encKey]*websocket.PreparedMessage, 2)
	}
	he.encoded[key] = pm
	return pm
}
