package models

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Why a revision was saved: an edit, or the workflow step it records.
const (
	RevisionCreate = "create"
	RevisionEdit   = "edit"
	RevisionOpened = "opened" // opened to the platform
	RevisionCollab = "collab" // an editing burst in the co-editor
)

// Revision is an immutable snapshot of a measure's text, saved at every edit
// and every status change.
type Revision struct {
	MeasureID     int64     `gorm:"column:measure_id;primaryKey"`
	Number        int       `gorm:"column:number;primaryKey"`
	Title         string    `gorm:"column:title"`
	Summary       string    `gorm:"column:summary"`
	Body          string    `gorm:"column:body"`
	Pillar        string    `gorm:"column:pillar"`
	Axis          *string   `gorm:"column:axis"`
	Status        string    `gorm:"column:status"`
	Reason        string    `gorm:"column:reason"`
	AuthorsJSON   string    `gorm:"column:authors"`
	CollabVersion int64     `gorm:"column:collab_version"`
	CreatedAt     time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where revisions live.
func (Revision) TableName() string { return "revisions" }

// Authors are the ids of the people whose work the revision holds.
func (r *Revision) Authors() []int64 {
	out := []int64{}
	_ = json.Unmarshal([]byte(r.AuthorsJSON), &out)
	return out
}

// AxisKey is the axis or "".
func (r *Revision) AxisKey() string {
	if r.Axis == nil {
		return ""
	}
	return *r.Axis
}

// insertRevision snapshots the measure as it now is, under m.Revision.
func (tx *Tx) insertRevision(m *Measure, reason string, authors []int64, at time.Time) error {
	if authors == nil {
		authors = []int64{}
	}
	a, _ := json.Marshal(authors)
	var cv int64
	if err := tx.Table("measures").Where("id = ?", m.ID).Pluck("collab_version", &cv).Error; err != nil {
		return err
	}
	r := &Revision{MeasureID: m.ID, Number: m.Revision, Title: m.Title, Summary: m.Summary, Body: m.Body,
		Pillar: m.Pillar, Axis: m.Axis, Status: m.Status, Reason: reason, AuthorsJSON: string(a), CollabVersion: cv, CreatedAt: at}
	return tx.Create(r).Error
}

// SaveRevision records the measure's present text as a new revision, for
// the co-editor when an editing burst ends: it bumps measures.revision,
// snapshots title, summary and body, and emits measure.revision_saved. The
// caller has already written the text to the measures row in this
// transaction.
func (tx *Tx) SaveRevision(measureID int64, reason string, authors []int64, actor *User) (int, error) {
	m, err := tx.lockMeasure(measureID)
	if err != nil {
		return 0, err
	}
	// People mentioned for the first time by the co-edited text are told;
	// a mention of someone who cannot see the measure cannot be refused to
	// a keystroke, so it is simply not told (the fan-out checks).
	var prev string
	if err := tx.Raw("SELECT body FROM revisions WHERE measure_id = ? AND number = ?", m.ID, m.Revision).Scan(&prev).Error; err != nil {
		return 0, err
	}
	mentioned := newMentions(prev, m.Body)
	now := tx.store.stamp()
	m.Revision++
	m.UpdatedAt = now
	if err := tx.Model(&Measure{}).Where("id = ?", m.ID).Updates(map[string]any{"revision": m.Revision, "updated_at": now}).Error; err != nil {
		return 0, err
	}
	if err := tx.insertRevision(m, reason, authors, now); err != nil {
		return 0, err
	}
	_, err = tx.Emit(MeasureTopic(m.ID), "measure.revision_saved", actor, m.ID, 0,
		map[string]any{"revision": m.Revision, "reason": reason, "measure": m.Item(), "mentioned": mentioned})
	return m.Revision, err
}

// ListRevisions pages through a visible measure's revisions, newest first.
func (s *Store) ListRevisions(ctx context.Context, viewer *User, measureID int64, cursor string, limit int) (Page[Revision], error) {
	acc, err := s.MeasureAccessByID(ctx, measureID)
	if err != nil {
		return Page[Revision]{}, err
	}
	return s.ListRevisionsFor(ctx, viewer, acc, cursor, limit)
}

// ListRevisionsFor is ListRevisions for a measure already loaded: the page
// that shows the measure and its latest revisions reads it once.
func (s *Store) ListRevisionsFor(ctx context.Context, viewer *User, m MeasureAccess, cursor string, limit int) (Page[Revision], error) {
	if !CanSeeMeasure(viewer, m) {
		return Page[Revision]{}, NotFound("Measure")
	}
	measureID := m.ID
	before, err := DecodeCursor(cursor)
	if err != nil {
		return Page[Revision]{}, err
	}
	limit = ClampLimit(limit)
	q := s.Read(ctx).Select("measure_id, number, title, summary, pillar, axis, status, reason, authors, collab_version, created_at").
		Where("measure_id = ?", measureID)
	if before > 0 {
		q = q.Where("number < ?", before)
	}
	var rs []Revision
	if err := q.Order("number DESC").Limit(limit + 1).Find(&rs).Error; err != nil {
		return Page[Revision]{}, dbError(err)
	}
	page := Page[Revision]{Items: rs}
	if len(rs) > limit {
		page.Items = rs[:limit]
		page.NextCursor = EncodeCursor(int64(page.Items[limit-1].Number))
	}
	return page, nil
}

// RevisionByNumber gives one revision of a visible measure.
func (s *Store) RevisionByNumber(ctx context.Context, viewer *User, measureID int64, n int) (*Revision, error) {
	if err := s.checkView(ctx, viewer, measureID); err != nil {
		return nil, err
	}
	var r Revision
	err := s.Read(ctx).Where("measure_id = ? AND number = ?", measureID, n).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, NotFound("Revision")
	}
	return &r, dbError(err)
}

// checkView answers 404 for a measure the viewer may not see.
func (s *Store) checkView(ctx context.Context, viewer *User, measureID int64) error {
	acc, err := s.MeasureAccessByID(ctx, measureID)
	if err != nil {
		return err
	}
	if !CanSeeMeasure(viewer, acc) {
		return NotFound("Measure")
	}
	return nil
}

// RevisionDiff compares two revisions of a measure.
type RevisionDiff struct {
	From, To *Revision
	Title    FieldChange
	Summary  FieldChange
	Pillar   FieldChange
	Axis     FieldChange
	Body     []Hunk
}

// FieldChange is a short field before and after.
type FieldChange struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Changed bool   `json:"changed"`
}

func fieldChange(a, b string) FieldChange { return FieldChange{From: a, To: b, Changed: a != b} }

// DiffRevisions compares revisions from and to of a visible measure.
func (s *Store) DiffRevisions(ctx context.Context, viewer *User, measureID int64, from, to int) (*RevisionDiff, error) {
	a, err := s.RevisionByNumber(ctx, viewer, measureID, from)
	if err != nil {
		return nil, err
	}
	b, err := s.RevisionByNumber(ctx, viewer, measureID, to)
	if err != nil {
		return nil, err
	}
	return &RevisionDiff{From: a, To: b,
		Title: fieldChange(a.Title, b.Title), Summary: fieldChange(a.Summary, b.Summary),
		Pillar: fieldChange(a.Pillar, b.Pillar), Axis: fieldChange(a.AxisKey(), b.AxisKey()),
		Body: DiffText(a.Body, b.Body)}, nil
}
