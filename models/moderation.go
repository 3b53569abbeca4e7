package models

import (
	"context"
	"time"
)

// Moderation: anyone who can see a comment reports it (once); moderators
// hide it with a reason, restore it, or dismiss its reports, and see the
// queue of what needs them. Every change is written with its event.

// Report is one person's report of a comment.
type Report struct {
	ID         int64      `gorm:"column:id;primaryKey"`
	CommentID  int64      `gorm:"column:comment_id"`
	ReporterID int64      `gorm:"column:reporter_id"`
	Reason     string     `gorm:"column:reason"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
	ResolvedAt *time.Time `gorm:"column:resolved_at"`
}

// TableName tells GORM where reports live.
func (Report) TableName() string { return "comment_reports" }

// ReportComment flags a comment for the moderators. Each person reports a
// comment once; the reporter's identity travels only to moderators.
func (s *Store) ReportComment(ctx context.Context, actor *User, id int64, reason string) (*Report, error) {
	c, m, err := s.commentForAction(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !Can(actor, ActCommentReport, CommentTarget{Measure: m, Comment: c}) {
		return nil, Errorf(EForbidden, "You cannot report your own comment.")
	}
	if c.Status == CommentHidden {
		return nil, errCommentHidden()
	}
	reason, err = checkReason(reason)
	if err != nil {
		return nil, err
	}
	r := Report{CommentID: id, ReporterID: actor.ID, Reason: reason, CreatedAt: s.stamp()}
	err = s.Write(ctx, func(tx *Tx) error {
		cur, err := lockComment(tx, id) // serialises reports of one comment
		if err != nil {
			return err
		}
		if cur.Status == CommentHidden {
			return errCommentHidden()
		}
		var n int64
		if err := tx.Model(&Report{}).Where("comment_id = ? AND reporter_id = ?", id, actor.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return CodedError(EConflict, "already_reported", "You have already reported this comment.")
		}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(cur.MeasureID), "comment.reported", actor, cur.MeasureID, 0, map[string]any{
			"comment_id":     id,
			"moderator_only": map[string]any{"report_id": r.ID, "reporter": refJSON(actor), "reason": reason},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// HideComment takes a comment out of view, with a reason moderators see.
// It resolves the open reports on it.
func (s *Store) HideComment(ctx context.Context, actor *User, id int64, reason string) (*CommentView, error) {
	return s.moderate(ctx, actor, id, ActCommentHide, func(tx *Tx, c *Comment, now time.Time) (string, map[string]any, error) {
		reason, err := checkReason(reason)
		if err != nil {
			return "", nil, err
		}
		if c.Status == CommentHidden {
			return "", nil, CodedError(EConflict, "already_hidden", "This comment is already hidden.")
		}
		err = tx.Model(&Comment{}).Where("id = ?", c.ID).
			Updates(map[string]any{"status": CommentHidden, "hidden_reason": reason, "hidden_by": actor.ID}).Error
		if err == nil {
			err = resolveReports(tx, c.ID, now)
		}
		// The reason is for moderators only; the hub strips moderator_only.
		return "comment.hidden", map[string]any{"comment_id": c.ID,
			"moderator_only": map[string]any{"reason": reason, "hidden_by": refJSON(actor)}}, err
	})
}

// RestoreComment shows a hidden comment again and resolves open reports.
func (s *Store) RestoreComment(ctx context.Context, actor *User, id int64) (*CommentView, error) {
	return s.moderate(ctx, actor, id, ActCommentRestore, func(tx *Tx, c *Comment, now time.Time) (string, map[string]any, error) {
		if c.Status != CommentHidden {
			return "", nil, CodedError(EConflict, "not_hidden", "This comment is not hidden.")
		}
		err := tx.Model(&Comment{}).Where("id = ?", c.ID).
			Updates(map[string]any{"status": CommentVisible, "hidden_reason": "", "hidden_by": nil}).Error
		if err == nil {
			err = resolveReports(tx, c.ID, now)
		}
		return "comment.restored", map[string]any{"comment_id": c.ID,
			"moderator_only": map[string]any{"reason": c.HiddenReason}}, err
	})
}

// DismissReports closes the open reports on a comment and leaves it as it
// is. With no open report it changes nothing and says so.
func (s *Store) DismissReports(ctx context.Context, actor *User, id int64) (*CommentView, error) {
	return s.moderate(ctx, actor, id, ActCommentDismiss, func(tx *Tx, c *Comment, now time.Time) (string, map[string]any, error) {
		res := tx.Table("comment_reports").Where("comment_id = ? AND resolved_at IS NULL", c.ID).Update("resolved_at", now)
		if res.Error != nil {
			return "", nil, res.Error
		}
		if res.RowsAffected == 0 {
			return "", nil, CodedError(EConflict, "no_open_reports", "This comment has no open report.")
		}
		return "comment.reports_dismissed", map[string]any{"comment_id": c.ID,
			"moderator_only": map[string]any{"dismissed": res.RowsAffected}}, nil
	})
}

// moderate runs one moderator action on a comment: checks, the change and
// its event in one transaction, then the comment as the moderator sees it.
func (s *Store) moderate(ctx context.Context, actor *User, id int64, act Action,
	change func(tx *Tx, c *Comment, now time.Time) (string, map[string]any, error)) (*CommentView, error) {
	c, m, err := s.commentForAction(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !Can(actor, act, CommentTarget{Measure: m, Comment: c}) {
		return nil, Errorf(EForbidden, "Only moderators can do this.")
	}
	err = s.Write(ctx, func(tx *Tx) error {
		cur, err := lockComment(tx, id)
		if err != nil {
			return err
		}
		typ, data, err := change(tx, cur, s.stamp())
		if err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(cur.MeasureID), typ, actor, cur.MeasureID, 0, data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.CommentByID(ctx, actor, id)
}

// ReportView is an open report as moderators see it.
type ReportView struct {
	Reporter  UserRef
	Reason    string
	CreatedAt time.Time
}

// ModerationItem is one comment in the moderation queue.
type ModerationItem struct {
	Comment      *CommentView
	MeasureTitle string
	Reports      []ReportView // open ones, oldest first
}

// ModerationFilter narrows the queue: "reported" (open reports), "hidden",
// or both when empty.
type ModerationFilter struct {
	Show   string
	Cursor string
	Limit  int
}

// ModerationQueue lists the comments that need or had a moderator: those
// with open reports and those hidden, newest first.
func (s *Store) ModerationQueue(ctx context.Context, actor *User, f ModerationFilter) (Page[ModerationItem], error) {
	if !Can(actor, ActModerate, nil) {
		return Page[ModerationItem]{}, Errorf(EForbidden, "Only moderators handle reports.")
	}
	before, err := DecodeCursor(f.Cursor)
	if err != nil {
		return Page[ModerationItem]{}, err
	}
	limit := ClampLimit(f.Limit)
	db := s.Read(ctx)
	open := db.Table("comment_reports").Select("comment_id").Where("resolved_at IS NULL")
	q := db.Model(&Comment{}).Where("status <> ?", CommentDeleted)
	switch f.Show {
	case "reported":
		q = q.Where("id IN (?)", open)
	case "hidden":
		q = q.Where("status = ?", CommentHidden)
	case "":
		q = q.Where("(status = ? OR id IN (?))", CommentHidden, open)
	default:
		return Page[ModerationItem]{}, &Error{Kind: EMalformed, Code: "invalid_query", Message: "show must be reported or hidden.",
			Fields: map[string]string{"show": "Choose reported or hidden."}}
	}
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []Comment
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[ModerationItem]{}, dbError(err)
	}
	page := Page[ModerationItem]{Items: []ModerationItem{}}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = EncodeCursor(rows[limit-1].ID)
	}
	if len(rows) == 0 {
		return page, nil
	}
	ids, measureIDs := []int64{}, []int64{}
	for _, c := range rows {
		ids = append(ids, c.ID)
		measureIDs = append(measureIDs, c.MeasureID)
	}
	var titles []MeasureTitle
	if err := db.Table("measures").Select("id, title").Where("id IN ?", measureIDs).Scan(&titles).Error; err != nil {
		return page, dbError(err)
	}
	var reports []Report
	if err := db.Where("comment_id IN ? AND resolved_at IS NULL", ids).Order("id").Find(&reports).Error; err != nil {
		return page, dbError(err)
	}
	reporterIDs := []int64{}
	for _, r := range reports {
		reporterIDs = append(reporterIDs, r.ReporterID)
	}
	reporters, err := s.UsersByIDs(ctx, reporterIDs)
	if err != nil {
		return page, err
	}
	// One pass per measure: visibility, names and permissions in a few
	// queries rather than a few per comment.
	groups := map[int64][]Comment{}
	for _, c := range rows {
		groups[c.MeasureID] = append(groups[c.MeasureID], c)
	}
	views := map[int64]*CommentView{}
	for mid, cs := range groups {
		m, err := s.MeasureAccessByID(ctx, mid)
		if err != nil && ErrorKind(err) != ENotFound {
			return page, err
		}
		if err != nil || !CanSeeMeasure(actor, m) {
			continue
		}
		vs, err := s.commentViews(ctx, actor, m, cs)
		if err != nil {
			return page, err
		}
		for _, v := range vs {
			views[v.ID] = v
		}
	}
	page.Items = moderationItems(rows, views, titles, reports, reporters)
	return page, nil
}

// moderationItems puts the queue together, in the order of rows: each
// comment the moderator may see (views), with its measure's title and its
// open reports, oldest first, under their reporters' names. It reads
// nothing, so it is table-tested without a database.
func moderationItems(rows []Comment, views map[int64]*CommentView, titles []MeasureTitle, reports []Report, reporters map[int64]*User) []ModerationItem {
	titleOf := map[int64]string{}
	for _, t := range titles {
		titleOf[t.ID] = t.Title
	}
	byComment := map[int64][]ReportView{}
	for _, r := range reports {
		ref := UserRef{ID: r.ReporterID}
		if u, ok := reporters[r.ReporterID]; ok {
			ref.Name, ref.OrganizationID = u.Name, u.OrganizationID
		}
		byComment[r.CommentID] = append(byComment[r.CommentID], ReportView{Reporter: ref, Reason: r.Reason, CreatedAt: r.CreatedAt})
	}
	items := []ModerationItem{}
	for _, c := range rows {
		if v, ok := views[c.ID]; ok {
			items = append(items, ModerationItem{Comment: v, MeasureTitle: titleOf[c.MeasureID], Reports: byComment[c.ID]})
		}
	}
	return items
}
