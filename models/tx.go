package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Event is one line of the append-only log: it feeds live updates, lets a
// reconnecting client catch up and is the audit trail.
type Event struct {
	ID            int64     `gorm:"column:id;primaryKey" json:"id"`
	Topic         string    `gorm:"column:topic" json:"topic"`
	Type          string    `gorm:"column:type" json:"event"`
	ActorID       *int64    `gorm:"column:actor_id" json:"actor_id,omitempty"`
	MeasureID     *int64    `gorm:"column:measure_id" json:"measure_id,omitempty"`
	SubjectUserID *int64    `gorm:"column:subject_user_id" json:"subject_user_id,omitempty"`
	Payload       string    `gorm:"column:payload" json:"-"`
	CreatedAt     time.Time `gorm:"column:created_at" json:"at"`
	// Hash chains the row to the one before it (audit_chain.go).
	Hash string `gorm:"column:hash" json:"-"`
}

// TableName tells GORM where events live.
func (Event) TableName() string { return "events" }

// Data decodes the payload.
func (e Event) Data() map[string]any {
	out := map[string]any{}
	_ = json.Unmarshal([]byte(e.Payload), &out)
	return out
}

// Tx is a write transaction that also collects the events it writes, so they
// can be published once, and only once, it has committed.
type Tx struct {
	*gorm.DB
	store  *Store
	events []Event
	head   *chainHead // the last event this transaction wrote (audit_chain.go)
}

// Write runs fn in one write transaction. Business rows and their events
// commit together or not at all; events are handed to the publisher after
// commit.
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	var events []Event
	err := s.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		tx := &Tx{DB: g, store: s}
		if err := fn(tx); err != nil {
			return err
		}
		events = tx.events
		return nil
	})
	if err != nil {
		return dbError(err)
	}
	if len(events) > 0 && s.committed != nil {
		s.committed(events)
	}
	return nil
}

// Read gives the read pool, bound to ctx.
func (s *Store) Read(ctx context.Context) *gorm.DB { return s.rdb.WithContext(ctx) }

// Emit appends an event to the log inside the transaction.
//
// On PostgreSQL a serial id can commit out of order (id 10 after id 11), and
// a client that saw 11 would never get 10. Taking a transaction-scoped lock
// before drawing the id makes commit order equal id order: the lock is held
// until commit, so no later id can become visible first. NOTIFY is itself
// transactional, so other instances hear of the event exactly when it commits.
// The same order chains each row's hash to the one before it
// (audit_chain.go).
func (tx *Tx) Emit(topic, typ string, actor *User, measureID, subjectUserID int64, data any) (Event, error) {
	ev, err := tx.newEvent(topic, typ, actor, measureID, subjectUserID, data)
	if err != nil {
		return Event{}, err
	}
	// The lock is taken by chain, which also gives the id and the hash
	// that ties the row to the one before it.
	one := []Event{ev}
	if err := tx.chain(one); err != nil {
		return Event{}, err
	}
	ev = one[0]
	if err := tx.Create(&ev).Error; err != nil {
		return Event{}, err
	}
	if err := tx.notify(tx.store.Channel, fmt.Sprint(ev.ID)); err != nil {
		return Event{}, err
	}
	tx.events = append(tx.events, ev)
	// The people an event concerns are told by a job enqueued here: it
	// runs exactly when the event committed, and the change does not wait
	// for a thousand followers (fanout.go).
	if needsFanOut(ev.Type, data) && ev.MeasureID != nil {
		if err := tx.Enqueue(FanOutArgs{EventID: ev.ID}); err != nil {
			return Event{}, err
		}
	}
	return ev, nil
}

// newEvent makes an event row, not yet written.
func (tx *Tx) newEvent(topic, typ string, actor *User, measureID, subjectUserID int64, data any) (Event, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Topic: topic, Type: typ, Payload: string(payload), CreatedAt: chainTime(tx.store.Now())}
	if actor != nil && actor.ID != 0 {
		id := actor.ID
		ev.ActorID = &id
	}
	if measureID != 0 {
		ev.MeasureID = &measureID
	}
	if subjectUserID != 0 {
		ev.SubjectUserID = &subjectUserID
	}
	return ev, nil
}

// emitAll appends many events at once, as Emit does one (same lock, ids in
// order, one NOTIFY: the other instances read every event after the last
// id they published). Only for events that need no fan-out of their own
// (a notification's bell).
func (tx *Tx) emitAll(evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := tx.chain(evs); err != nil {
		return err
	}
	if err := tx.CreateInBatches(&evs, 200).Error; err != nil {
		return err
	}
	if err := tx.notify(tx.store.Channel, fmt.Sprint(evs[len(evs)-1].ID)); err != nil {
		return err
	}
	tx.events = append(tx.events, evs...)
	return nil
}

// dbError turns driver errors into application errors where the meaning is
// clear; everything else stays internal.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var appErr *Error
	if errors.As(err, &appErr) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NotFound("Object")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if IsUnavailable(err) {
		return Unavailable(err)
	}
	return fmt.Errorf("database: %w", err)
}

// IsUniqueViolation reports whether err comes from a unique constraint.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return containsAny(msg, "UNIQUE constraint failed", "duplicate key value", "SQLSTATE 23505")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
