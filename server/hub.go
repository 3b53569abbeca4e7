package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
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
	wsSessionCheck = 30 * time.Second // how soon a session ended elsewhere closes its sockets here
)

// Close codes beyond RFC 6455's.
const (
	closeAccountChanged = 4001 // signed out, suspended or role changed: reconnect to be checked again
)

// Hub fans committed events out to this instance's websocket connections.
//
// One feeder goroutine publishes the event log in id order: it wakes after
// each local commit (Store.OnCommit) and, on PostgreSQL, on every NOTIFY
// from any instance, and reads the events after the last id it published
// (a local commit that follows that id without a gap is published as
// handed over, without the read). Reading from the log rather than
// trusting notifications means an event is published exactly once, in
// order, whichever instance wrote it, and a listener that reconnects
// catches up by itself. Each event is encoded once
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
	topics map[string][]*subscription // a slice, for the publisher to run through quickly
	limits wsLimits                   // websockets per account and in all (hub_limits.go)

	wake       chan struct{}
	committed  chan []models.Event             // this instance's commits, for the feeder
	accessSeen map[int64]*models.MeasureAccess // feeder only: see shareAccess
	namesMu    sync.Mutex
	names      map[int64]string // actor display names
	lastID     atomic.Int64     // last event id published
	pollEvery  atomic.Int64     // feeder safety poll, nanoseconds; 0 disables
	// sessionCheckEvery: how often the sessions of open sockets are
	// checked (checkSessions), nanoseconds; 0 disables.
	sessionCheckEvery atomic.Int64
	lastSessionCheck  time.Time // guarded by mu
	maxQueue          int
	nextConn          atomic.Uint64

	presence *presence
	collab   *collabService       // co-editing (collab.go), closed with the hub
	handlers map[string]wsHandler // client message types beyond subscriptions (ws_registry.go)
	// listener state (PostgreSQL)
}

// subscription is one connection's interest in one topic. While it catches
// up from the log, live events for it are held in held, and sent after the
// replay, skipping what the replay already sent.
type subscription struct {
	conn       *wsConn
	idx        int // in hub.topics[topic]
	topic      string
	catchingUp bool
	held       []*hubEvent
	// heldOverflow: more was published during the replay than can be held;
	// the replay then reads on from the log.
	heldOverflow bool
	lastSent     int64 // highest event id sent (or skipped as invisible) on it
	// The visibility decided for the last event, and the measure access it
	// was decided on: the feeder reuses one access value while a measure's
	// visibility is unchanged, so most events need no new decision.
	decidedFor *models.MeasureAccess
	visible    bool
}

// newHub builds the live side of a server; start runs it.
func newHub(s *Server) *Hub {
	h := &Hub{srv: s, store: s.store, log: s.log, metrics: s.metrics,
		conns: map[*wsConn]struct{}{}, topics: map[string][]*subscription{},
		wake: make(chan struct{}, 1), committed: make(chan []models.Event, 64), maxQueue: wsMaxQueue,
		accessSeen: map[int64]*models.MeasureAccess{}, names: map[int64]string{}, limits: newWSLimits(s.cfg)}
	h.instance = s.instance
	h.pollEvery.Store(int64(feedPoll))
	h.sessionCheckEvery.Store(int64(wsSessionCheck))
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.presence = newPresence(h)
	h.collab = newCollabService(s)
	h.handlers = h.messageHandlers()
	// Other instances' commits and presence (PostgreSQL). A notification
	// only wakes the feeder, which reads the log after the last id it
	// published; after a reconnection it is woken to catch up, and this
	// instance's presence is announced again.
	s.notifier.Listen(s.store.Channel, func(string) { h.notify() }, func() {
		h.notify()
		h.presence.reannounce()
	})
	s.notifier.Listen(s.store.PresenceChannel(), h.presence.receive, nil)
	return h
}

// start runs the hub from the end of the event log: the feeder (which
// publishes events after commit), the pinger, presence, the PostgreSQL
// listener, and co-editing.
func (h *Hub) start(ctx context.Context) error {
	last, err := h.store.MaxEventID(ctx)
	if err != nil {
		return err
	}
	h.lastID.Store(last)
	h.store.OnCommit(func(evs []models.Event) {
		// The public Pact goes stale at once, in the writer's goroutine, so
		// that the writer's next read already sees its publication (other
		// instances hear it through publishBatch).
		for _, ev := range evs {
			h.srv.public.observe(ev)
		}
		select {
		case h.committed <- evs:
		default:
			h.notify() // the feeder is busy: it reads them from the log
		}
	})
	h.wg.Add(3)
	go h.runFeeder()
	go h.runPinger()
	go h.presence.run()
	h.collab.start()
	return nil
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

// SessionEnded closes, with 4001, this instance's websockets opened with a
// browser session that was just signed out. Sessions ended elsewhere
// (another instance, "sign out everywhere") are found by checkSessions.
func (h *Hub) SessionEnded(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.session == id {
			c.close(closeAccountChanged, "signed out")
		}
	}
}

// SessionsEndedFor closes every websocket of an account whose sessions all
// ended (a password reset).
func (h *Hub) SessionsEndedFor(userID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.user.ID == userID && c.session != "" {
			c.close(closeAccountChanged, "signed out")
		}
	}
}

// checkSessions closes the websockets whose session no longer exists. A
// database that does not answer closes nothing: it is asked again next time.
func (h *Hub) checkSessions() {
	h.mu.Lock()
	ids := map[string]bool{}
	active := map[string]bool{}
	since := h.lastSessionCheck
	h.lastSessionCheck = time.Now()
	for c := range h.conns {
		if c.session != "" {
			ids[c.session] = true
			// A socket that never sent a message was not active; before the
			// first check, since is the zero time, whose UnixNano is far
			// below any instant and would count every socket.
			if a := c.active.Load(); a != 0 && a > since.UnixNano() {
				active[c.session] = true
			}
		}
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	// Sessions used through their sockets since the last check are in
	// use, as if a page had been requested: only then is expiry judged.
	if err := h.store.TouchSessions(ctx, slices.Collect(maps.Keys(active))); err != nil && h.ctx.Err() == nil {
		h.log.Warn("live: cannot record session activity", "err", err.Error())
	}
	live, err := h.store.ExistingSessions(ctx, list)
	if err != nil {
		if h.ctx.Err() == nil {
			h.log.Warn("live: cannot check sessions", "err", err.Error())
		}
		return
	}
	for _, id := range list {
		if !live[id] {
			h.SessionEnded(id)
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
	h.collab.close()
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
	h.releaseSlotLocked(c.user.ID)
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
	sub := c.subs[topic]
	delete(c.subs, topic)
	if sub == nil {
		return
	}
	list := h.topics[topic]
	last := len(list) - 1
	if sub.idx > last || list[sub.idx] != sub {
		return
	}
	list[sub.idx] = list[last]
	list[sub.idx].idx = sub.idx
	list[last] = nil
	if last == 0 {
		delete(h.topics, topic)
	} else {
		h.topics[topic] = list[:last]
	}
}

// addSubLocked registers a subscription.
func (h *Hub) addSubLocked(c *wsConn, sub *subscription) {
	sub.conn = c
	c.subs[sub.topic] = sub
	sub.idx = len(h.topics[sub.topic])
	h.topics[sub.topic] = append(h.topics[sub.topic], sub)
}

// runPinger asks every connection for a ping each wsPingPeriod, a quarter
// of them each quarter period so the pongs do not all come at once. One
// ticker for the hub rather than a timer per connection.
func (h *Hub) runPinger() {
	defer h.wg.Done()
	const slices = 4
	t := time.NewTicker(wsPingPeriod / slices)
	defer t.Stop()
	lastCheck := time.Now()
	for n := uint64(0); ; n++ {
		select {
		case <-t.C:
		case <-h.ctx.Done():
			return
		}
		if every := time.Duration(h.sessionCheckEvery.Load()); every > 0 && time.Since(lastCheck) >= every {
			lastCheck = time.Now()
			h.checkSessions()
		}
		h.mu.Lock()
		for c := range h.conns {
			if c.id%slices == n%slices {
				c.requestPing()
			}
		}
		h.mu.Unlock()
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
		var committed []models.Event
		select {
		case <-h.wake:
		case committed = <-h.committed:
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
		var err error
		if committed != nil {
			err = h.fromCommit(committed)
		} else {
			err = h.feed()
		}
		h.retryFeed(err)
	}
}

// Feeder retries after a database error: the first soon, then less often.
const (
	feedRetryMin = 50 * time.Millisecond
	feedRetryMax = 2 * time.Second
)

// retryFeed reads the log again until it publishes without an error. A
// failed read or access lookup never moves the published position on: the
// events after it are published, in order, once the database answers
// again (the feeder does nothing else meanwhile, as every later event
// would wait for them anyway).
func (h *Hub) retryFeed(err error) {
	backoff := feedRetryMin
	for n := 0; err != nil && h.ctx.Err() == nil; n++ {
		if n == 0 || n%32 == 0 {
			h.log.Warn("live: cannot publish events yet; retrying", "err", err.Error(), "attempt", n+1)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-h.ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, feedRetryMax)
		err = h.feed()
	}
}

// fromCommit publishes the events a local transaction just committed. When
// they follow the last published id without a gap they are published as
// they are, sparing a read of the log; otherwise (another instance wrote in
// between, or commits were handed over out of order) the log is read.
func (h *Hub) fromCommit(evs []models.Event) error {
	last := h.lastID.Load()
	if len(evs) == 0 || evs[len(evs)-1].ID <= last {
		return nil
	}
	for i := range evs {
		if evs[i].ID != last+1+int64(i) {
			return h.feed()
		}
	}
	return h.publishBatch(evs)
}

// feed publishes every event after the last one published. An error
// (reading the log, or what delivery depends on) leaves the position where
// it was.
func (h *Hub) feed() error {
	for h.ctx.Err() == nil {
		scan, err := h.store.EventsAfter(h.ctx, "", h.lastID.Load(), feedBatch)
		if err != nil {
			return err
		}
		if err := h.publishBatch(scan.Events); err != nil {
			return err
		}
		if !scan.More {
			return nil
		}
	}
	return nil
}

// publishBatch publishes events that follow the last one published, in
// order; nothing of the batch when what deciding on them needs cannot be
// read.
func (h *Hub) publishBatch(evs []models.Event) error {
	for i := range evs {
		if strings.HasPrefix(evs[i].Type, "user.") && evs[i].SubjectUserID != nil {
			h.forgetName(*evs[i].SubjectUserID) // a new name shows from this event on
		}
	}
	prepared, err := h.prepare(h.ctx, evs)
	if err != nil {
		return err
	}
	for _, he := range prepared {
		h.shareAccess(he)
		h.publish(he)
		h.metrics.EventsPublished.Add(1)
		// Co-editing follows status, text and access changes (collab.go).
		h.collab.observe(he.Event, he.access, he.accessAt)
		// The public Pact is made again after a publication (public_pact.go).
		h.srv.public.observe(he.Event)
		// The search index follows the log (search_index.go).
		h.srv.search.observe(he.Event)
		if renamesSomeone(he.Event) {
			// Rendered pages are keyed by their measure's events, which a
			// name change does not touch: they name people, so they go.
			h.srv.forgetRenderedNames()
		}
		if (he.Type == "user.updated" || he.Type == "user.erased") && he.SubjectUserID != nil {
			h.recheckUser(*he.SubjectUserID)
		}
	}
	return nil
}

// renamesSomeone reports whether an event changes how a person is named:
// an erasure, or a profile's new name.
func renamesSomeone(ev models.Event) bool {
	if ev.Type == "user.erased" {
		return true
	}
	return ev.Type == "user.updated" && strings.Contains(ev.Payload, `"name":`)
}

// shareAccess replaces an event's measure access by the one the previous
// event of that measure had, when they are equal, so subscriptions can keep
// their decision (see subscription.decidedFor). Feeder only.
func (h *Hub) shareAccess(he *hubEvent) {
	if he.access == nil {
		return
	}
	if prev := h.accessSeen[he.measureID]; prev != nil && sameAccess(prev, he.access) {
		he.access = prev
		return
	}
	if len(h.accessSeen) >= 10000 {
		clear(h.accessSeen)
	}
	h.accessSeen[he.measureID] = he.access
}

func sameAccess(a, b *models.MeasureAccess) bool {
	return a.ID == b.ID && a.LeadOrgID == b.LeadOrgID && a.Visibility == b.Visibility && a.Status == b.Status &&
		slices.Equal(a.CosponsorOrgIDs, b.CosponsorOrgIDs) && slices.Equal(a.EditorIDs, b.EditorIDs)
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

// publish hands one event to every subscription it is delivered on. It
// runs for every event and every receiver: what can be decided once per
// event and topic is.
func (h *Hub) publish(he *hubEvent) {
	var ended []endedSub
	defer func() { h.afterEnded(ended) }()
	h.mu.Lock()
	defer h.mu.Unlock()
	// Under the lock, so that a subscription registered now knows exactly
	// which events it will get live: those after lastID.
	h.lastID.Store(he.ID)
	var delivered uint64
	for _, topic := range he.topics {
		subs := h.topics[topic]
		if len(subs) == 0 {
			continue
		}
		kind, id, _ := models.ParseTopic(topic)
		var forMembers, forStaff *websocket.PreparedMessage
		for _, sub := range subs {
			c := sub.conn
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
			if he.ID <= sub.lastSent {
				continue
			}
			sub.lastSent = he.ID
			if he.access != nil && sub.decidedFor == he.access {
				// Same measure access as the last event: same answer.
				if !sub.visible {
					continue
				}
			} else {
				sub.visible = he.visibleOn(c.user, kind, id)
				sub.decidedFor = he.access
				if !sub.visible {
					if kind == models.TopicKindMeasure {
						// The measure is no longer theirs to see: the
						// subscription ends (after this loop, which the
						// removal would disturb).
						ended = append(ended, endedSub{c, topic})
					}
					continue
				}
			}
			var pm *websocket.PreparedMessage
			if c.staff && he.modOnly {
				if forStaff == nil {
					forStaff = he.prepared(topic, true)
				}
				pm = forStaff
			} else {
				if forMembers == nil {
					forMembers = he.prepared(topic, false)
				}
				pm = forMembers
			}
			if c.enqueue(outMsg{pm: pm}) {
				delivered++
			}
		}
	}
	h.metrics.EventsDelivered.Add(delivered)
	for _, e := range ended {
		h.endSubLocked(e.conn, e.topic)
	}
}

// endedSub is a subscription ended because its person lost access.
type endedSub struct {
	conn  *wsConn
	topic string
}

// endSubLocked ends a connection's subscription to a measure it may no
// longer see (docs/API.md: an error forbidden with the topic, then nothing more
// about that measure). The caller then passes it to afterEnded, without
// the hub lock.
func (h *Hub) endSubLocked(c *wsConn, topic string) bool {
	if c.subs[topic] == nil {
		return false
	}
	h.dropSubLocked(c, topic)
	c.Send(wsErrorMessage{Type: "error", Code: "forbidden", Message: "You no longer have access to this measure.", Topic: topic})
	return true
}

// afterEnded forgets the presence of ended subscriptions.
func (h *Hub) afterEnded(ended []endedSub) {
	for _, e := range ended {
		h.presence.removeConn(e.conn, []string{e.topic})
	}
}

// deliverLocked queues an event on a live subscription, once, if the
// receiver may see it; false when the receiver lost sight of the measure
// (the caller ends the subscription).
func (h *Hub) deliverLocked(c *wsConn, sub *subscription, he *hubEvent) bool {
	if he.ID <= sub.lastSent {
		return true
	}
	sub.lastSent = he.ID
	if !he.visibleTo(c.user, sub.topic) {
		k, _, _ := models.ParseTopic(sub.topic)
		return k != models.TopicKindMeasure
	}
	if c.enqueue(outMsg{pm: he.prepared(sub.topic, c.staff)}) {
		h.metrics.EventsDelivered.Add(1)
	}
	return true
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
	accessAt  time.Time             // when access was read (it is at least as recent)
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

// eventMessage is the wire form of an event (docs/API.md, "Websocket /ws").
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
// An error (the database did not answer) means nothing may be decided on
// the batch: the caller retries, as a measure whose access cannot be read
// is not a measure that is gone.
func (h *Hub) prepare(ctx context.Context, evs []models.Event) ([]*hubEvent, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	accessAt := time.Now()
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
				acc, err := h.store.MeasureAccessByID(ctx, m)
				switch {
				case err == nil:
					access[m] = &acc
				case models.ErrorKind(err) == models.ENotFound:
					access[m] = nil // gone: only moderators and admins see it
				default:
					return nil, err
				}
			}
		}
	}
	names, err := h.actorNames(ctx, actorIDs)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	out := make([]*hubEvent, len(evs))
	for i := range evs {
		he := &hubEvent{Event: evs[i], topics: evs[i].Topics(), measureID: evs[i].MeasureRef(), accessAt: accessAt}
		if he.measureID != 0 {
			he.access = access[he.measureID]
		}
		if a := evs[i].ActorID; a != nil {
			he.actor = &eventActor{ID: *a, Name: names[*a]}
		}
		he.full, he.public = publicData(evs[i].Payload, unreadable[commentOf[i]])
		he.modOnly = !bytes.Equal(he.full, he.public)
		out[i] = he
	}
	return out, nil
}

// actorNames gives the display names of event actors, from a cache that
// the feeder clears for a person whenever a user.* event about them passes.
func (h *Hub) actorNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	var missing []int64
	h.namesMu.Lock()
	for _, id := range ids {
		if n, ok := h.names[id]; ok {
			out[id] = n
		} else {
			missing = append(missing, id)
		}
	}
	h.namesMu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	users, err := h.store.UsersByIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	h.namesMu.Lock()
	defer h.namesMu.Unlock()
	if len(h.names) > 10000 {
		clear(h.names)
	}
	for id, u := range users {
		out[id] = u.Name
		h.names[id] = u.Name
	}
	return out, nil
}

func (h *Hub) forgetName(id int64) {
	h.namesMu.Lock()
	delete(h.names, id)
	h.namesMu.Unlock()
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
	kind, id, ok := models.ParseTopic(topic)
	return ok && he.visibleOn(u, kind, id)
}

// visibleOn is visibleTo with the topic parsed.
func (he *hubEvent) visibleOn(u *models.User, kind string, id int64) bool {
	if !u.Active() || kind == "" || (kind == models.TopicKindUser && id != u.ID) {
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
