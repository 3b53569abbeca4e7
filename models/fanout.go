package models

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/riverqueue/river"
	"gorm.io/gorm"
)

// FanOut writes the notifications one event calls for, in one transaction
// that within also joins (the job's completion, so that a fan-out is done
// once): a row per person told, a notification.created event on their own
// topic for the bell, and a mail job for those who want mail at once.
// Whether each person may see what they are told about is decided here,
// with the measure and comment as they are now, and again when the mail
// is composed.
func (s *Store) FanOut(ctx context.Context, eventID int64, within func(tx *Tx) error) error {
	return s.Write(ctx, func(tx *Tx) error {
		var ev Event
		if err := tx.Where("id = ?", eventID).Take(&ev).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return within(tx) // nothing to tell about an event that is not there
			}
			return err
		}
		if err := tx.fanOut(&ev); err != nil {
			return err
		}
		return within(tx)
	})
}

func (tx *Tx) fanOut(ev *Event) error {
	notifies, needReviewers, needModerators := NotifyNeeds(ev.Type)
	if !notifies || ev.MeasureID == nil {
		return nil
	}
	access, err := measureAccess(tx.DB, *ev.MeasureID)
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return nil
		}
		return err
	}
	data := ev.Data()
	f := NotifyFacts{Event: *ev, Measure: access}
	for _, v := range asSlice(data["mentioned"]) {
		if id, ok := v.(float64); ok {
			f.Mentioned = append(f.Mentioned, int64(id))
		}
	}
	// Those who followed by the time of the event: someone who follows a
	// moment later is not told of what happened before.
	if err := tx.Table("follows").Where("measure_id = ? AND created_at <= ?", access.ID, ev.CreatedAt).Order("user_id").
		Pluck("user_id", &f.Followers).Error; err != nil {
		return err
	}
	commentID := int64Field(data, "comment_id")
	excerpt := ""
	subj := NotifySubject{Measure: access}
	if commentID != 0 {
		var c struct {
			Body           string
			Status         string
			ParentAuthorID *int64
		}
		if err := tx.Raw(`SELECT c.body, c.status, p.author_id AS parent_author_id FROM comments c
			LEFT JOIN comments p ON p.id = c.parent_id WHERE c.id = ?`, commentID).Scan(&c).Error; err != nil {
			return err
		}
		if ev.Type == "comment.created" && c.ParentAuthorID != nil {
			f.ParentAuthorID = *c.ParentAuthorID
		}
		excerpt = Excerpt(c.Body, 280)
		subj.CommentStatus = c.Status
		if c.Status == "" {
			subj.CommentStatus = CommentDeleted // the comment is gone
		}
	}
	if ev.Type == "review.created" || ev.Type == "measure.published" || ev.Type == "measure.unpublished" {
		if note, ok := data["note"].(string); ok {
			excerpt = Excerpt(note, 280)
		}
	}
	if ev.Type == "editor.added" {
		if u, ok := data["user"].(map[string]any); ok {
			excerpt, _ = u["name"].(string)
		}
	}
	if ev.Type == "measure.status_changed" {
		f.Submitted = data["to"] == StatusInReview
		_, f.FromReview = data["review_id"]
	}
	if needReviewers && f.Submitted {
		if err := tx.Model(&User{}).Where("role = ? AND status = ?", RoleReviewer, StatusActive).
			Order("id").Pluck("id", &f.Reviewers).Error; err != nil {
			return err
		}
	}
	if needModerators {
		if err := tx.Model(&User{}).Where("role IN ? AND status = ?", StaffRoles, StatusActive).
			Order("id").Pluck("id", &f.Moderators).Error; err != nil {
			return err
		}
	}
	targets := NotificationTargets(f)
	if len(targets) == 0 {
		return nil
	}
	ids := make([]int64, len(targets))
	for i, t := range targets {
		ids[i] = t.UserID
	}
	users, err := usersByID(tx.DB, ids)
	if err != nil {
		return err
	}
	prefs, err := deliveries(tx.DB, ids)
	if err != nil {
		return err
	}
	// One count for everyone told, not one per person: each is told once
	// here, so their new count is the old one plus one.
	unread, err := unreadCounts(tx.DB, ids)
	if err != nil {
		return err
	}
	// The rows, the bell events and the mail jobs are written in batches:
	// one row at a time, a thousand followers held the database's one
	// writer for most of a second, and everyone's writes waited.
	var ns []Notification
	for _, t := range targets {
		u := users[t.UserID]
		if u == nil || !CanSeeNotification(u, t.Type, subj) {
			continue
		}
		n := Notification{UserID: u.ID, Type: t.Type, EventID: ev.ID, ActorID: ev.ActorID,
			MeasureID: ev.MeasureID, Excerpt: excerpt, CreatedAt: ev.CreatedAt}
		if commentID != 0 {
			n.CommentID = &commentID
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(&ns, fanOutBatch).Error; err != nil {
		return err
	}
	bells := make([]Event, 0, len(ns))
	var mails []river.JobArgs
	for _, n := range ns {
		unread[n.UserID]++
		ev, err := tx.newEvent(UserTopic(n.UserID), EventNotificationCreated, nil, 0, n.UserID,
			map[string]any{"id": n.ID, "type": n.Type, "unread_count": unread[n.UserID]})
		if err != nil {
			return err
		}
		bells = append(bells, ev)
		if prefs.of(n.UserID, KindOf(n.Type)) == DeliverImmediate {
			mails = append(mails, MailArgs{Purpose: MailNotification, UserID: n.UserID, NotificationID: n.ID})
		}
	}
	if err := tx.emitAll(bells); err != nil {
		return err
	}
	return tx.EnqueueMany(mails)
}

// fanOutBatch is how many rows one INSERT of a fan-out writes (well under
// SQLite's limit of bound parameters).
const fanOutBatch = 200

// unreadCounts counts the unread notifications of each person in ids.
func unreadCounts(db *gorm.DB, ids []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		var rows []struct {
			UserID int64
			N      int
		}
		if err := db.Model(&Notification{}).Select("user_id, COUNT(*) AS n").
			Where("user_id IN ? AND read_at IS NULL", chunk).
			Group("user_id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.UserID] = r.N
		}
	}
	return out, nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func usersByID(db *gorm.DB, ids []int64) (map[int64]*User, error) {
	out := make(map[int64]*User, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		var users []User
		if err := db.Where("id IN ?", chunk).Find(&users).Error; err != nil {
			return nil, err
		}
		for i := range users {
			out[users[i].ID] = &users[i]
		}
	}
	return out, nil
}

// Excerpt is a text's first words for a notification or a mail: mentions
// as their names, Markdown marks and line breaks flattened, at most n
// characters.
func Excerpt(body string, n int) string {
	t := MentionRe.ReplaceAllString(body, "@$1")
	t = strings.Join(strings.Fields(strings.NewReplacer("**", "", "__", "", "`", "", "#", "", "> ", "").Replace(t)), " ")
	r := []rune(t)
	if len(r) > n {
		return strings.TrimSpace(string(r[:n-1])) + "…"
	}
	return t
}
