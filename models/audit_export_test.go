package models

// Unexported pieces the external tests of the audit chain drive directly.

// EmitAll is Tx.emitAll: many events in one go, as a fan-out's bells.
func (tx *Tx) EmitAll(evs []Event) error { return tx.emitAll(evs) }

// NewEvent is Tx.newEvent: an event row, not yet written.
func (tx *Tx) NewEvent(topic, typ string, actor *User, measureID, subjectUserID int64, data any) (Event, error) {
	return tx.newEvent(topic, typ, actor, measureID, subjectUserID, data)
}
