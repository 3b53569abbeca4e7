package collab

import "encoding/json"

// Update is one client update on the wire, the shape used by
// @codemirror/collab: who made it and its ChangeSet JSON. Changes stays
// raw so that the server can store and relay exactly what it received
// after validating it with ChangeSet.
type Update struct {
	ClientID string          `json:"clientID"`
	Changes  json.RawMessage `json:"changes"`
}

// ChangeSet parses and validates u.Changes (see ParseChangeSet).
func (u Update) ChangeSet() (ChangeSet, error) { return ParseChangeSet(u.Changes) }
