package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Notification tells one person about an event that concerns them. Rows are
// written by the fan-out job the event's transaction enqueued (fanout.go),
// so the change that causes them does not wait for them.
type Notification struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	UserID    int64  `gorm:"column:user_id"`
	Type      string `gorm:"column:type"`
	EventID   int64  `gorm:"column:event_id"`
	ActorID   *int64 `gorm:"column:actor_id"`
	MeasureID *int64 `gorm:"column:measure_id"`
	CommentID *int64 `gorm:"column:comment_id"`
	// Excerpt is what the person would want quoted: the comment's first
	// words, the reviewer's note.
	Excerpt   string     `gorm:"column:excerpt"`
	ReadAt    *time.Time `gorm:"column:read_at"`
	CreatedAt time.Time  `gorm:"column:created_at"`
}

// TableName tells GORM where notifications live.
func (Notification) TableName() string { return "notifications" }

// EventNotificationCreated is the live event on user:<id> that carries a new
// notification: {id, type, unread_count}.
const EventNotificationCreated = "notification.created"

// int64Field reads a JSON number field of an event payload.
func int64Field(data map[string]any, key string) int64 {
	if v, ok := data[key].(float64); ok {
		return int64(v)
	}
	return 0
}

func unreadCount(db *gorm.DB, userID int64) (int, error) {
	var n int64
	err := db.Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return int(n), err
}

// UnreadNotificationCount is the number on the header's counter. It counts
// rows, not what is still visible: a notification about a measure the
// person lost sight of is dropped from the list but cheaper to leave in
// the count until it is read with "mark all read".
func (s *Store) UnreadNotificationCount(ctx context.Context, user *User) (int, error) {
	if !user.Active() {
		return 0, nil
	}
	n, err := unreadCount(s.Read(ctx), user.ID)
	return n, dbError(err)
}

// NotificationView is a notification with what a list shows of it.
type NotificationView struct {
	Notification
	Actor        *UserRef
	MeasureTitle string
}

// NotificationFilter narrows a person's notifications.
type NotificationFilter struct {
	UnreadOnly bool
	Limit      int
	Cursor     string
}

// Notifications lists the viewer's notifications, newest first, keeping only
// those whose measure the viewer may still see.
func (s *Store) Notifications(ctx context.Context, viewer *User, f NotificationFilter) (Page[NotificationView], int, error) {
	out := Page[NotificationView]{Items: []NotificationView{}}
	if !viewer.Active() {
		return out, 0, Errorf(EUnauthorized, "Please sign in.")
	}
	before, err := DecodeCursor(f.Cursor)
	if err != nil {
		return out, 0, err
	}
	limit := ClampLimit(f.Limit)
	db := s.Read(ctx)
	var rows []notificationRow
	q := notificationRows(db).Where("n.user_id = ?", viewer.ID).Order("n.id DESC").Limit(limit + 1)
	if before > 0 {
		q = q.Where("n.id < ?", before)
	}
	if f.UnreadOnly {
		q = q.Where("n.read_at IS NULL")
	}
	if err := q.Scan(&rows).Error; err != nil {
		return out, 0, dbError(err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = EncodeCursor(rows[limit-1].ID)
	}
	access := map[int64]MeasureAccess{}
	for _, r := range rows {
		if r.MeasureID != nil {
			mid := *r.MeasureID
			a, ok := access[mid]
			if !ok {
				if a, err = measureAccess(db, mid); err != nil && ErrorKind(err) != ENotFound {
					return out, 0, dbError(err)
				}
				access[mid] = a
			}
			if !CanSeeNotification(viewer, r.Type, r.subject(a)) {
				continue
			}
		}
		out.Items = append(out.Items, r.view())
	}
	unread, err := unreadCount(db, viewer.ID)
	return out, unread, dbError(err)
}

// MarkNotificationsRead marks the viewer's notifications read: the ids
// given (others' ids are ignored), or all of them.
func (s *Store) MarkNotificationsRead(ctx context.Context, viewer *User, ids []int64, all bool) (int, error) {
	if !viewer.Active() {
		return 0, Errorf(EUnauthorized, "Please sign in.")
	}
	if !all && len(ids) == 0 {
		return 0, (FieldErrors{"ids": "Name the notifications to mark read, or send all: true."}).Err()
	}
	if len(ids) > 500 {
		return 0, (FieldErrors{"ids": "Mark at most 500 notifications at once."}).Err()
	}
	var unread int
	err := s.Write(ctx, func(tx *Tx) error {
		q := tx.Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", viewer.ID)
		if !all {
			q = q.Where("id IN ?", ids)
		}
		if err := q.Update("read_at", s.Now()).Error; err != nil {
			return err
		}
		var err error
		unread, err = unreadCount(tx.DB, viewer.ID)
		return err
	})
	return unread, err
}

// OpenNotification marks one of the viewer's notifications read and returns
// it, so that the page can lead to its measure and comment.
func (s *Store) OpenNotification(ctx context.Context, viewer *User, id int64) (*Notification, error) {
	if !viewer.Active() {
		return nil, Errorf(EUnauthorized, "Please sign in.")
	}
	var n Notification
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.Where("id = ? AND user_id = ?", id, viewer.ID).Take(&n).Error; err != nil {
			return err
		}
		if n.MeasureID != nil {
			subj, err := notifySubject(tx.DB, &n)
			if err != nil {
				return err
			}
			if !CanSeeNotification(viewer, n.Type, subj) {
				return NotFound("Notification")
			}
		}
		if n.ReadAt == nil {
			now := s.Now()
			n.ReadAt = &now
			return tx.Model(&Notification{}).Where("id = ?", n.ID).Update("read_at", now).Error
		}
		return nil
	})
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return nil, NotFound("Notification")
		}
		return nil, err
	}
	return &n, nil
}

// notificationRow is a notification with what lists and mail show of it,
// read by notificationRows.
type notificationRow struct {
	Notification
	ActorName     *string
	MeasureTitle  string
	CommentStatus *string
}

// notificationRows selects notifications (as n) with their actor's name,
// their measure's title and their comment's status.
func notificationRows(db *gorm.DB) *gorm.DB {
	return db.Table("notifications n").
		Select("n.*, a.name AS actor_name, m.title AS measure_title, c.status AS comment_status").
		Joins("LEFT JOIN users a ON a.id = n.actor_id").
		Joins("LEFT JOIN measures m ON m.id = n.measure_id").
		Joins("LEFT JOIN comments c ON c.id = n.comment_id")
}

func (r *notificationRow) view() NotificationView {
	v := NotificationView{Notification: r.Notification, MeasureTitle: r.MeasureTitle}
	if r.ActorID != nil && r.ActorName != nil {
		v.Actor = &UserRef{ID: *r.ActorID, Name: *r.ActorName}
	}
	return v
}

// subject is what the notification is about, on measure a. A comment
// whose row is gone counts as deleted.
func (r *notificationRow) subject(a MeasureAccess) NotifySubject {
	subj := NotifySubject{Measure: a}
	if r.CommentID != nil {
		subj.CommentStatus = CommentDeleted
		if r.CommentStatus != nil {
			subj.CommentStatus = *r.CommentStatus
		}
	}
	return subj
}

// notifySubject reads what a notification is about as it is now.
func notifySubject(db *gorm.DB, n *Notification) (NotifySubject, error) {
	var subj NotifySubject
	if n.MeasureID == nil {
		return subj, nil
	}
	a, err := measureAccess(db, *n.MeasureID)
	if err != nil {
		return subj, err
	}
	subj.Measure = a
	if n.CommentID != nil {
		if subj.CommentStatus, err = commentStatus(db, *n.CommentID); err != nil {
			return subj, err
		}
	}
	return subj, nil
}

// commentStatus is a comment's status; a comment that is gone is deleted.
func commentStatus(db *gorm.DB, id int64) (string, error) {
	var st string
	if err := db.Raw("SELECT status FROM comments WHERE id = ?", id).Scan(&st).Error; err != nil {
		return "", err
	}
	if st == "" {
		st = CommentDeleted
	}
	return st, nil
}
