package models

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The audit trail is the event log read backwards. Who may read which lines:
// moderators and admins read everything; reviewers read the events of the
// measures they can see, and nothing else (account events included).

// AuditObject names what an audit search is about: "measure:12" (every
// event of the measure, comments and reviews included), "user:5" (events
// whose subject is the account: invitations, role and status changes) or
// "comment:9" (the comment's life: created, updated, reported, hidden,
// restored, deleted).
type AuditObject struct {
	Kind string // measure | user | comment
	ID   int64
}

// String is the object's syntax, for links.
func (o AuditObject) String() string {
	if o.Kind == "" {
		return ""
	}
	return o.Kind + ":" + strconv.FormatInt(o.ID, 10)
}

// ParseAuditObject reads "kind:id"; the empty string is no object.
func ParseAuditObject(s string) (AuditObject, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return AuditObject{}, nil
	}
	kind, id, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || (kind != "measure" && kind != "user" && kind != "comment") {
		return AuditObject{}, &Error{Kind: EMalformed, Code: "invalid_query",
			Message: `object must look like "measure:12", "user:5" or "comment:9".`,
			Fields:  map[string]string{"object": `Use measure:<id>, user:<id> or comment:<id>.`}}
	}
	return AuditObject{Kind: kind, ID: n}, nil
}

// ParseAuditTime reads an RFC 3339 time or a YYYY-MM-DD date (a UTC day).
// As the end of a range, a date covers its whole day; the returned time is
// then the exclusive bound (the next midnight), and an RFC 3339 time is
// inclusive (its next nanosecond).
func ParseAuditTime(name, s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if end {
			t = t.Add(time.Nanosecond)
		}
		return t.UTC(), nil
	}
	if d, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d.UTC(), nil
	}
	return time.Time{}, &Error{Kind: EMalformed, Code: "invalid_query",
		Message: "The parameter " + name + " must be a date (YYYY-MM-DD) or an RFC 3339 time.",
		Fields:  map[string]string{name: "Use YYYY-MM-DD or an RFC 3339 time."}}
}

// AuditFilter narrows the audit trail.
type AuditFilter struct {
	ActorID int64
	Object  AuditObject
	From    time.Time // inclusive; zero: from the start
	Before  time.Time // exclusive; zero: up to now
	Cursor  string
	Limit   int
}

// AuditEntry is one line of the trail as its reader may see it.
type AuditEntry struct {
	ID            int64
	Topic         string
	Type          string
	Actor         *UserRef
	MeasureID     *int64
	SubjectUserID *int64
	Data          map[string]any
	At            time.Time
}

// auditScanBatch and auditScanMax bound the work of one page for a reviewer,
// whose lines are filtered after reading: the page may come back short, with
// a cursor to go on from where the scan stopped.
const (
	auditScanBatch = 200
	auditScanMax   = 20
)

// Audit reads the event log, newest first.
func (s *Store) Audit(ctx context.Context, viewer *User, f AuditFilter) (Page[AuditEntry], error) {
	page := Page[AuditEntry]{Items: []AuditEntry{}}
	if !Can(viewer, ActViewAudit, nil) {
		return page, Errorf(EForbidden, "Only reviewers, moderators and admins read the audit trail.")
	}
	before, err := DecodeCursor(f.Cursor)
	if err != nil {
		return page, err
	}
	limit := ClampLimit(f.Limit)
	all := Can(viewer, ActViewAuditAll, nil)
	// A notification is news for one person, not an action to audit.
	q := s.Read(ctx).Model(&Event{}).Where("type <> ?", EventNotificationCreated)
	if f.ActorID > 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	switch f.Object.Kind {
	case "measure":
		q = q.Where("measure_id = ?", f.Object.ID)
	case "user":
		q = q.Where("(subject_user_id = ? OR topic = ?)", f.Object.ID, UserTopic(f.Object.ID))
	case "comment":
		var mid int64
		if err := s.Read(ctx).Table("comments").Select("measure_id").Where("id = ?", f.Object.ID).Scan(&mid).Error; err != nil {
			return page, dbError(err)
		}
		if mid == 0 {
			return page, nil
		}
		q = q.Where("measure_id = ? AND type LIKE ?", mid, "comment.%")
		if s.Dialect == Postgres {
			q = q.Where("(payload::jsonb ->> 'comment_id') = ?", strconv.FormatInt(f.Object.ID, 10))
		} else {
			q = q.Where("json_extract(payload, '$.comment_id') = ?", f.Object.ID)
		}
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.Before.IsZero() {
		q = q.Where("created_at < ?", f.Before.UTC())
	}
	if !all {
		q = q.Where("measure_id IS NOT NULL")
	}
	seen := map[int64]bool{} // measure id → visible, for this request
	visible := func(e *Event) (bool, error) {
		if all {
			return true, nil
		}
		if e.MeasureID == nil {
			return false, nil
		}
		ok, known := seen[*e.MeasureID]
		if !known {
			m, err := s.MeasureAccessByID(ctx, *e.MeasureID)
			if err != nil && ErrorKind(err) != ENotFound {
				return false, err // a database error is not "invisible"
			}
			ok = err == nil && CanSeeMeasure(viewer, m)
			seen[*e.MeasureID] = ok
		}
		return ok, nil
	}
	scan := auditScan{limit: limit, before: before}
	n := auditScanBatch
	if all {
		n = limit + 1 // every row is visible: one batch is the page
	}
	for round := 0; round < auditScanMax && !scan.full(); round++ {
		batch := q.Session(&gorm.Session{})
		if scan.before > 0 {
			batch = batch.Where("id < ?", scan.before)
		}
		var rows []Event
		if err := batch.Order("id DESC").Limit(n).Find(&rows).Error; err != nil {
			return page, dbError(err)
		}
		if err := scan.add(rows, n, visible); err != nil {
			return page, err
		}
		if scan.exhausted {
			break
		}
	}
	events, next := scan.result()
	page.NextCursor = next
	return s.auditEntries(ctx, viewer, events, page)
}

// auditScan gathers one page of the audit trail from batches of the log
// read newest first, keeping the events the reader may see. It reads
// nothing itself, so its paging is table-tested without a database.
type auditScan struct {
	limit     int
	before    int64 // the next batch reads ids below this (0: from the newest)
	events    []Event
	scanned   int64 // the oldest id looked at
	exhausted bool  // the log has nothing older
}

// full: a page and one more event are in hand (so there is a next page).
func (a *auditScan) full() bool { return len(a.events) > a.limit }

// add takes one batch of at most size rows, newest first.
func (a *auditScan) add(rows []Event, size int, visible func(*Event) (bool, error)) error {
	for i := range rows {
		a.before, a.scanned = rows[i].ID, rows[i].ID
		ok, err := visible(&rows[i])
		if err != nil {
			return err
		}
		if ok {
			a.events = append(a.events, rows[i])
			if a.full() {
				return nil
			}
		}
	}
	a.exhausted = len(rows) < size
	return nil
}

// result is the page's events and the cursor of the next page: after its
// last event when there are more, or after the last row looked at when the
// scan stopped early (too many rows the reader may not see).
func (a *auditScan) result() ([]Event, string) {
	switch {
	case a.full():
		return a.events[:a.limit], EncodeCursor(a.events[a.limit-1].ID)
	case !a.exhausted && a.scanned > 0:
		return a.events, EncodeCursor(a.scanned)
	}
	return a.events, ""
}

// auditEntries names the actors and takes out of each payload what the
// reader may not see: moderator_only parts, and the text of comments that
// are now hidden or deleted.
func (s *Store) auditEntries(ctx context.Context, viewer *User, events []Event, page Page[AuditEntry]) (Page[AuditEntry], error) {
	actorIDs, commentIDs := []int64{}, []int64{}
	datas := make([]map[string]any, len(events))
	for i, e := range events {
		if e.ActorID != nil {
			actorIDs = append(actorIDs, *e.ActorID)
		}
		datas[i] = e.Data()
		if id := CommentIDOf(datas[i]); id != 0 {
			commentIDs = append(commentIDs, id)
		}
	}
	users, err := s.UsersByIDs(ctx, actorIDs)
	if err != nil {
		return page, err
	}
	moderator := Can(viewer, ActModerate, nil)
	unreadable := map[int64]bool{}
	if !moderator {
		if unreadable, err = s.UnreadableComments(ctx, commentIDs); err != nil {
			return page, err
		}
	}
	for i, e := range events {
		d := datas[i]
		if !moderator {
			delete(d, "moderator_only")
			RedactCommentData(d, unreadable)
		}
		entry := AuditEntry{ID: e.ID, Topic: e.Topic, Type: e.Type, MeasureID: e.MeasureID, SubjectUserID: e.SubjectUserID, Data: d, At: e.CreatedAt}
		if e.ActorID != nil {
			ref := UserRef{ID: *e.ActorID}
			if u, ok := users[*e.ActorID]; ok {
				ref.Name, ref.OrganizationID = u.Name, u.OrganizationID
			}
			entry.Actor = &ref
		}
		page.Items = append(page.Items, entry)
	}
	return page, nil
}

// AuditPeople lists the accounts an audit search can be narrowed to, by name.
func (s *Store) AuditPeople(ctx context.Context, viewer *User) ([]UserRef, error) {
	if err := Check(viewer, ActViewAudit, nil); err != nil {
		return nil, err
	}
	var out []UserRef
	err := s.Read(ctx).Table("users").Select("id, name, organization_id").Where("status <> ?", StatusInvited).Order("name, id").Scan(&out).Error
	return out, dbError(err)
}

// MeasureTitle is a measure's id and title, for pickers.
type MeasureTitle struct {
	ID    int64
	Title string
}

// AuditMeasures lists the measures the viewer can see, newest first, for
// narrowing an audit search.
func (s *Store) AuditMeasures(ctx context.Context, viewer *User) ([]MeasureTitle, error) {
	var out []MeasureTitle
	err := visibleTo(s.Read(ctx).Table("measures"), viewer).Select("measures.id, measures.title").
		Order("measures.id DESC").Limit(1000).Scan(&out).Error
	return out, dbError(err)
}
