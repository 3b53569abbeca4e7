package server

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"pacte/models"
)

// Presence states a client may announce.
const (
	presenceViewing = "viewing"
	presenceEditing = "editing"
)

const (
	// presenceCoalesce batches bursts (a class of 30 opening the same
	// measure) into one broadcast per topic.
	presenceCoalesce = 100 * time.Millisecond
	// Each instance re-announces its viewers this often; the others forget
	// an announcement after presenceTTL, so the viewers of an instance that
	// died vanish within 10 seconds.
	presenceAnnounceEvery = 3 * time.Second
	presenceTTL           = 9 * time.Second
	presenceMaxUsers      = 200
	presenceNotifyMax     = 7000 // bytes; PostgreSQL refuses NOTIFY payloads of 8000
)

type presenceUser struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
	// OrganizationID is shown beside the name (names are not unique).
	OrganizationID *int64 `json:"organization_id,omitempty"`
}

// presenceMessage is {"type":"presence"} (docs/API.md). Total is added when the
// list was cut to presenceMaxUsers.
type presenceMessage struct {
	Type  string         `json:"type"`
	Topic string         `json:"topic"`
	Users []presenceUser `json:"users"`
	Total int            `json:"total,omitempty"`
}

// presenceAnnouncement travels between instances on PostgreSQL NOTIFY.
type presenceAnnouncement struct {
	Instance string         `json:"i"`
	Topic    string         `json:"t"`
	Users    []presenceUser `json:"u"`
	TTL      int            `json:"ttl"` // seconds
}

type remotePresence struct {
	users   []presenceUser
	expires time.Time
}

// presence keeps who is viewing and editing each measure: this instance's
// connections, and what the other instances announced. A connection that
// closes leaves at once; a silent one is closed by the ping deadline.
type presence struct {
	h      *Hub
	mu     sync.Mutex
	local  map[string]map[*wsConn]string        // topic → connection → state
	remote map[string]map[string]remotePresence // topic → instance → users
	dirty  map[string]struct{}                  // topics to broadcast here
	// changed holds the topics whose local viewers changed, to announce to
	// the other instances; announceAll asks for every topic.
	changed     map[string]struct{}
	announceAll bool
	wake        chan struct{}
}

func newPresence(h *Hub) *presence {
	return &presence{h: h, local: map[string]map[*wsConn]string{}, remote: map[string]map[string]remotePresence{},
		dirty: map[string]struct{}{}, changed: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

func (p *presence) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// set records a connection's state on a topic.
func (p *presence) set(topic string, c *wsConn, state string) {
	p.mu.Lock()
	m := p.local[topic]
	if m == nil {
		m = map[*wsConn]string{}
		p.local[topic] = m
	}
	if m[c] == state {
		p.mu.Unlock()
		return
	}
	m[c] = state
	p.dirty[topic] = struct{}{}
	p.changed[topic] = struct{}{}
	p.mu.Unlock()
	p.poke()
}

// removeConn forgets a connection on the topics it left.
func (p *presence) removeConn(c *wsConn, topics []string) {
	p.mu.Lock()
	any := false
	for _, t := range topics {
		m := p.local[t]
		if _, ok := m[c]; !ok {
			continue
		}
		delete(m, c)
		if len(m) == 0 {
			delete(p.local, t)
		}
		p.dirty[t] = struct{}{}
		p.changed[t] = struct{}{}
		any = true
	}
	p.mu.Unlock()
	if any {
		p.poke()
	}
}

// receive merges another instance's announcement.
func (p *presence) receive(payload string) {
	var a presenceAnnouncement
	if err := json.Unmarshal([]byte(payload), &a); err != nil || a.Instance == p.h.instance {
		return
	}
	if k, _, ok := models.ParseTopic(a.Topic); !ok || k != models.TopicKindMeasure {
		return
	}
	ttl := time.Duration(a.TTL) * time.Second
	if ttl <= 0 || ttl > presenceTTL {
		ttl = presenceTTL
	}
	p.mu.Lock()
	m := p.remote[a.Topic]
	if len(a.Users) == 0 {
		if m != nil {
			delete(m, a.Instance)
			if len(m) == 0 {
				delete(p.remote, a.Topic)
			}
		}
	} else {
		if m == nil {
			m = map[string]remotePresence{}
			p.remote[a.Topic] = m
		}
		m[a.Instance] = remotePresence{users: a.Users, expires: time.Now().Add(ttl)}
	}
	p.dirty[a.Topic] = struct{}{}
	p.mu.Unlock()
	p.poke()
}

// reannounce asks for every local topic to be announced again: after the
// listener reconnects, the others may have forgotten us.
func (p *presence) reannounce() {
	p.mu.Lock()
	p.announceAll = true
	p.mu.Unlock()
	p.poke()
}

// localUsersLocked lists this instance's people on a topic, one entry per
// person (two tabs are one person; editing wins over viewing).
func (p *presence) localUsersLocked(topic string) []presenceUser {
	byID := map[int64]int{}
	var out []presenceUser
	for c, st := range p.local[topic] {
		out = mergeUser(out, byID, presenceUser{ID: c.user.ID, Name: c.user.Name, State: st, OrganizationID: c.user.OrganizationID})
	}
	sortUsers(out)
	return out
}

func (p *presence) mergedLocked(topic string) []presenceUser {
	byID := map[int64]int{}
	var out []presenceUser
	for c, st := range p.local[topic] {
		out = mergeUser(out, byID, presenceUser{ID: c.user.ID, Name: c.user.Name, State: st, OrganizationID: c.user.OrganizationID})
	}
	now := time.Now()
	for _, rp := range p.remote[topic] {
		if now.After(rp.expires) {
			continue
		}
		for _, u := range rp.users {
			out = mergeUser(out, byID, u)
		}
	}
	sortUsers(out)
	return out
}

func mergeUser(out []presenceUser, byID map[int64]int, u presenceUser) []presenceUser {
	if i, ok := byID[u.ID]; ok {
		if u.State == presenceEditing {
			out[i].State = presenceEditing
		}
		return out
	}
	byID[u.ID] = len(out)
	return append(out, u)
}

func sortUsers(us []presenceUser) {
	sort.Slice(us, func(i, j int) bool {
		if us[i].Name != us[j].Name {
			return us[i].Name < us[j].Name
		}
		return us[i].ID < us[j].ID
	})
}

func newPresenceMessage(topic string, users []presenceUser) presenceMessage {
	m := presenceMessage{Type: "presence", Topic: topic, Users: users}
	if m.Users == nil {
		m.Users = []presenceUser{}
	}
	if len(m.Users) > presenceMaxUsers {
		m.Total = len(m.Users)
		m.Users = m.Users[:presenceMaxUsers]
	}
	return m
}

// snapshot sends a connection the current list of a topic, when it
// subscribes.
func (p *presence) snapshot(c *wsConn, topic string) {
	p.mu.Lock()
	users := p.mergedLocked(topic)
	p.mu.Unlock()
	c.Send(newPresenceMessage(topic, users))
}

// run broadcasts changes, at most once per presenceCoalesce, expires what
// other instances announced and re-announces this instance's viewers.
func (p *presence) run() {
	defer p.h.wg.Done()
	tick := time.NewTicker(presenceAnnounceEvery)
	defer tick.Stop()
	pause := time.NewTimer(presenceCoalesce)
	defer pause.Stop()
	for {
		periodic := false
		select {
		case <-p.wake:
		case <-tick.C:
			periodic = true
		case <-p.h.ctx.Done():
			return
		}
		p.flush(periodic)
		pause.Reset(presenceCoalesce)
		select {
		case <-pause.C:
		case <-p.h.ctx.Done():
			return
		}
	}
}

type topicUsers struct {
	topic string
	users []presenceUser
}

func (p *presence) flush(periodic bool) {
	multi := p.h.store.Dialect == models.Postgres
	p.mu.Lock()
	now := time.Now()
	for topic, insts := range p.remote {
		for id, rp := range insts {
			if now.After(rp.expires) {
				delete(insts, id)
				p.dirty[topic] = struct{}{}
			}
		}
		if len(insts) == 0 {
			delete(p.remote, topic)
		}
	}
	var sends, announces []topicUsers
	for topic := range p.dirty {
		sends = append(sends, topicUsers{topic, p.mergedLocked(topic)})
	}
	p.dirty = map[string]struct{}{}
	if multi {
		topics := p.changed
		if periodic || p.announceAll {
			for t := range p.local {
				topics[t] = struct{}{}
			}
		}
		for t := range topics {
			announces = append(announces, topicUsers{t, p.localUsersLocked(t)})
		}
	}
	p.changed = map[string]struct{}{}
	p.announceAll = false
	p.mu.Unlock()
	for _, s := range sends {
		p.h.broadcastPresence(s.topic, s.users)
	}
	for _, a := range announces {
		p.announce(a.topic, a.users)
	}
}

// announce tells the other instances who is here on a topic (an empty list
// says everyone left).
func (p *presence) announce(topic string, users []presenceUser) {
	a := presenceAnnouncement{Instance: p.h.instance, Topic: topic, TTL: int(presenceTTL / time.Second), Users: []presenceUser{}}
	size := 100 + len(topic)
	for _, u := range users {
		u.Name = truncateRunes(u.Name, 80)
		size += len(u.Name)*2 + 48 // JSON escaping may grow a name
		if size > presenceNotifyMax {
			break
		}
		a.Users = append(a.Users, u)
	}
	b, err := json.Marshal(a)
	if err != nil || len(b) >= 8000 {
		return
	}
	ctx, cancel := context.WithTimeout(p.h.ctx, 2*time.Second)
	defer cancel()
	if err := p.h.store.Notify(ctx, p.h.store.PresenceChannel(), string(b)); err != nil && p.h.ctx.Err() == nil {
		p.h.log.Warn("live: presence announcement failed", "err", err.Error())
	}
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// broadcastPresence sends a topic's list to its subscribers here who may
// still see the measure.
func (h *Hub) broadcastPresence(topic string, users []presenceUser) {
	h.mu.Lock()
	n := len(h.topics[topic])
	h.mu.Unlock()
	if n == 0 {
		return
	}
	b, err := json.Marshal(newPresenceMessage(topic, users))
	if err != nil {
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return
	}
	_, id, _ := models.ParseTopic(topic)
	acc, err := h.store.MeasureAccessByID(h.ctx, id)
	// A definite answer ends the subscriptions of whoever may no longer see
	// the measure; a database error only holds the list back from them.
	definite := !dbFailure(err)
	if err != nil {
		acc = models.MeasureAccess{ID: id}
	}
	var ended []endedSub
	h.mu.Lock()
	for _, sub := range h.topics[topic] {
		if models.CanSeeMeasure(sub.conn.user, acc) {
			sub.conn.enqueue(outMsg{pm: pm})
		} else if definite {
			ended = append(ended, endedSub{sub.conn, topic})
		}
	}
	for _, e := range ended {
		h.endSubLocked(e.conn, e.topic)
	}
	h.mu.Unlock()
	h.afterEnded(ended)
}
