package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"pacte/collab"
	"pacte/models"
)

// Co-editing over the websocket (docs/API.md collab.* messages, docs/DESIGN.md
// "Co-editing"). The database is the authority: a push is accepted by
// models.Store.PushCollab, in one transaction, only at the current version.
// This file keeps, per instance, who has joined which measure (a room), and
// sends every accepted update to them in version order with no gap and no
// duplicate, whichever instance accepted it.
//
// A room holds the text at the last version it sent (so a joining editor
// gets collab.doc without touching the database, and exactly the updates
// after it) and the most recent updates (so a pull is usually answered from
// memory). Updates accepted here are offered to the room straight after
// commit; updates accepted elsewhere (another instance, an edit through the
// API) are read from collab_updates when the room learns of them: a NOTIFY
// on PostgreSQL, a measure event from the hub, or a slow safety poll.

// Tunables.
const (
	collabFoldIdle     = 3 * time.Second // an editing burst ends after this much quiet
	collabRecent       = 512             // updates a room keeps for pulls
	collabMaxRooms     = 16              // measures one connection may join at once
	collabPollEvery    = 5 * time.Second // safety net behind notifications
	collabMaxCursorPos = 1 << 30
)

// collabService is the co-editing side of one Server.
type collabService struct {
	s        *Server
	store    *models.Store
	log      *slog.Logger
	instance string // tells this instance's cursor notifications from the others'

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines, started through spawn
	life   sync.Mutex     // guards dead and wg.Add; a leaf lock, taken under any other
	dead   bool

	mu     sync.Mutex // guards everything below; taken before any room's mu
	closed bool
	idle   time.Duration
	rooms  map[int64]*collabRoom
	joined map[uint64]map[int64]bool // connection id → measures it joined
	folds  map[int64]*time.Timer
}

// newCollabService builds the co-editing side of a server; the hub holds
// it (newHub), starts it (Hub.start) and closes it (Hub.Close), so that a
// message handled after Close finds it closed rather than starting another.
func newCollabService(s *Server) *collabService {
	ctx, cancel := context.WithCancel(context.Background())
	c := &collabService{s: s, store: s.store, log: s.log, instance: s.instance,
		ctx: ctx, cancel: cancel, idle: collabFoldIdle,
		rooms: map[int64]*collabRoom{}, joined: map[uint64]map[int64]bool{}, folds: map[int64]*time.Timer{}}
	// Updates and cursors from other instances; after a reconnection every
	// room checks the database's version.
	s.notifier.Listen(s.store.CollabChannel(), c.onNotify, c.refreshAll)
	return c
}

// start runs the safety poll behind the notifications of updates accepted
// elsewhere, and saves what a previous run left unsaved.
func (c *collabService) start() {
	c.spawn(c.poll)
	c.resumeFolds()
}

// isClosed reports whether the service was closed (the server is stopping).
func (c *collabService) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// errCollabClosed answers collab.* messages that arrive once the server is
// stopping.
var errCollabClosed = models.CodedError(models.EUnavailable, "unavailable", "Co-editing is stopping; reconnect in a moment.")

// spawn runs fn in a goroutine that close waits for; false once closed.
func (c *collabService) spawn(fn func()) bool {
	c.life.Lock()
	defer c.life.Unlock()
	if c.dead {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// SetCollabIdle changes how long a measure must stay quiet before its
// co-edits are saved as a revision (3 s by default), for tests.
func (s *Server) SetCollabIdle(d time.Duration) {
	c := s.hub.collab
	c.mu.Lock()
	c.idle = d
	c.mu.Unlock()
}

// close stops the service's goroutines and timers.
func (c *collabService) close() {
	c.mu.Lock()
	c.closed = true
	for id, t := range c.folds {
		t.Stop()
		delete(c.folds, id)
	}
	c.mu.Unlock()
	c.life.Lock()
	c.dead = true
	c.life.Unlock()
	c.cancel()
	c.wg.Wait()
}

// --- wire messages ------------------------------------------------------------

// collabIn is every collab.* client message (docs/API.md).
type collabIn struct {
	Measure  int64           `json:"measure"`
	Version  *int64          `json:"version"`
	Updates  []collab.Update `json:"updates"`
	ClientID string          `json:"clientID"`
	Anchor   *int64          `json:"anchor"`
	Head     *int64          `json:"head"`
}

type collabDocMsg struct {
	Type    string `json:"type"`
	Measure int64  `json:"measure"`
	Version int64  `json:"version"`
	Doc     string `json:"doc"`
}

type collabUpdatesMsg struct {
	Type    string          `json:"type"`
	Measure int64           `json:"measure"`
	From    int64           `json:"from"`
	Updates []collab.Update `json:"updates"`
}

type collabAckMsg struct {
	Type    string `json:"type"`
	Measure int64  `json:"measure"`
	Version int64  `json:"version"`
}

type collabRejectedMsg struct {
	Type    string `json:"type"`
	Measure int64  `json:"measure"`
	Version *int64 `json:"version,omitempty"`
	Reason  string `json:"reason"`
}

type collabUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// collabCursorMsg is an editor's selection as others receive it. Left marks
// an editor who stopped editing (anchor and head are then null): the
// editor removes their cursor at once instead of after its time to live.
type collabCursorMsg struct {
	Type     string     `json:"type"`
	Measure  int64      `json:"measure"`
	User     collabUser `json:"user"`
	ClientID string     `json:"clientID"`
	Anchor   *int64     `json:"anchor"`
	Head     *int64     `json:"head"`
	Left     bool       `json:"left,omitempty"`
}

func rejected(measure int64, version int64, reason string) collabRejectedMsg {
	m := collabRejectedMsg{Type: "collab.rejected", Measure: measure, Reason: reason}
	if version >= 0 {
		m.Version = &version
	}
	return m
}

func parseCollab(raw json.RawMessage, needVersion bool) (collabIn, error) {
	var in collabIn
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, models.CodedError(models.EMalformed, "malformed", "This collab message is not valid JSON of the expected shape.")
	}
	if in.Measure <= 0 {
		return in, models.CodedError(models.EMalformed, "malformed", "A collab message needs the measure id.")
	}
	if needVersion && (in.Version == nil || *in.Version < 0) {
		return in, models.CodedError(models.EMalformed, "malformed", "This collab message needs the version you have.")
	}
	return in, nil
}

// rejectReason turns a store refusal into a collab.rejected reason, or ""
// for an internal failure.
func rejectReason(err error) string {
	var ae *models.Error
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.Code {
	case models.CollabStale, models.CollabInvalid, models.CollabForbidden, models.CollabNotEditable, models.CollabGone:
		return ae.Code
	}
	if ae.Kind == models.ENotFound || ae.Kind == models.EForbidden {
		return models.CollabForbidden // a measure one may not see does not exist
	}
	return ""
}

// --- handlers -----------------------------------------------------------------

// handleCollabJoin answers collab.doc with the text and its version, then
// sends the connection every update after it. A person who may see the
// measure but not change it (not an editor, or not in an editable status)
// gets the text and at once a collab.rejected saying why, so the editor
// shows it read-only with the reason.
func (c *collabService) handleJoin(conn WSConn, raw json.RawMessage) error {
	in, err := parseCollab(raw, false)
	if err != nil {
		return err
	}
	if c.isClosed() {
		return errCollabClosed
	}
	u := conn.User()
	checkedAt := time.Now() // the member is checked again only against later reads
	acc, ok, err := c.visibleAccess(conn, u, in.Measure)
	if !ok {
		return err
	}
	room, err := c.join(conn, in.Measure, checkedAt, acc.Editor, acc.Editor && acc.Editable)
	if err != nil {
		if dbFailure(err) {
			return errCollabUnavailable
		}
		return err
	}
	if room == nil {
		return models.CodedError(models.ETooMany, "too_many_documents", "A connection may edit only a few measures at once.")
	}
	switch {
	case !acc.Editor:
		conn.Send(rejected(in.Measure, room.currentVersion(), models.CollabForbidden))
	case !acc.Editable:
		conn.Send(rejected(in.Measure, room.currentVersion(), models.CollabNotEditable))
	}
	return nil
}

// handleCollabPush accepts updates at the current version, or says why not.
func (c *collabService) handlePush(conn WSConn, raw json.RawMessage) error {
	in, err := parseCollab(raw, true)
	if err != nil {
		return err
	}
	if c.isClosed() {
		return errCollabClosed
	}
	room := c.room(in.Measure)
	if room != nil && room.mayPush(conn.ID()) {
		// Pushes to one measure take turns here: when many editors push at
		// the same version, the first one's transaction settles it and the
		// others are told they are stale from memory, without each taking
		// the database's write lock in turn. (Only for joined editors:
		// anyone else is checked by the store first, and learns nothing.)
		room.pushMu.Lock()
		defer room.pushMu.Unlock()
		// A version the room has already sent past is stale for sure:
		// versions never go back.
		if v, ok := room.knownVersion(); ok && *in.Version < v {
			conn.Send(rejected(in.Measure, v, models.CollabStale))
			return nil
		}
	}
	pushedAt := time.Now()
	commit, err := c.store.PushCollab(conn.Context(), conn.User(), in.Measure, *in.Version, in.Updates)
	if err != nil {
		reason := rejectReason(err)
		if reason == "" {
			if !dbFailure(err) {
				return err
			}
			if conn.Context().Err() != nil {
				return nil // the connection is closing
			}
			// The database did not answer: nothing was applied. Refused as
			// stale, without a version, the client pulls and pushes again
			// (docs/API.md), rather than giving up on an internal error.
			c.log.Warn("collab: a push failed on a database error; the client will retry", "measure", in.Measure, "err", err.Error())
			conn.Send(rejected(in.Measure, -1, models.CollabStale))
			return nil
		}
		conn.Send(rejected(in.Measure, commit.Version, reason))
		if reason == models.CollabStale && room != nil {
			// The room may not have heard of the versions that beat us yet.
			room.catchUp(commit.Version)
		}
		return nil
	}
	if room != nil {
		// Whoever lost access before this push committed gets none of it.
		c.recheck(room, commit.Access, pushedAt)
		room.offer(commit.From, commit.Updates, &commit.Doc)
	}
	conn.Send(collabAckMsg{Type: "collab.ack", Measure: in.Measure, Version: commit.Version})
	c.scheduleFold(in.Measure, 0)
	return nil
}

// applied hands the room a change the server committed itself (an
// accepted suggestion) as it does a push: straight after commit, to the
// members who still have access, and saves the burst.
func (c *collabService) applied(commit models.CollabCommit, at time.Time) {
	if room := c.room(commit.MeasureID); room != nil {
		c.recheck(room, commit.Access, at)
		room.offer(commit.From, commit.Updates, &commit.Doc)
	}
	c.scheduleFold(commit.MeasureID, 0)
}

// handleCollabPull sends the updates from the asked version on.
func (c *collabService) handlePull(conn WSConn, raw json.RawMessage) error {
	in, err := parseCollab(raw, true)
	if err != nil {
		return err
	}
	if c.isClosed() {
		return errCollabClosed
	}
	// Checked at every pull, members included: access may have gone since
	// they joined.
	_, ok, err := c.visibleAccess(conn, conn.User(), in.Measure)
	if !ok {
		return err
	}
	room := c.room(in.Measure)
	if room != nil {
		// The room's memory may still hold updates retention compacted
		// away; a version below the floor is gone all the same, so that
		// the answer does not depend on which instance or room is asked.
		// When the database does not answer, memory still does: what it
		// holds is right, only perhaps more than is kept.
		if floor, err := c.store.CollabFloor(conn.Context(), in.Measure); err == nil && *in.Version < floor {
			conn.Send(rejected(in.Measure, room.currentVersion(), models.CollabGone))
			return nil
		}
		if ups, ok := room.recentSince(*in.Version); ok {
			conn.Send(collabUpdatesMsg{Type: "collab.updates", Measure: in.Measure, From: *in.Version, Updates: ups})
			return nil
		}
	}
	log, err := c.store.CollabUpdatesSince(conn.Context(), in.Measure, *in.Version)
	if err != nil {
		if reason := rejectReason(err); reason != "" {
			conn.Send(rejected(in.Measure, log.Version, reason))
			return nil
		}
		return errCollabUnavailable
	}
	updates := log.Updates
	if updates == nil {
		updates = []collab.Update{}
	}
	conn.Send(collabUpdatesMsg{Type: "collab.updates", Measure: in.Measure, From: log.From, Updates: updates})
	return nil
}

// visibleAccess reads what the person may do with the measure's text. ok is
// false when the caller must stop: a database failure (err is
// errCollabUnavailable), another error, or a measure they may not see,
// which has been answered with collab.rejected forbidden (err nil).
func (c *collabService) visibleAccess(conn WSConn, u *models.User, measure int64) (models.CollabAccess, bool, error) {
	acc, err := c.store.CollabAccessFor(conn.Context(), u, measure)
	if err != nil {
		if dbFailure(err) {
			return acc, false, errCollabUnavailable
		}
		return acc, false, err
	}
	if !acc.Visible {
		conn.Send(rejected(measure, -1, models.CollabForbidden))
		return acc, false, nil
	}
	return acc, true, nil
}

// errCollabUnavailable answers a pull the database could not serve; the
// client's pull times out and it pulls again.
var errCollabUnavailable = models.CodedError(models.EUnavailable, "unavailable", "The text cannot be read right now; trying again.")

// handleCollabLeave stops sending the measure's updates to the connection.
func (c *collabService) handleLeave(conn WSConn, raw json.RawMessage) error {
	in, err := parseCollab(raw, false)
	if err != nil {
		return err
	}
	if c.isClosed() {
		return errCollabClosed
	}
	c.leave(conn.ID(), in.Measure)
	return nil
}

// handleCollabCursor relays an editor's selection to the other editors of
// the measure, on every instance; it is not stored. Only joined editors who
// may push share a cursor.
func (c *collabService) handleCursor(conn WSConn, raw json.RawMessage) error {
	in, err := parseCollab(raw, false)
	if err != nil {
		return err
	}
	if in.ClientID == "" || len(in.ClientID) > 100 || in.Anchor == nil ||
		*in.Anchor < 0 || *in.Anchor > collabMaxCursorPos ||
		(in.Head != nil && (*in.Head < 0 || *in.Head > collabMaxCursorPos)) {
		return models.CodedError(models.EMalformed, "malformed", "A cursor needs a clientID and positions.")
	}
	head := in.Head
	if head == nil {
		head = in.Anchor
	}
	if c.isClosed() {
		return errCollabClosed
	}
	room := c.room(in.Measure)
	if room == nil {
		return nil
	}
	u := conn.User()
	msg := collabCursorMsg{Type: "collab.cursor", Measure: in.Measure, User: collabUser{ID: u.ID, Name: u.Name},
		ClientID: in.ClientID, Anchor: in.Anchor, Head: head}
	if !room.cursorFrom(conn.ID(), msg) {
		return nil
	}
	c.notifyCursor(msg)
	return nil
}

// --- rooms --------------------------------------------------------------------

// collabRoom is one measure being edited through this instance.
type collabRoom struct {
	c       *collabService
	measure int64
	pushMu  sync.Mutex // pushes through this instance, one at a time

	mu      sync.Mutex
	members map[uint64]*collabMember
	loaded  bool       // doc and version hold the text as sent
	version int64      // last version sent to members
	doc     collab.Doc // text at version
	recent  []collab.Update
	// recent[i] is the update that made version recentFrom+i+1.
	recentFrom int64
	pending    map[int64]collabOffer // updates accepted here that arrived before earlier ones
	target     int64                 // highest version known to exist
	fetching   bool
}

type collabMember struct {
	conn    WSConn
	since   time.Time // when the access it joined with was checked
	editor  bool      // joined as an editor: loses the session when no longer one
	canPush bool
	cursors map[string]bool // clientIDs whose cursor others see
}

type collabOffer struct {
	updates []collab.Update
	doc     *collab.Doc
}

// room gives the measure's room if anyone joined it here.
func (c *collabService) room(measure int64) *collabRoom {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms[measure]
}

// join adds the connection to the measure's room and sends it collab.doc.
// nil when the connection already follows too many measures.
func (c *collabService) join(conn WSConn, measure int64, since time.Time, editor, canPush bool) (*collabRoom, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, errors.New("co-editing is shutting down")
		}
		mine := c.joined[conn.ID()]
		if !mine[measure] && len(mine) >= collabMaxRooms {
			c.mu.Unlock()
			return nil, nil
		}
		room := c.rooms[measure]
		if room == nil {
			room = &collabRoom{c: c, measure: measure, members: map[uint64]*collabMember{}, pending: map[int64]collabOffer{}}
			c.rooms[measure] = room
		}
		if mine == nil {
			mine = map[int64]bool{}
			c.joined[conn.ID()] = mine
		}
		mine[measure] = true
		c.mu.Unlock()

		ok, err := room.add(conn, since, editor, canPush)
		if err != nil {
			c.leave(conn.ID(), measure)
			return nil, err
		}
		if ok {
			return room, nil
		}
		// The room was emptied and dropped while we joined: use a new one.
	}
}

// add makes the connection a member and sends it the text, loading the room
// first if needed. false when the room was dropped meanwhile.
func (r *collabRoom) add(conn WSConn, since time.Time, editor, canPush bool) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members == nil {
		return false, nil // dropped
	}
	if !r.loaded {
		text, version, err := r.c.store.CollabDoc(conn.Context(), r.measure)
		if err != nil {
			return true, err
		}
		r.doc, r.version, r.recentFrom, r.loaded = collab.NewDoc(text), version, version, true
		r.target = max(r.target, version)
	}
	old := r.members[conn.ID()]
	m := &collabMember{conn: conn, since: since, editor: editor, canPush: canPush, cursors: map[string]bool{}}
	if old != nil {
		m.cursors = old.cursors
	}
	r.members[conn.ID()] = m
	conn.Send(collabDocMsg{Type: "collab.doc", Measure: r.measure, Version: r.version, Doc: r.doc.String()})
	if r.target > r.version {
		r.startFetchLocked()
	}
	return true, nil
}

// leave takes the connection out of the measure's room, telling the others
// its cursors are gone; the last one out drops the room.
func (c *collabService) leave(connID uint64, measure int64) {
	c.mu.Lock()
	if mine := c.joined[connID]; mine != nil {
		delete(mine, measure)
		if len(mine) == 0 {
			delete(c.joined, connID)
		}
	}
	room := c.rooms[measure]
	if room == nil {
		c.mu.Unlock()
		return
	}
	room.mu.Lock()
	m := room.members[connID]
	delete(room.members, connID)
	empty := len(room.members) == 0
	if empty {
		delete(c.rooms, measure)
		room.members = nil // tells a concurrent add to start again
	}
	room.mu.Unlock()
	c.mu.Unlock()
	if m == nil {
		return
	}
	u := m.conn.User()
	for id := range m.cursors {
		msg := collabCursorMsg{Type: "collab.cursor", Measure: measure, User: collabUser{ID: u.ID, Name: u.Name}, ClientID: id, Left: true}
		if !empty {
			room.broadcastExcept(connID, msg)
		}
		c.notifyCursor(msg)
	}
}

// forget runs when a connection closes.
func (c *collabService) forget(conn WSConn) {
	c.mu.Lock()
	var measures []int64
	for m := range c.joined[conn.ID()] {
		measures = append(measures, m)
	}
	c.mu.Unlock()
	for _, m := range measures {
		c.leave(conn.ID(), m)
	}
}

// mayPush reports whether the connection joined as an editor who may push.
func (r *collabRoom) mayPush(connID uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[connID]
	return m != nil && m.canPush
}

// knownVersion is the last version the room sent, once it is loaded.
func (r *collabRoom) knownVersion() (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version, r.loaded
}

func (r *collabRoom) currentVersion() int64 {
	v, _ := r.knownVersion()
	return v
}

// recentSince answers a pull from memory when the room still holds every
// update from version on and is not behind the database as far as it knows.
func (r *collabRoom) recentSince(version int64) ([]collab.Update, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.loaded || version < r.recentFrom || version > r.version || r.target > r.version {
		return nil, false
	}
	n := r.version - version
	if n > models.MaxCollabPull {
		return nil, false
	}
	src := r.recent[version-r.recentFrom:]
	return append(make([]collab.Update, 0, len(src)), src...), true
}

// offer hands the room updates accepted from version from on, with the text
// after them when known (doc, from the push that made them). It sends each
// update once, in version order; updates that arrive ahead of a gap wait
// for it, and the gap is read from the database.
func (r *collabRoom) offer(from int64, updates []collab.Update, doc *collab.Doc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.offerLocked(from, updates, doc)
}

func (r *collabRoom) offerLocked(from int64, updates []collab.Update, doc *collab.Doc) {
	if !r.loaded || r.members == nil {
		return // whoever loads it reads the database, which has these
	}
	end := from + int64(len(updates))
	r.target = max(r.target, end)
	if end <= r.version {
		return
	}
	if from > r.version {
		r.pending[from] = collabOffer{updates: updates, doc: doc}
		r.startFetchLocked()
		return
	}
	fresh := updates[r.version-from:]
	next := r.doc
	if doc != nil {
		next = *doc
	} else {
		for _, u := range fresh {
			cs, err := u.ChangeSet()
			if err == nil {
				next, err = cs.Apply(next)
			}
			if err != nil {
				// The log and our copy disagree: never expected. Start the
				// room over from the database rather than send a wrong text.
				r.c.log.Error("collab: stored update does not apply; reloading the room", "measure", r.measure, "err", err.Error())
				r.reloadLocked()
				return
			}
		}
	}
	start := r.version
	r.doc, r.version = next, end
	r.recent = append(r.recent, fresh...)
	if drop := len(r.recent) - collabRecent; drop > 0 {
		r.recent = append(r.recent[:0:0], r.recent[drop:]...)
		r.recentFrom += int64(drop)
	}
	r.broadcastLocked(collabUpdatesMsg{Type: "collab.updates", Measure: r.measure, From: start, Updates: fresh}, 0)
	for f, p := range r.pending {
		if f+int64(len(p.updates)) <= r.version {
			delete(r.pending, f)
		}
	}
	if p, ok := r.pending[r.version]; ok {
		delete(r.pending, r.version)
		r.offerLocked(r.version, p.updates, p.doc)
	}
}

// reloadLocked drops the room's copy; every member gets collab.doc again.
func (r *collabRoom) reloadLocked() {
	text, version, err := r.c.store.CollabDoc(r.c.ctx, r.measure)
	if err != nil {
		r.c.log.Error("collab: reloading a room failed", "measure", r.measure, "err", err.Error())
		return
	}
	r.doc, r.version, r.recent, r.recentFrom = collab.NewDoc(text), version, nil, version
	r.pending = map[int64]collabOffer{}
	for _, m := range r.members {
		m.conn.Send(collabDocMsg{Type: "collab.doc", Measure: r.measure, Version: version, Doc: text})
	}
}

// broadcastLocked sends msg to every member but one (0: everyone), encoded
// once.
func (r *collabRoom) broadcastLocked(msg any, except uint64) {
	if len(r.members) == 0 {
		return
	}
	b, err := json.Marshal(msg)
	if err != nil {
		r.c.log.Error("collab: cannot encode a message", "err", err.Error())
		return
	}
	raw := json.RawMessage(b)
	for id, m := range r.members {
		if id != except {
			m.conn.Send(raw)
		}
	}
}

func (r *collabRoom) broadcastExcept(except uint64, msg any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broadcastLocked(msg, except)
}

// cursorFrom records and relays a member's cursor; false when the sender
// is not a member allowed to share one.
func (r *collabRoom) cursorFrom(connID uint64, msg collabCursorMsg) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[connID]
	if m == nil || !m.canPush {
		return false
	}
	if !m.cursors[msg.ClientID] && len(m.cursors) < 4 {
		m.cursors[msg.ClientID] = true
	}
	r.broadcastLocked(msg, connID)
	return true
}

// closeEditing tells every member that the measure can no longer be edited
// (its status changed) and stops relaying their cursors.
func (r *collabRoom) closeEditing(reason string, userID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := rejected(r.measure, r.version, reason)
	for _, m := range r.members {
		if userID != 0 && m.conn.User().ID != userID {
			continue
		}
		m.canPush = false
		m.conn.Send(msg)
	}
}

// catchUp makes sure the room sends every version up to target, reading
// from the database what it has not been offered.
func (r *collabRoom) catchUp(target int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = max(r.target, target)
	if r.target > r.version {
		r.startFetchLocked()
	}
}

// startFetchLocked starts the room's one reader of the log, if not running.
func (r *collabRoom) startFetchLocked() {
	if r.fetching || !r.loaded || r.members == nil {
		return
	}
	r.fetching = r.c.spawn(r.fetch)
}

// fetch reads updates from the log until the room has sent every version it
// knows of.
func (r *collabRoom) fetch() {
	backoff := 50 * time.Millisecond
	for {
		r.mu.Lock()
		from, target := r.version, r.target
		if from >= target || r.members == nil || r.c.ctx.Err() != nil {
			r.fetching = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		log, err := r.c.store.CollabUpdatesSince(r.c.ctx, r.measure, from)
		if err != nil {
			if rejectReason(err) == models.CollabGone || rejectReason(err) == models.CollabForbidden {
				r.mu.Lock()
				r.fetching = false
				if r.members != nil {
					r.reloadLocked()
				}
				r.mu.Unlock()
				return
			}
			if r.c.ctx.Err() == nil {
				r.c.log.Warn("collab: reading updates failed", "measure", r.measure, "err", err.Error())
			}
			select {
			case <-time.After(backoff):
			case <-r.c.ctx.Done():
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if len(log.Updates) > 0 {
			// Read after the updates, so at least as recent: whoever lost
			// access before they were accepted gets none of them.
			readAt := time.Now()
			acc, err := r.c.store.MeasureAccessByID(r.c.ctx, r.measure)
			if err != nil && models.ErrorKind(err) != models.ENotFound {
				if r.c.ctx.Err() == nil {
					r.c.log.Warn("collab: reading access failed", "measure", r.measure, "err", err.Error())
				}
				select {
				case <-time.After(backoff):
				case <-r.c.ctx.Done():
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			if err != nil {
				acc = models.MeasureAccess{ID: r.measure} // gone: moderators and admins only
			}
			r.c.recheck(r, acc, readAt)
		}
		r.mu.Lock()
		r.offerLocked(log.From, log.Updates, nil)
		if len(log.Updates) == 0 && r.version == from {
			// The database has nothing newer than what we sent.
			r.target = r.version
		}
		r.mu.Unlock()
	}
}

// --- events, folds, polling -----------------------------------------------------

// observe reacts to events the hub publishes: the text changed outside the
// co-editor, the measure's status changed, an editor was removed.
func (c *collabService) observe(ev models.Event, acc *models.MeasureAccess, readAt time.Time) {
	if ev.MeasureID == nil {
		return
	}
	room := c.room(*ev.MeasureID)
	if room == nil {
		return
	}
	// Every event carries the measure's access as it is now: whoever lost
	// it (editor or co-sponsorship removed, visibility narrowed, measure
	// gone) leaves the room.
	if acc != nil {
		c.recheck(room, *acc, readAt)
	} else {
		c.recheck(room, models.MeasureAccess{ID: room.measure}, readAt)
	}
	switch ev.Type {
	case "measure.updated", "suggestion.accepted":
		c.refresh(room)
	case "measure.status_changed":
		to, _ := ev.Data()["to"].(string)
		if !models.EditableStatus(to) {
			room.closeEditing(models.CollabNotEditable, 0)
		}
		c.refresh(room)
	}
}

// keeps reports whether a member may stay in the room under acc: they must
// see the measure, and one who joined as an editor must still be one.
func (m *collabMember) keeps(acc models.MeasureAccess) bool {
	u := m.conn.User()
	if !models.CanSeeMeasure(u, acc) {
		return false
	}
	return !m.editor || models.Can(u, models.ActCollabEdit, acc)
}

// recheck takes out of the room every member who lost access under acc:
// each gets collab.rejected forbidden and nothing more about the measure
// (docs/API.md); the others see their cursors go. It runs before updates are
// sent (a push's access as it committed, the access read with a fetch) and
// for every event of the measure. readAt is when acc was read, or earlier:
// members whose own check came after it were checked on something at least
// as recent, and stay.
func (c *collabService) recheck(room *collabRoom, acc models.MeasureAccess, readAt time.Time) {
	type gone struct {
		id uint64
		m  *collabMember
	}
	var out []gone
	c.mu.Lock()
	room.mu.Lock()
	if room.members == nil {
		room.mu.Unlock()
		c.mu.Unlock()
		return
	}
	for id, m := range room.members {
		if m.since.Before(readAt) && !m.keeps(acc) {
			out = append(out, gone{id, m})
		}
	}
	if len(out) == 0 {
		room.mu.Unlock()
		c.mu.Unlock()
		return
	}
	msg := rejected(room.measure, room.version, models.CollabForbidden)
	for _, g := range out {
		delete(room.members, g.id)
		if mine := c.joined[g.id]; mine != nil {
			delete(mine, room.measure)
			if len(mine) == 0 {
				delete(c.joined, g.id)
			}
		}
		g.m.conn.Send(msg)
	}
	var left []collabCursorMsg
	for _, g := range out {
		u := g.m.conn.User()
		for cid := range g.m.cursors {
			lm := collabCursorMsg{Type: "collab.cursor", Measure: room.measure, User: collabUser{ID: u.ID, Name: u.Name}, ClientID: cid, Left: true}
			room.broadcastLocked(lm, 0)
			left = append(left, lm)
		}
	}
	if len(room.members) == 0 {
		delete(c.rooms, room.measure)
		room.members = nil // tells a concurrent add to start again
	}
	room.mu.Unlock()
	c.mu.Unlock()
	if len(left) > 0 {
		c.spawn(func() {
			for _, lm := range left {
				c.notifyCursor(lm)
			}
		})
	}
}

// refresh reads the measure's version and catches the room up to it, off
// the caller's goroutine.
func (c *collabService) refresh(room *collabRoom) {
	c.spawn(func() {
		v, err := c.store.CollabVersion(c.ctx, room.measure)
		if err == nil {
			room.catchUp(v)
		}
	})
}

// poll is the safety net: now and then every room checks the database's
// version, in case a notification was lost.
func (c *collabService) poll() {
	t := time.NewTicker(collabPollEvery)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range c.roomList() {
			if v, err := c.store.CollabVersion(c.ctx, r.measure); err == nil {
				r.catchUp(v)
			}
		}
	}
}

// scheduleFold (re)starts the measure's idle timer: when it fires without
// another push in between, the co-edits are saved as a revision. after 0
// means the full idle delay.
func (c *collabService) scheduleFold(measure int64, after time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if after <= 0 {
		after = c.idle
	}
	if t := c.folds[measure]; t != nil {
		t.Stop()
	}
	c.folds[measure] = time.AfterFunc(after, func() { c.spawn(func() { c.fold(measure) }) })
}

// fold saves the measure's co-edits as a revision if it has been idle long
// enough (on any instance), else tries again when it will have been.
func (c *collabService) fold(measure int64) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	delete(c.folds, measure)
	idle := c.idle
	c.mu.Unlock()
	wait, _, err := c.store.FoldCollabIfIdle(c.ctx, measure, idle)
	switch {
	case err != nil:
		if c.ctx.Err() == nil {
			c.log.Warn("collab: saving a revision failed; will retry", "measure", measure, "err", err.Error())
			c.scheduleFold(measure, 0)
		}
	case wait > 0:
		c.scheduleFold(measure, wait)
	}
}

// resumeFolds schedules the revisions a previous run did not get to save
// (it stopped or crashed within an editing burst).
func (c *collabService) resumeFolds() {
	ids, err := c.store.UnfoldedCollabMeasures(c.ctx)
	if err != nil {
		c.log.Warn("collab: cannot list unsaved co-edits", "err", err.Error())
		return
	}
	for _, id := range ids {
		c.scheduleFold(id, 0)
	}
}
