package models

import (
	"context"
	"time"
)

// The search index (package search, kept by the server) holds every
// measure and comment with what their visibility depends on, and filters
// by the viewer's MeasureScope when it answers. These reads feed it: they
// see everything, because the index decides nothing itself.

// IndexedMeasure is a measure as the index holds it: its current text and
// its access.
type IndexedMeasure struct {
	ID                   int64
	Title, Summary, Body string
	Pillar, Axis, Status string
	UpdatedAt            time.Time
	Access               MeasureAccess
}

// IndexedComment is a comment as the index holds it. Deleted comments are
// not read: the index drops them.
type IndexedComment struct {
	ID, MeasureID int64
	Body          string
	Hidden        bool
	CreatedAt     time.Time
}

// IndexMeasures reads measures for the index: the given ids, or (none
// given) up to limit measures after afterID in id order, for a rebuild.
func (s *Store) IndexMeasures(ctx context.Context, afterID int64, limit int, ids ...int64) ([]IndexedMeasure, error) {
	q := s.Read(ctx).Model(&Measure{})
	if len(ids) > 0 {
		q = q.Where("id IN ?", ids)
	} else {
		q = q.Where("id > ?", afterID).Limit(limit)
	}
	var ms []Measure
	if err := q.Order("id").Find(&ms).Error; err != nil {
		return nil, dbError(err)
	}
	if err := s.attachCosponsors(ctx, ms); err != nil {
		return nil, err
	}
	if err := s.attachEditors(ctx, ms); err != nil {
		return nil, err
	}
	out := make([]IndexedMeasure, len(ms))
	for i := range ms {
		m := &ms[i]
		out[i] = IndexedMeasure{ID: m.ID, Title: m.Title, Summary: m.Summary, Body: m.Body, Pillar: m.Pillar,
			Axis: m.AxisKey(), Status: m.Status, UpdatedAt: m.UpdatedAt.UTC(), Access: m.Access()}
	}
	return out, nil
}

// IndexCommentFilter chooses the comments IndexComments reads: by id, by
// measure, or (neither given) a page after AfterID in id order.
type IndexCommentFilter struct {
	IDs        []int64
	MeasureIDs []int64
	AfterID    int64
	Limit      int
}

// IndexComments reads comments that are not deleted, for the index.
func (s *Store) IndexComments(ctx context.Context, f IndexCommentFilter) ([]IndexedComment, error) {
	q := s.Read(ctx).Model(&Comment{}).Select("id, measure_id, body, status, created_at").
		Where("status <> ?", CommentDeleted)
	switch {
	case len(f.IDs) > 0:
		q = q.Where("id IN ?", f.IDs)
	case len(f.MeasureIDs) > 0:
		q = q.Where("measure_id IN ?", f.MeasureIDs)
	default:
		q = q.Where("id > ?", f.AfterID).Limit(f.Limit)
	}
	var rows []Comment
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]IndexedComment, len(rows))
	for i, c := range rows {
		out[i] = IndexedComment{ID: c.ID, MeasureID: c.MeasureID, Body: c.Body, Hidden: c.Status == CommentHidden,
			CreatedAt: c.CreatedAt.UTC()}
	}
	return out, nil
}
