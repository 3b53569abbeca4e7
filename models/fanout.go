package models

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/riverqueue/river"
	"gorm.io/gorm"
)

// FanOut writes the notifications one event calls for: a row per person
// told, a notification.created event on their own topic for the bell, and
// a mail job for those who want mail at once. Who is told, and whether each
// may see what they are told about (the measure and comment as they are
// now; checked again when the mail is composed), is decided first, from a
// read. The rows are then written in short transactions of fanOutChunk
// people, so that a thousand followers never hold SQLite's one writer long
// enough to make anyone's change wait; the last one also runs within (the
// job's completion). A fan-out cut short by a crash is run again: the
// people already told are skipped (one row per event and person, a unique
// index), so nobody is told twice.
func (s *Store) FanOut(ctx context.Context, eventID int64, within func(tx *Tx) error) error {
	db := s.Read(ctx)
	var ev Event
	if err := db.Where("id = ?", eventID).Take(&ev).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return s.Write(ctx, within) // nothing to tell about an event that is not there
		}
		return dbError(err)
	}
	plan, err := planFanOut(db, &ev)
	if err != nil {
		return dbError(err)
	}
	chunks := slices.Collect(slices.Chunk(plan.rows, fanOutChunk))
	if len(chunks) == 0 {
		chunks = [][]Notification{nil}
	}
	for i, chunk := range chunks {
		err := s.Write(ctx, func(tx *Tx) error {
			if err := tx.writeFanOut(eventID, chunk, plan.prefs); err != nil {
				return err
			}
			if i == len(chunks)-1 {
				return within(tx)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// fanOutChunk is how many people one transaction of a fan-out tells: about
// ten milliseconds of the writer.
const fanOutChunk = 100

// fanOutPlan is who an event tells: their rows (not yet written) and how
// each wants their mail.
type fanOutPlan struct {
	rows  []Notification
	prefs deliveryPrefs
}

func planFanOut(db *gorm.DB, ev *Event) (*fanOutPlan, error) {
	plan := &fanOutPlan{}
	notifies, needReviewers, needModerators := NotifyNeeds(ev.Type)
	if !notifies || ev.MeasureID == nil {
		return plan, nil
	}
	access, err := measureAccess(db, *ev.MeasureID)
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return plan, nil
		}
		return nil, err
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
	if err := db.Table("follows").Where("measure_id = ? AND created_at <= ?", access.ID, ev.CreatedAt).Order("user_id").
		Pluck("user_id", &f.Followers).Error; err != nil {
		return nil, err
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
		if err := db.Raw(`SELECT c.body, c.status, p.author_id AS parent_author_id FROM comments c
			LEFT JOIN comments p ON p.id = c.parent_id WHERE c.id = ?`, commentID).Scan(&c).Error; err != nil {
			return nil, err
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
		if err := db.Model(&User{}).Where("role = ? AND status = ?", RoleReviewer, StatusActive).
			Order("id").Pluck("id", &f.Reviewers).Error; err != nil {
			return nil, err
		}
	}
	if needModerators {
		if err := db.Model(&User{}).Where("role IN ? AND status = ?", StaffRoles, StatusActive).
			Order("id").Pluck("id", &f.Moderators).Error; err != nil {
			return nil, err
		}
	}
	targets := NotificationTargets(f)
	if len(targets) == 0 {
		return plan, nil
	}
	ids := make([]int64, len(targets))
	for i, t := range targets {
		ids[i] = t.UserID
	}
	users, err := usersByID(db, ids)
	if err != nil {
		return nil, err
	}
	if plan.prefs, err = deliveries(db, ids); err != nil {
		return nil, err
	}
	// Someone suggesting ten changes in a row tells each editor once, until
	// they have read it: one unread "suggested changes to" per person and
	// measure is enough to send them to the list.
	var already []int64
	if ev.Type == "suggestion.created" && ev.ActorID != nil && ev.MeasureID != nil {
		if already, err = toldOfSuggestions(db, *ev.MeasureID, *ev.ActorID, ids); err != nil {
			return nil, err
		}
	}
	for _, t := range targets {
		u := users[t.UserID]
		if u == nil || !CanSeeNotification(u, t.Type, subj) || slices.Contains(already, u.ID) {
			continue
		}
		n := Notification{UserID: u.ID, Type: t.Type, EventID: ev.ID, ActorID: ev.ActorID,
			MeasureID: ev.MeasureID, Excerpt: excerpt, CreatedAt: ev.CreatedAt}
		if commentID != 0 {
			n.CommentID = &commentID
		}
		plan.rows = append(plan.rows, n)
	}
	return plan, nil
}

// writeFanOut writes one chunk of a fan-out: the rows of the people not
// yet told of this event, in batches (one row at a time, a thousand
// followers held the writer for most of a second), their bells, and their
// mail jobs.
func (tx *Tx) writeFanOut(eventID int64, chunk []Notification, prefs deliveryPrefs) error {
	if len(chunk) == 0 {
		return nil
	}
	ids := make([]int64, len(chunk))
	for i, n := range chunk {
		ids[i] = n.UserID
	}
	var told []int64
	if err := tx.Model(&Notification{}).Where("event_id = ? AND user_id IN ?", eventID, ids).
		Pluck("user_id", &told).Error; err != nil {
		return err
	}
	ns := make([]Notification, 0, len(chunk))
	for _, n := range chunk {
		if !slices.Contains(told, n.UserID) {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(&ns, fanOutChunk).Error; err != nil {
		return err
	}
	// Counted after the rows are written, so each count includes its own.
	unread, err := unreadCounts(tx.DB, ids)
	if err != nil {
		return err
	}
	bells := make([]Event, 0, len(ns))
	var mails []river.JobArgs
	for _, n := range ns {
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

// toldOfSuggestions are the people among ids who have not yet read their
// notification of author's suggestions on the measure: the one rule by
// which repeated suggestions tell each person once (the fan-out skips
// them; a suggestion that would tell nobody costs no fan-out job).
func toldOfSuggestions(db *gorm.DB, measureID, authorID int64, ids []int64) ([]int64, error) {
	var told []int64
	err := db.Model(&Notification{}).Where("type = ? AND measure_id = ? AND actor_id = ? AND read_at IS NULL AND user_id IN ?",
		NotifySuggestionCreated, measureID, authorID, ids).Distinct().Pluck("user_id", &told).Error
	return told, err
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
