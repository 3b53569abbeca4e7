package models

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// MeasureAccess is what visibility depends on: enough to decide who may see
// a measure without loading it whole. The live hub checks every event
// against it at send time.
type MeasureAccess struct {
	ID              int64
	LeadOrgID       int64
	CosponsorOrgIDs []int64
	EditorIDs       []int64
	Visibility      string // federation | platform
	Status          string
	Approved        bool // it has an approved text (a published revision)
	Published       bool // that text is public (publication.go)
}

// Visibility values.
const (
	VisibilityFederation = "federation"
	VisibilityPlatform   = "platform"
)

// IsEditor reports whether the user edits the measure.
func (m MeasureAccess) IsEditor(u *User) bool {
	if u == nil {
		return false
	}
	for _, id := range m.EditorIDs {
		if id == u.ID {
			return true
		}
	}
	return false
}

// InFederations reports whether the user belongs to the lead or a
// co-sponsoring organisation.
func (m MeasureAccess) InFederations(u *User) bool {
	org := u.OrgID()
	if org == 0 {
		return false
	}
	if org == m.LeadOrgID {
		return true
	}
	for _, id := range m.CosponsorOrgIDs {
		if id == org {
			return true
		}
	}
	return false
}

// MeasureTopic is the live-update topic of one measure.
func MeasureTopic(id int64) string { return "measure:" + strconv.FormatInt(id, 10) }

// MeasureAccessByID loads what visibility depends on, from the read pool.
func (s *Store) MeasureAccessByID(ctx context.Context, id int64) (MeasureAccess, error) {
	return measureAccess(s.Read(ctx), id)
}

// measureAccess reads what visibility depends on through db (the read pool,
// or a transaction that must see its own changes).
func measureAccess(db *gorm.DB, id int64) (MeasureAccess, error) {
	var row struct {
		ID                 int64
		LeadOrganizationID int64
		Visibility         string
		Status             string
		PublishedRevision  *int
		PublishedAt        *time.Time
	}
	if err := db.Table("measures").Select("id, lead_organization_id, visibility, status, published_revision, published_at").Where("id = ?", id).Take(&row).Error; err != nil {
		return MeasureAccess{}, lookupError(err, NotFound("Measure"))
	}
	m := MeasureAccess{ID: row.ID, LeadOrgID: row.LeadOrganizationID, Visibility: row.Visibility, Status: row.Status,
		Approved: row.PublishedRevision != nil, Published: row.PublishedAt != nil}
	if err := db.Table("measure_cosponsors").Where("measure_id = ?", id).Order("organization_id").Pluck("organization_id", &m.CosponsorOrgIDs).Error; err != nil {
		return m, dbError(err)
	}
	if err := db.Table("measure_editors").Where("measure_id = ?", id).Order("user_id").Pluck("user_id", &m.EditorIDs).Error; err != nil {
		return m, dbError(err)
	}
	return m, nil
}
