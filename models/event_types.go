package models

// EventTypes lists every type of event the code writes to the log: one
// table (STYLE.md), which the audit trail's sentences follow. A test reads
// the code's Emit calls and checks each type is here, and that each has a
// sentence in French, English and Arabic.
func EventTypes() []string {
	return []string{
		"measure.created", "measure.updated", "measure.status_changed", "measure.revision_saved",
		"review.created",
		"editor.added", "editor.removed",
		"cosponsor.added", "cosponsor.removed",
		"comment.created", "comment.updated", "comment.deleted", "comment.reported",
		"comment.hidden", "comment.restored", "comment.reports_dismissed",
		"user.invited", "user.activated", "user.created", "user.updated",
	}
}
