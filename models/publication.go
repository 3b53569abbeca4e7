package models

import (
	"context"
	"strings"
	"time"
)

// MaxPublicationNote bounds the note that goes with a publication.
const MaxPublicationNote = 2000 // characters

// PublishMeasure makes a measure's approved text public (docs/DESIGN.md,
// "Publication and the public Pact"). Like every workflow step it saves a
// revision and writes an event, so the history and live pages show it.
func (s *Store) PublishMeasure(ctx context.Context, actor *User, id int64, note string) (*Measure, error) {
	return s.publication(ctx, actor, id, note, true)
}

// UnpublishMeasure takes a measure off the public Pact; the note, which
// says why, is required.
func (s *Store) UnpublishMeasure(ctx context.Context, actor *User, id int64, note string) (*Measure, error) {
	return s.publication(ctx, actor, id, note, false)
}

func (s *Store) publication(ctx context.Context, actor *User, id int64, note string, publish bool) (*Measure, error) {
	note = strings.TrimSpace(normalizeText(note))
	act, typ, reason := ActPublishMeasure, "measure.published", "publish"
	if !publish {
		act, typ, reason = ActUnpublish, "measure.unpublished", "unpublish"
	}
	var out *Measure
	err := s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasureForForm(actor, act, id, func(fe FieldErrors) {
			if !publish && note == "" {
				fe.Add("note", "Say why the measure is taken off the public Pact.")
			}
			checkNote(fe, note, MaxPublicationNote)
		})
		if err != nil {
			return err
		}
		before := m.Revision
		now := s.stamp()
		m.Revision++
		m.UpdatedAt, m.PublicChangedAt = now, &now
		updates := map[string]any{"revision": m.Revision, "updated_at": now, "public_changed_at": now}
		if publish {
			by := actor.ID
			m.PublishedAt, m.PublishedBy = &now, &by
			updates["published_at"], updates["published_by"] = now, by
		} else {
			m.PublishedAt, m.PublishedBy = nil, nil
			updates["published_at"], updates["published_by"] = nil, nil
		}
		res := tx.Model(&Measure{}).Where("id = ? AND revision = ?", m.ID, before).Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return StaleRevision(before)
		}
		if err := tx.insertRevision(m, reason, []int64{actor.ID}, now); err != nil {
			return err
		}
		data := map[string]any{"note": note, "revision": m.Revision, "published_revision": m.PublishedRevision,
			"measure": m.Item()}
		if _, err := tx.Emit(MeasureTopic(m.ID), typ, actor, m.ID, 0, data); err != nil {
			return err
		}
		if _, err := tx.Emit(MeasureTopic(m.ID), "measure.revision_saved", actor, m.ID, 0,
			map[string]any{"revision": m.Revision, "reason": reason, "measure": m.Item()}); err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PublicMeasure is what the public may read of a published measure: the
// text of its approved revision (never a later draft), where it sits in the
// taxonomy, and who carries it.
type PublicMeasure struct {
	ID                 int64
	Title              string
	Summary            string
	Body               string
	Pillar             string
	Axis               string
	LeadOrganizationID int64
	CosponsorIDs       []int64
	Revision           int
	ApprovedAt         time.Time
	PublishedAt        time.Time
	ChangedAt          time.Time
}

// publicRow is one published measure joined to its approved revision.
type publicRow struct {
	ID                 int64      `gorm:"column:id"`
	Title              string     `gorm:"column:title"`
	Summary            string     `gorm:"column:summary"`
	Body               string     `gorm:"column:body"`
	Pillar             string     `gorm:"column:pillar"`
	Axis               *string    `gorm:"column:axis"`
	LeadOrganizationID int64      `gorm:"column:lead_organization_id"`
	Revision           int        `gorm:"column:revision"`
	ApprovedAt         *time.Time `gorm:"column:approved_at"`
	PublishedAt        time.Time  `gorm:"column:published_at"`
	ChangedAt          *time.Time `gorm:"column:public_changed_at"`
}

// PublicMeasures lists every published measure (ids: only those; none: all),
// in id order. The text comes from the approved revision's row, so an
// amendment under way, which changes the measures row, shows nowhere.
func (s *Store) PublicMeasures(ctx context.Context, ids ...int64) ([]PublicMeasure, error) {
	db := s.Read(ctx)
	q := db.Table("measures m").
		Select("m.id, r.title, r.summary, r.body, r.pillar, r.axis, m.lead_organization_id, "+
			"m.published_revision AS revision, m.approved_at, m.published_at, m.public_changed_at").
		Joins("JOIN revisions r ON r.measure_id = m.id AND r.number = m.published_revision").
		Where("m.published_at IS NOT NULL AND m.published_revision IS NOT NULL AND m.visibility = ?", VisibilityPlatform)
	if len(ids) > 0 {
		q = q.Where("m.id IN ?", ids)
	}
	var rows []publicRow
	if err := q.Order("m.id").Scan(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]PublicMeasure, 0, len(rows))
	index := make(map[int64]int, len(rows))
	for _, r := range rows {
		pm := PublicMeasure{ID: r.ID, Title: r.Title, Summary: r.Summary, Body: r.Body, Pillar: r.Pillar,
			LeadOrganizationID: r.LeadOrganizationID, CosponsorIDs: []int64{}, Revision: r.Revision,
			PublishedAt: r.PublishedAt.UTC(), ChangedAt: r.PublishedAt.UTC()}
		if r.Axis != nil {
			pm.Axis = *r.Axis
		}
		if r.ApprovedAt != nil {
			pm.ApprovedAt = r.ApprovedAt.UTC()
		}
		if r.ChangedAt != nil {
			pm.ChangedAt = r.ChangedAt.UTC()
		}
		index[r.ID] = len(out)
		out = append(out, pm)
	}
	if len(out) == 0 {
		return out, nil
	}
	var co []struct {
		MeasureID      int64 `gorm:"column:measure_id"`
		OrganizationID int64 `gorm:"column:organization_id"`
	}
	cq := db.Table("measure_cosponsors").Select("measure_id, organization_id")
	if len(ids) > 0 {
		cq = cq.Where("measure_id IN ?", ids)
	}
	if err := cq.Order("measure_id, organization_id").Scan(&co).Error; err != nil {
		return nil, dbError(err)
	}
	for _, c := range co {
		if i, ok := index[c.MeasureID]; ok {
			out[i].CosponsorIDs = append(out[i].CosponsorIDs, c.OrganizationID)
		}
	}
	return out, nil
}

// PublicChangedAt is the last time anything the public sees changed (a
// publication, an unpublication, an approved amendment of a published
// measure); zero when nothing was ever published.
func (s *Store) PublicChangedAt(ctx context.Context) (time.Time, error) {
	var m Measure
	err := s.Read(ctx).Select("public_changed_at").Where("public_changed_at IS NOT NULL").
		Order("public_changed_at DESC").Limit(1).Find(&m).Error
	if err != nil {
		return time.Time{}, dbError(err)
	}
	if m.PublicChangedAt == nil {
		return time.Time{}, nil
	}
	return m.PublicChangedAt.UTC(), nil
}
