package models

import "context"

// EventTypes lists every type of event the code writes to the log: one
// table (STYLE.md), which the audit trail's sentences follow. A test reads
// the code's Emit calls and checks each type is here, and that each has a
// sentence in French, English and Arabic.
func EventTypes() []string {
	return []string{
		"measure.created", "measure.updated", "measure.status_changed", "measure.revision_saved",
		"measure.published", "measure.unpublished",
		"review.created",
		"editor.added", "editor.removed",
		"cosponsor.added", "cosponsor.removed",
		"comment.created", "comment.updated", "comment.deleted", "comment.reported",
		"comment.hidden", "comment.restored", "comment.reports_dismissed",
		"suggestion.created", "suggestion.accepted", "suggestion.rejected", "suggestion.outdated",
		"user.invited", "user.activated", "user.created", "user.updated",
		"user.invitation_renewed", "user.invitation_requested", "user.email_change_requested",
		"user.erased",
	}
}

// MeasureTitlesFor gives the titles of the measures among ids that the
// viewer may see, for sentences that name them (an account's history).
func (s *Store) MeasureTitlesFor(ctx context.Context, viewer *User, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []MeasureTitle
	err := visibleTo(s.Read(ctx).Table("measures"), viewer).Select("measures.id, measures.title").
		Where("measures.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, dbError(err)
	}
	for _, r := range rows {
		out[r.ID] = r.Title
	}
	return out, nil
}
