package models

import (
	"context"
	"strconv"
	"strings"

	"pacte/markdown"
)

// A mention is written @[display text](user:ID) in a comment or a measure's
// body (docs/API.md). The id is what counts: it survives renames, and the
// page renders the mention as a link to the person.

// MentionRe matches one mention; group 1 is the display text, group 2 the id.
var MentionRe = markdown.MentionRe

// MentionIDs lists the people a text mentions, each once, in order.
func MentionIDs(body string) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, m := range MentionRe.FindAllStringSubmatch(body, 200) {
		id, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil || id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// checkMentions refuses a text that mentions someone who cannot see the
// measure (422 mention_not_allowed on field), and returns the people it
// mentions that old did not: they are the ones to tell.
func (tx *Tx) checkMentions(measureID int64, field string, old *string, body string) ([]int64, error) {
	ids := MentionIDs(body)
	if len(ids) == 0 {
		return []int64{}, nil
	}
	a, err := measureAccess(tx.DB, measureID)
	if err != nil {
		return nil, err
	}
	users, err := usersByID(tx.DB, ids)
	if err != nil {
		return nil, err
	}
	var refused []string
	for _, id := range ids {
		u := users[id]
		if u == nil || !CanSeeMeasure(u, a) {
			refused = append(refused, "#"+strconv.FormatInt(id, 10))
		}
	}
	if len(refused) > 0 {
		return nil, &Error{Kind: EInvalid, Code: "mention_not_allowed",
			Message: "You can only mention people who can see this measure.",
			Fields:  map[string]string{field: "These people cannot see this measure, or do not exist: " + strings.Join(refused, ", ") + "."}}
	}
	prev := ""
	if old != nil {
		prev = *old
	}
	return newMentions(prev, body), nil
}

// newMentions lists the people body mentions and old did not.
func newMentions(old, body string) []int64 {
	before := map[int64]bool{}
	for _, id := range MentionIDs(old) {
		before[id] = true
	}
	out := []int64{}
	for _, id := range MentionIDs(body) {
		if !before[id] {
			out = append(out, id)
		}
	}
	return out
}

// Mentionable lists the people who can see a measure whose name starts a
// word with q (any case; Arabic names too), for the @ autocomplete: at
// most 8, the measure's editors first.
func (s *Store) Mentionable(ctx context.Context, viewer *User, measureID int64, q string) ([]UserRef, error) {
	db := s.Read(ctx)
	a, err := measureAccess(db, measureID)
	if err != nil {
		return nil, err
	}
	if !CanSeeMeasure(viewer, a) {
		return nil, NotFound("Measure")
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if len([]rune(q)) > 40 {
		return []UserRef{}, nil
	}
	var users []User
	if err := db.Where("status = ?", StatusActive).Order("name").Limit(5000).Find(&users).Error; err != nil {
		return nil, dbError(err)
	}
	var first, rest []UserRef
	for i := range users {
		u := &users[i]
		if !CanSeeMeasure(u, a) || !nameMatches(u.Name, q) {
			continue
		}
		ref := UserRef{ID: u.ID, Name: u.Name, OrganizationID: u.OrganizationID}
		if a.IsEditor(u) {
			first = append(first, ref)
		} else {
			rest = append(rest, ref)
		}
	}
	out := append(first, rest...)
	if len(out) > 8 {
		out = out[:8]
	}
	if out == nil {
		out = []UserRef{}
	}
	return out, nil
}

// nameMatches: q starts the name or one of its words.
func nameMatches(name, q string) bool {
	if q == "" {
		return true
	}
	n := strings.ToLower(name)
	if strings.HasPrefix(n, q) {
		return true
	}
	for _, w := range strings.Fields(n) {
		if strings.HasPrefix(w, q) {
			return true
		}
	}
	return false
}
