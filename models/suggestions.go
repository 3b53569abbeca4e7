package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"pacte/collab"
)

// Suggestions are tracked changes (docs/DESIGN.md "Suggestions"): a span of
// a measure's current text, in UTF-16 units like every co-editing position,
// and the text proposed in its place. An open suggestion moves with every
// change of the text exactly as comment anchors do (appendCollab calls
// mapSuggestions in the same transaction), except that a change reaching
// into its words makes it outdated: it can still be read, answered and
// rejected, never accepted, since it would replace words its author never
// saw. Accepting applies the change through the co-editing log, like any
// edit, and saves a revision naming the author and the editor who accepted.

// Suggestion statuses.
const (
	SuggestionOpen     = "open"
	SuggestionAccepted = "accepted"
	SuggestionRejected = "rejected"
	SuggestionOutdated = "outdated"
)

// RevisionSuggestion is the reason of a revision that applied a suggestion.
const RevisionSuggestion = "suggestion"

// Limits on one suggestion.
const (
	// MaxSuggestionBytes bounds the proposed text: a suggestion proposes a
	// change, not a new measure (the body itself may hold 200 KB).
	MaxSuggestionBytes = 20 * 1024
	// maxSuggestionLag is how many co-edits a suggestion made on an older
	// version may be mapped through; further behind, the client reloads.
	maxSuggestionLag  = MaxCollabPull
	maxSuggestionNote = 1000
)

// Suggestion is one row of suggestions.
type Suggestion struct {
	ID              int64      `gorm:"column:id;primaryKey"`
	MeasureID       int64      `gorm:"column:measure_id"`
	AuthorID        int64      `gorm:"column:author_id"`
	From            int        `gorm:"column:span_from"`
	To              int        `gorm:"column:span_to"`
	Insert          string     `gorm:"column:insert_text"`
	Quote           string     `gorm:"column:quote"`
	Status          string     `gorm:"column:status"`
	CreatedAt       time.Time  `gorm:"column:created_at"`
	DecidedBy       *int64     `gorm:"column:decided_by"`
	DecidedAt       *time.Time `gorm:"column:decided_at"`
	Note            string     `gorm:"column:note"`
	AcceptedVersion *int64     `gorm:"column:accepted_version"`
}

// TableName tells GORM where suggestions live.
func (Suggestion) TableName() string { return "suggestions" }

// SuggestionView is a suggestion as shown: with its author's and decider's
// names, and what the viewer may do with it.
type SuggestionView struct {
	Suggestion
	Author    UserRef
	DecidedBy *UserRef
	CanAccept bool
	CanReject bool
}

// JSON is the suggestion as docs/API.md spells it.
func (v *SuggestionView) JSON() map[string]any {
	out := map[string]any{
		"id": v.ID, "measure_id": v.MeasureID, "from": v.From, "to": v.To, "insert": v.Insert, "quote": v.Quote,
		"status": v.Status, "created_at": v.CreatedAt.UTC().Format(time.RFC3339Nano),
		"author":     PersonJSON(v.Author.ID, v.Author.Name),
		"decided_by": nil, "decided_at": nil, "note": v.Note,
		"can": map[string]bool{"accept": v.CanAccept, "reject": v.CanReject},
	}
	if v.DecidedBy != nil {
		out["decided_by"] = PersonJSON(v.DecidedBy.ID, v.DecidedBy.Name)
	}
	if v.DecidedAt != nil {
		out["decided_at"] = v.DecidedAt.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// eventData is the suggestion as events carry it: what everyone who sees
// the measure may read, without the per-viewer permissions.
func (v *SuggestionView) eventData() map[string]any {
	out := v.JSON()
	delete(out, "can")
	return out
}

// SuggestionInput is a new suggestion: [From, To) and Insert in UTF-16
// units of the text at collab version Version.
type SuggestionInput struct {
	From, To int
	Insert   string
	Version  int64
}

// errOutdated is the 409 of a suggestion whose words have changed.
func errOutdated() *Error {
	return CodedError(EConflict, "suggestion_outdated",
		"The words this suggestion changes have been edited since: read the current text and suggest again.")
}

// CreateSuggestion records a suggestion on a measure. The span refers to
// the text at in.Version and is carried through the co-edits made since;
// if one of them reached into it the suggestion is refused as outdated.
// It is refused when it overlaps another person's open suggestion (the
// editors could not accept both).
func (s *Store) CreateSuggestion(ctx context.Context, actor *User, measureID int64, in SuggestionInput) (*SuggestionView, error) {
	in.Insert = collab.NormalizeLineBreaks(in.Insert)
	if len(in.Insert) > MaxSuggestionBytes {
		return nil, (FieldErrors{"insert": fmt.Sprintf("The suggested text is too long (%d KB at most): for a larger change, edit the measure or comment on it.", MaxSuggestionBytes/1024)}).Err()
	}
	if !utf8.ValidString(in.Insert) || strings.ContainsRune(in.Insert, 0) {
		return nil, (FieldErrors{"insert": "The suggested text is not valid text."}).Err()
	}
	var out *SuggestionView
	err := s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockCollabMeasure(measureID)
		if err != nil {
			return err
		}
		acc, err := measureAccess(tx.DB, measureID)
		if err != nil {
			return err
		}
		if err := CheckSuggestion(actor, ActSuggest, acc); err != nil {
			return err
		}
		if in.Version < 0 || in.Version > m.CollabVersion {
			return CodedError(EConflict, "unknown_version", "That version of the text is not known here: reload the measure and suggest again.")
		}
		doc := collab.NewDoc(m.Body)
		from, to, err := tx.spanAtCurrent(measureID, m, doc, in)
		if err != nil {
			return err
		}
		quote, _ := doc.Slice(from, to)
		if quote == in.Insert {
			return (FieldErrors{"insert": "The suggestion changes nothing."}).Err()
		}
		if len(m.Body)-len(quote)+len(in.Insert) > MaxBodyBytes {
			return (FieldErrors{"insert": "The text would be too long with this change."}).Err()
		}
		if overlaps, err := tx.overlapsOpen(measureID, actor.ID, from, to); err != nil {
			return err
		} else if overlaps {
			return CodedError(EConflict, "suggestion_overlaps",
				"Another person has already suggested a change to these words: answer or wait for their suggestion instead.")
		}
		row := Suggestion{MeasureID: measureID, AuthorID: actor.ID, From: from, To: to, Insert: in.Insert, Quote: quote,
			Status: SuggestionOpen, CreatedAt: tx.store.stamp()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = viewSuggestion(actor, acc, row, map[int64]*User{actor.ID: actor})
		quiet, err := tx.everyFollowerTold(measureID, actor.ID)
		if err != nil {
			return err
		}
		var data any = map[string]any{"suggestion": out.eventData()}
		if quiet {
			data = NoFanOut{"suggestion": out.eventData()}
		}
		_, err = tx.Emit(MeasureTopic(measureID), "suggestion.created", actor, measureID, 0, data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// everyFollowerTold reports whether every follower of the measure (but
// the author) has been told of the author's suggestions and not read it
// yet (toldOfSuggestions): the fan-out would tell nobody.
func (tx *Tx) everyFollowerTold(measureID, authorID int64) (bool, error) {
	var followers []int64
	if err := tx.Table("follows").Where("measure_id = ? AND user_id <> ?", measureID, authorID).
		Pluck("user_id", &followers).Error; err != nil {
		return false, err
	}
	if len(followers) == 0 {
		return true, nil
	}
	told, err := toldOfSuggestions(tx.DB, measureID, authorID, followers)
	return len(told) == len(followers), err
}

// spanAtCurrent checks in's span against the text at in.Version and maps
// it to the current text through the co-edits since.
func (tx *Tx) spanAtCurrent(measureID int64, m collabMeasure, doc collab.Doc, in SuggestionInput) (int, int, error) {
	invalid := func(msg string) error { return CodedError(EInvalid, "invalid_span", msg) }
	if in.From < 0 || in.To < in.From {
		return 0, 0, invalid("The span is not valid: from must be at least 0 and to at least from.")
	}
	if in.From == in.To && in.Insert == "" {
		return 0, 0, (FieldErrors{"insert": "The suggestion changes nothing."}).Err()
	}
	if m.CollabVersion-in.Version > maxSuggestionLag {
		return 0, 0, errOutdated()
	}
	var sets []collab.ChangeSet
	if in.Version < m.CollabVersion {
		rows, kept, err := collabRows(tx.DB, measureID, in.Version, m.CollabVersion)
		if err != nil {
			return 0, 0, err
		}
		if !kept {
			return 0, 0, errOutdated()
		}
		for _, r := range rows {
			cs, err := collab.ParseChangeSet(json.RawMessage(r.Changes))
			if err != nil {
				return 0, 0, err
			}
			sets = append(sets, cs)
		}
	}
	// The span must fit the text it was made on, whose length the first
	// change set since knows.
	length := doc.Len()
	if len(sets) > 0 {
		length = sets[0].Length()
	}
	if in.To > length {
		return 0, 0, invalid(fmt.Sprintf("The span ends past the text (%d units long at that version).", length))
	}
	from, to := in.From, in.To
	for _, cs := range sets {
		nf, nt, touched := cs.MapSpan(from, to)
		if touched {
			return 0, 0, errOutdated()
		}
		from, to = nf, nt
	}
	// An untouched span covers the same units as at in.Version, so a
	// boundary splits a pair now exactly when it did then.
	if !doc.SpanFits(from, to) {
		return 0, 0, invalid("The span cuts a character in half (a surrogate pair): positions are in UTF-16 units.")
	}
	return from, to, nil
}

// overlapsOpen reports whether [from, to) would change the same text as
// another person's open suggestion: their spans share a unit, or one's
// insertion point is strictly inside the other, or both insert at the same
// point. Asked of the database, so that a measure with hundreds of open
// suggestions costs one indexed query, not a read of all of them.
func (tx *Tx) overlapsOpen(measureID, authorID int64, from, to int) (bool, error) {
	var q string
	var args []any
	if from == to {
		q = "(span_from = span_to AND span_from = ?) OR (span_from < ? AND span_to > ?)"
		args = []any{from, from, from}
	} else {
		q = "(span_from = span_to AND span_from > ? AND span_from < ?) OR (span_from < span_to AND span_from < ? AND span_to > ?)"
		args = []any{from, to, to, from}
	}
	var ids []int64
	err := tx.Model(&Suggestion{}).Where("measure_id = ? AND status = ? AND author_id <> ?", measureID, SuggestionOpen, authorID).
		Where(q, args...).Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, err
}

// mapSuggestions moves the measure's open suggestions through changes
// sets (appendCollab, under the measure's row lock). A suggestion whose
// words the changes reached becomes outdated, with an event so that pages
// show it at once. Every push runs this, and typing before a suggestion
// moves it, so the moved ones are written in one statement, not one each.
func (tx *Tx) mapSuggestions(measureID int64, sets []collab.ChangeSet, actor *User) error {
	var open []Suggestion
	if err := tx.Select("id, span_from, span_to").Where("measure_id = ? AND status = ?", measureID, SuggestionOpen).
		Find(&open).Error; err != nil {
		return err
	}
	var moved []Suggestion
	for _, o := range open {
		from, to, touched := o.From, o.To, false
		for _, cs := range sets {
			if from, to, touched = cs.MapSpan(from, to); touched {
				break
			}
		}
		switch {
		case touched:
			if err := tx.Model(&Suggestion{}).Where("id = ?", o.ID).Update("status", SuggestionOutdated).Error; err != nil {
				return err
			}
			if err := tx.Where("id = ?", o.ID).Take(&o).Error; err != nil { // the rest of it, for the event
				return err
			}
			v := viewSuggestion(nil, MeasureAccess{}, o, nil)
			if err := tx.fillSuggestionNames(v); err != nil {
				return err
			}
			if _, err := tx.Emit(MeasureTopic(measureID), "suggestion.outdated", actor, measureID, 0,
				map[string]any{"suggestion": v.eventData()}); err != nil {
				return err
			}
		case from != o.From || to != o.To:
			o.From, o.To = from, to
			moved = append(moved, o)
		}
	}
	return tx.saveSpans(open, moved)
}

// saveSpans writes the new spans of moved suggestions. Typing moves every
// suggestion after the caret by the same amount: they are written as one
// "add this much" statement per distinct shift (usually one per push), so
// a push costs one statement however many suggestions follow the caret.
func (tx *Tx) saveSpans(open []Suggestion, moved []Suggestion) error {
	type shift struct{ from, to int }
	was := make(map[int64]Suggestion, len(open))
	for _, o := range open {
		was[o.ID] = o
	}
	groups := map[shift][]int64{}
	var order []shift
	for _, m := range moved {
		d := shift{m.From - was[m.ID].From, m.To - was[m.ID].To}
		if _, ok := groups[d]; !ok {
			order = append(order, d)
		}
		groups[d] = append(groups[d], m.ID)
	}
	for _, d := range order {
		for ids := range slices.Chunk(groups[d], 500) {
			if err := tx.Exec("UPDATE suggestions SET span_from = span_from + ?, span_to = span_to + ? WHERE id IN ?",
				d.from, d.to, ids).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// AcceptedSuggestion is what accepting gives back: the suggestion and the
// co-editing commit that applied it, for the server to send to the
// editors who have the text open.
type AcceptedSuggestion struct {
	Suggestion *SuggestionView
	Commit     CollabCommit
}

// AcceptSuggestion applies an open suggestion to the measure's text, in one
// transaction: co-edits not yet saved are saved as a revision first, then
// the change enters the co-editing log (so every open editor receives it),
// and a revision naming the suggestion's author and the acceptor is saved.
func (s *Store) AcceptSuggestion(ctx context.Context, actor *User, id int64) (*AcceptedSuggestion, error) {
	var out AcceptedSuggestion
	err := s.Write(ctx, func(tx *Tx) error {
		sg, acc, m, err := tx.suggestionFor(actor, ActSuggestionAccept, id)
		if err != nil {
			return err
		}
		// Folding saves a revision; the text and its version, read under
		// the lock above, stay as they are.
		if _, _, err := tx.FoldCollab(sg.MeasureID); err != nil {
			return err
		}
		doc := collab.NewDoc(m.Body)
		if quote, ok := doc.Slice(sg.From, sg.To); !ok || quote != sg.Quote {
			// Never expected: mapSuggestions keeps open spans on their words.
			return errOutdated()
		}
		cs, ok := collab.Replace(doc.Len(), sg.From, sg.To, sg.Insert)
		if !ok {
			return errOutdated()
		}
		next, err := cs.Apply(doc)
		if err != nil {
			return err
		}
		text := next.String()
		if len(text) > MaxBodyBytes {
			return (FieldErrors{"insert": "The text would be too long with this change."}).Err()
		}
		changes, err := cs.MarshalJSON()
		if err != nil {
			return err
		}
		now := tx.store.stamp()
		version := m.CollabVersion + 1
		if err := tx.Model(&Suggestion{}).Where("id = ?", sg.ID).Updates(map[string]any{
			"status": SuggestionAccepted, "decided_by": actor.ID, "decided_at": now, "accepted_version": version}).Error; err != nil {
			return err
		}
		up := collab.Update{ClientID: ServerClientID, Changes: changes}
		if err := tx.appendCollab(sg.MeasureID, m.CollabVersion, actor, []collab.Update{up}, []collab.ChangeSet{cs}, text); err != nil {
			return err
		}
		authors := []int64{sg.AuthorID}
		if actor.ID != sg.AuthorID {
			authors = append(authors, actor.ID)
		}
		if _, err := tx.SaveRevision(sg.MeasureID, RevisionSuggestion, authors, actor); err != nil {
			return err
		}
		sg.Status, sg.DecidedBy, sg.DecidedAt, sg.AcceptedVersion = SuggestionAccepted, &actor.ID, &now, &version
		v := viewSuggestion(actor, acc, *sg, nil)
		if err := tx.fillSuggestionNames(v); err != nil {
			return err
		}
		if _, err := tx.Emit(MeasureTopic(sg.MeasureID), "suggestion.accepted", actor, sg.MeasureID, sg.AuthorID,
			map[string]any{"suggestion": v.eventData(), "version": version}); err != nil {
			return err
		}
		out.Suggestion = v // acc (measureAccess) already holds the co-sponsors
		out.Commit = CollabCommit{MeasureID: sg.MeasureID, From: m.CollabVersion, Version: version,
			Updates: []collab.Update{up}, Doc: next, Access: acc}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// BulkResult is what deciding many suggestions at once did.
type BulkResult struct {
	Decided  []*SuggestionView // in the order they were decided
	Outdated int               // accepting: those whose words an earlier accept had changed
}

// DecideAll accepts or rejects every open suggestion of a measure, or only
// one author's (authorID > 0), oldest first: each in its own transaction,
// as if decided one by one, so an accept that changes the words of a later
// suggestion leaves that one outdated (counted, not an error). Rejecting
// also closes the outdated ones. Nothing to decide is not an error.
func (s *Store) DecideAll(ctx context.Context, actor *User, measureID, authorID int64, accept bool) (*BulkResult, []*AcceptedSuggestion, error) {
	acc, err := s.MeasureAccessByID(ctx, measureID)
	if err != nil {
		return nil, nil, err
	}
	act := ActSuggestionReject
	if accept {
		act = ActSuggestionAccept
	}
	if !CanSeeMeasure(actor, acc) {
		return nil, nil, NotFound("Measure")
	}
	// Deciding others' suggestions is for editors, even when some are the
	// actor's own; the policy says why not.
	if err := CheckSuggestion(actor, act, SuggestionTarget{Measure: acc, AuthorID: -1}); err != nil {
		return nil, nil, err
	}
	q := s.Read(ctx).Model(&Suggestion{}).Where("measure_id = ?", measureID)
	if accept {
		q = q.Where("status = ?", SuggestionOpen)
	} else {
		q = q.Where("status IN ?", []string{SuggestionOpen, SuggestionOutdated})
	}
	if authorID > 0 {
		q = q.Where("author_id = ?", authorID)
	}
	var ids []int64
	if err := q.Order("id").Limit(1000).Pluck("id", &ids).Error; err != nil {
		return nil, nil, dbError(err)
	}
	out := &BulkResult{}
	var applied []*AcceptedSuggestion
	for _, id := range ids {
		if accept {
			a, err := s.AcceptSuggestion(ctx, actor, id)
			switch {
			case err == nil:
				out.Decided = append(out.Decided, a.Suggestion)
				applied = append(applied, a)
			case isCode(err, "suggestion_outdated") || isCode(err, "already_decided"):
				out.Outdated++
			default:
				return out, applied, err
			}
			continue
		}
		v, err := s.RejectSuggestion(ctx, actor, id, "")
		switch {
		case err == nil:
			out.Decided = append(out.Decided, v)
		case isCode(err, "already_decided"):
		default:
			return out, applied, err
		}
	}
	return out, applied, nil
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// RejectSuggestion closes an open or outdated suggestion without applying
// it; it stays in the measure's history with the optional note.
func (s *Store) RejectSuggestion(ctx context.Context, actor *User, id int64, note string) (*SuggestionView, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > maxSuggestionNote || !utf8.ValidString(note) || strings.ContainsRune(note, 0) {
		return nil, (FieldErrors{"note": fmt.Sprintf("The note is too long or not valid text (%d characters at most).", maxSuggestionNote)}).Err()
	}
	var out *SuggestionView
	err := s.Write(ctx, func(tx *Tx) error {
		sg, acc, _, err := tx.suggestionFor(actor, ActSuggestionReject, id)
		if err != nil {
			return err
		}
		now := tx.store.stamp()
		if err := tx.Model(&Suggestion{}).Where("id = ?", sg.ID).Updates(map[string]any{
			"status": SuggestionRejected, "decided_by": actor.ID, "decided_at": now, "note": note}).Error; err != nil {
			return err
		}
		sg.Status, sg.DecidedBy, sg.DecidedAt, sg.Note = SuggestionRejected, &actor.ID, &now, note
		out = viewSuggestion(actor, acc, *sg, nil)
		if err := tx.fillSuggestionNames(out); err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(sg.MeasureID), "suggestion.rejected", actor, sg.MeasureID, sg.AuthorID,
			map[string]any{"suggestion": out.eventData()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// suggestionFor locks a suggestion and its measure and checks the action:
// 404 when the measure is not visible, then the policy, then the state of
// the suggestion itself (already decided, or outdated for an accept).
func (tx *Tx) suggestionFor(actor *User, act Action, id int64) (*Suggestion, MeasureAccess, collabMeasure, error) {
	var sg Suggestion
	if err := tx.Where("id = ?", id).Take(&sg).Error; err != nil {
		return nil, MeasureAccess{}, collabMeasure{}, lookupError(err, NotFound("Suggestion"))
	}
	m, err := tx.lockCollabMeasure(sg.MeasureID)
	if err != nil {
		return nil, MeasureAccess{}, collabMeasure{}, err
	}
	// Read again under the measure's lock: a concurrent accept or reject
	// may have decided it while we waited.
	if err := tx.Where("id = ?", id).Take(&sg).Error; err != nil {
		return nil, MeasureAccess{}, collabMeasure{}, lookupError(err, NotFound("Suggestion"))
	}
	acc, err := measureAccess(tx.DB, sg.MeasureID)
	if err != nil {
		return nil, MeasureAccess{}, collabMeasure{}, err
	}
	if !CanSeeMeasure(actor, acc) {
		return nil, MeasureAccess{}, collabMeasure{}, NotFound("Suggestion")
	}
	if err := CheckSuggestion(actor, act, SuggestionTarget{Measure: acc, AuthorID: sg.AuthorID}); err != nil {
		return nil, MeasureAccess{}, collabMeasure{}, err
	}
	switch {
	case sg.Status == SuggestionAccepted || sg.Status == SuggestionRejected:
		return nil, MeasureAccess{}, collabMeasure{}, CodedError(EConflict, "already_decided", "This suggestion has already been "+sg.Status+".")
	case sg.Status == SuggestionOutdated && act == ActSuggestionAccept:
		return nil, MeasureAccess{}, collabMeasure{}, errOutdated()
	}
	return &sg, acc, m, nil
}

// ListSuggestions gives a visible measure's suggestions, oldest first,
// optionally of one status.
func (s *Store) ListSuggestions(ctx context.Context, viewer *User, measureID int64, status string) ([]*SuggestionView, error) {
	acc, err := s.MeasureAccessByID(ctx, measureID)
	if err != nil {
		return nil, err
	}
	return s.SuggestionsOf(ctx, viewer, acc, status)
}

// SuggestionsOf is ListSuggestions for a measure whose access the caller
// has already read (the measure page), with the same checks.
func (s *Store) SuggestionsOf(ctx context.Context, viewer *User, acc MeasureAccess, status string) ([]*SuggestionView, error) {
	switch status {
	case "", SuggestionOpen, SuggestionAccepted, SuggestionRejected, SuggestionOutdated:
	default:
		return nil, (FieldErrors{"status": "Unknown status: use open, accepted, rejected or outdated."}).Err()
	}
	if !CanSeeMeasure(viewer, acc) {
		return nil, NotFound("Measure")
	}
	measureID := acc.ID
	q := s.Read(ctx).Where("measure_id = ?", measureID)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var rows []Suggestion
	if err := q.Order("id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.AuthorID)
		if r.DecidedBy != nil {
			ids = append(ids, *r.DecidedBy)
		}
	}
	users, err := usersByID(s.Read(ctx), ids)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]*SuggestionView, len(rows))
	for i, r := range rows {
		out[i] = viewSuggestion(viewer, acc, r, users)
	}
	return out, nil
}

// SuggestionsAt is ListSuggestions with the collab version of the text
// their positions refer to: a co-edit moves the suggestions and the
// version in one transaction, so a list read between two equal versions
// belongs to that version.
func (s *Store) SuggestionsAt(ctx context.Context, viewer *User, measureID int64, status string) ([]*SuggestionView, int64, error) {
	for attempt := 0; ; attempt++ {
		before, err := s.CollabVersion(ctx, measureID)
		if err != nil {
			return nil, 0, err
		}
		list, err := s.ListSuggestions(ctx, viewer, measureID, status)
		if err != nil {
			return nil, 0, err
		}
		after, err := s.CollabVersion(ctx, measureID)
		if err != nil {
			return nil, 0, err
		}
		if before == after || attempt == 4 {
			// After a few tries under a stream of edits, the later version:
			// the editor then asks again as the updates reach it.
			return list, after, nil
		}
	}
}

// SuggestionMeasure is the measure a suggestion belongs to, or NotFound.
// It says nothing about who may see it: the caller's next step checks.
func (s *Store) SuggestionMeasure(ctx context.Context, id int64) (int64, error) {
	var ids []int64
	if err := s.Read(ctx).Model(&Suggestion{}).Where("id = ?", id).Pluck("measure_id", &ids).Error; err != nil {
		return 0, dbError(err)
	}
	if len(ids) == 0 {
		return 0, NotFound("Suggestion")
	}
	return ids[0], nil
}

// viewSuggestion names the people of a suggestion from users (when there)
// and decides what viewer may do with it (nothing for a nil viewer).
func viewSuggestion(viewer *User, acc MeasureAccess, r Suggestion, users map[int64]*User) *SuggestionView {
	v := &SuggestionView{Suggestion: r, Author: UserRef{ID: r.AuthorID}}
	if u, ok := users[r.AuthorID]; ok {
		v.Author.Name, v.Author.OrganizationID = u.Name, u.OrganizationID
	}
	if r.DecidedBy != nil {
		ref := UserRef{ID: *r.DecidedBy}
		if u, ok := users[*r.DecidedBy]; ok {
			ref.Name, ref.OrganizationID = u.Name, u.OrganizationID
		}
		v.DecidedBy = &ref
	}
	if viewer != nil {
		t := SuggestionTarget{Measure: acc, AuthorID: r.AuthorID}
		v.CanAccept = r.Status == SuggestionOpen && CheckSuggestion(viewer, ActSuggestionAccept, t) == nil
		v.CanReject = (r.Status == SuggestionOpen || r.Status == SuggestionOutdated) && CheckSuggestion(viewer, ActSuggestionReject, t) == nil
	}
	return v
}

// fillSuggestionNames reads the names a view lacks.
func (tx *Tx) fillSuggestionNames(v *SuggestionView) error {
	ids := []int64{v.Author.ID}
	if v.DecidedBy != nil {
		ids = append(ids, v.DecidedBy.ID)
	}
	users, err := usersByID(tx.DB, ids)
	if err != nil {
		return err
	}
	if u, ok := users[v.Author.ID]; ok {
		v.Author.Name, v.Author.OrganizationID = u.Name, u.OrganizationID
	}
	if v.DecidedBy != nil {
		if u, ok := users[v.DecidedBy.ID]; ok {
			v.DecidedBy.Name, v.DecidedBy.OrganizationID = u.Name, u.OrganizationID
		}
	}
	return nil
}
