package models

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// What the mail workers read and record (package jobs sends).

// MailLog is what became of one mail job: sent, failed for good, or
// dropped because what it was about can no longer be shown to the person.
type MailLog struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	JobID     int64     `gorm:"column:job_id"`
	UserID    *int64    `gorm:"column:user_id"`
	Kind      string    `gorm:"column:kind"`
	ToAddress string    `gorm:"column:to_address"`
	Status    string    `gorm:"column:status"`
	Detail    string    `gorm:"column:detail"`
	MessageID string    `gorm:"column:message_id"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where the mail log lives.
func (MailLog) TableName() string { return "mail_log" }

// Mail outcomes.
const (
	MailSent    = "sent"
	MailFailed  = "failed"
	MailDropped = "dropped"
)

// RecordMail writes an outcome.
func (s *Store) RecordMail(ctx context.Context, l MailLog) error {
	l.CreatedAt = s.Now()
	if len(l.Detail) > 500 {
		l.Detail = l.Detail[:500]
	}
	return s.Write(ctx, func(tx *Tx) error { return tx.Create(&l).Error })
}

// MailFailures lists the latest mail that could not be delivered, for the
// admins' pages: of one person (userID > 0) or of everyone.
func (s *Store) MailFailures(ctx context.Context, actor *User, userID int64, limit int) ([]MailLog, error) {
	if !Can(actor, ActListUsers, nil) {
		return nil, forbidden("Only moderators and admins see undelivered mail.")
	}
	q := s.Read(ctx).Where("status = ?", MailFailed).Order("id DESC").Limit(limit)
	if userID > 0 {
		q = q.Where("user_id = ?", userID)
	}
	var out []MailLog
	return out, dbError(q.Find(&out).Error)
}

// NotificationForMail reads a notification to mail and says whether its
// person may still read about it (the second check: a measure made private
// or a comment hidden since it was made is not mailed), and whether they
// still want it mailed at once.
func (s *Store) NotificationForMail(ctx context.Context, u *User, id int64) (*NotificationView, bool, error) {
	db := s.Read(ctx)
	var row notificationRow
	err := notificationRows(db).Where("n.id = ? AND n.user_id = ?", id, u.ID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, dbError(err)
	}
	v := row.view()
	if !u.Active() || row.ReadAt != nil || row.MeasureID == nil {
		return &v, false, nil
	}
	a, err := measureAccess(db, *row.MeasureID)
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return &v, false, nil
		}
		return nil, false, dbError(err)
	}
	return &v, CanSeeNotification(u, row.Type, row.subject(a)), nil
}

// DigestItems are the person's unread notifications they may still see,
// oldest first, at most limit.
func (s *Store) DigestItems(ctx context.Context, u *User, limit int) ([]NotificationView, int, error) {
	page, unread, err := s.Notifications(ctx, u, NotificationFilter{UnreadOnly: true, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	items := page.Items
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items, unread, nil
}

// DigestHour is the local hour from which a day's digest is sent.
const DigestHour = 7

// EnqueueDueDigests enqueues one digest mail for each person who wants
// some kind as a daily digest, has unread notifications of such a kind
// made since their last digest, has not had a digest today in their time
// zone, and whose local time is past DigestHour. within joins the
// transaction (the job's completion).
func (s *Store) EnqueueDueDigests(ctx context.Context, within func(tx *Tx) error) (int, error) {
	now := s.Now()
	n := 0
	err := s.Write(ctx, func(tx *Tx) error {
		n = 0
		// Who has unread notifications made since their last digest, and
		// of which types: one query for everyone.
		var waiting []struct {
			UserID int64
			Type   string
		}
		if err := tx.Raw(`SELECT DISTINCT n.user_id, n.type FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE n.read_at IS NULL AND u.status = ? AND (u.digest_sent_at IS NULL OR n.created_at > u.digest_sent_at)`,
			StatusActive).Scan(&waiting).Error; err != nil {
			return err
		}
		types := map[int64][]string{}
		var ids []int64
		for _, w := range waiting {
			if types[w.UserID] == nil {
				ids = append(ids, w.UserID)
			}
			types[w.UserID] = append(types[w.UserID], w.Type)
		}
		users, err := usersByID(tx.DB, ids)
		if err != nil {
			return err
		}
		prefs, err := deliveries(tx.DB, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			u := users[id]
			if u == nil || !digestDue(u, now) || !slices.ContainsFunc(types[id], func(t string) bool {
				return prefs.of(id, KindOf(t)) == DeliverDigest
			}) {
				continue
			}
			if err := tx.Model(&User{}).Where("id = ?", id).UpdateColumn("digest_sent_at", now).Error; err != nil {
				return err
			}
			if err := tx.Enqueue(MailArgs{Purpose: MailDigest, UserID: id}); err != nil {
				return err
			}
			n++
		}
		return within(tx)
	})
	return n, err
}

// digestDue: past DigestHour in the person's time zone, and no digest yet
// that local day.
func digestDue(u *User, now time.Time) bool {
	loc := u.Location()
	local := now.In(loc)
	if local.Hour() < DigestHour {
		return false
	}
	if u.DigestSentAt == nil {
		return true
	}
	ly, lm, ld := u.DigestSentAt.In(loc).Date()
	y, m, d := local.Date()
	return ly != y || lm != m || ld != d
}

// The unsubscribe links of notification mail are signed with a key kept
// in the database, so that every instance signs alike and a link works
// without signing in (RFC 8058 one-click).

func (s *Store) loadSigningKey(ctx context.Context) error {
	var b [32]byte
	rand.Read(b[:])
	if err := s.db.WithContext(ctx).Exec("INSERT INTO signing_keys (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		"unsubscribe", hex.EncodeToString(b[:]), s.Now()).Error; err != nil {
		return err
	}
	var secret string
	if err := s.db.WithContext(ctx).Raw("SELECT secret FROM signing_keys WHERE name = ?", "unsubscribe").Scan(&secret).Error; err != nil {
		return err
	}
	key, err := hex.DecodeString(secret)
	if err != nil || len(key) < 16 {
		return errors.New("signing key: unreadable")
	}
	s.unsubscribeKey = key
	return nil
}

// KindAll, in an unsubscribe link, stops every kind of mail (the digest's
// link).
const KindAll = "all"

func (s *Store) unsubscribeSig(userID int64, kind string) string {
	m := hmac.New(sha256.New, s.unsubscribeKey)
	m.Write([]byte("unsubscribe:" + strconv.FormatInt(userID, 10) + ":" + kind))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// UnsubscribeToken is the signed part of the link that stops one kind of
// mail (or KindAll) for one person.
func (s *Store) UnsubscribeToken(userID int64, kind string) string {
	return strconv.FormatInt(userID, 10) + "." + kind + "." + s.unsubscribeSig(userID, kind)
}

// ReadUnsubscribeToken checks a link's signature and says whose and which
// kind it stops.
func (s *Store) ReadUnsubscribeToken(ctx context.Context, token string) (*User, string, error) {
	parts := strings.Split(token, ".")
	invalid := CodedError(EGone, "unsubscribe_invalid", "This unsubscribe link is not valid. You can choose what you receive on your profile page.")
	if len(parts) != 3 || (parts[1] != KindAll && !slices.Contains(NotificationKinds, parts[1])) {
		return nil, "", invalid
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id <= 0 {
		return nil, "", invalid
	}
	if !hmac.Equal([]byte(parts[2]), []byte(s.unsubscribeSig(id, parts[1]))) {
		return nil, "", invalid
	}
	u, err := s.UserByID(ctx, id)
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return nil, "", invalid
		}
		return nil, "", err
	}
	return u, parts[1], nil
}

// Unsubscribe turns a kind (or every kind) of mail off through a signed
// link.
func (s *Store) Unsubscribe(ctx context.Context, token string) (*User, string, error) {
	u, kind, err := s.ReadUnsubscribeToken(ctx, token)
	if err != nil {
		return nil, "", err
	}
	off := map[string]string{kind: DeliverOff}
	if kind == KindAll {
		off = map[string]string{}
		for _, k := range NotificationKinds {
			off[k] = DeliverOff
		}
	}
	err = s.Write(ctx, func(tx *Tx) error {
		if err := tx.setDeliveries(u.ID, off); err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.updated", nil, 0, u.ID,
			map[string]any{"user_id": u.ID, "unsubscribed": kind})
		return err
	})
	return u, kind, err
}
