package models

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// UserByID finds a user.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.Read(ctx).First(&u, id).Error; err != nil {
		return nil, lookupError(err, NotFound("User"))
	}
	return &u, nil
}

// UsersByIDs loads several users at once, keyed by id.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) (map[int64]*User, error) {
	out := map[int64]*User{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []User
	if err := s.Read(ctx).Where("id IN ?", ids).Find(&us).Error; err != nil {
		return nil, dbError(err)
	}
	for i := range us {
		out[us[i].ID] = &us[i]
	}
	return out, nil
}

// UserFilter narrows the account list.
type UserFilter struct {
	Query          string // name or email contains
	Role           string
	Status         string
	OrganizationID int64
	Cursor         string
	Limit          int
}

// Page is one page of a list and the cursor for the next one ("" at the end).
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// EncodeCursor and DecodeCursor keep cursors opaque to clients.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, CodedError(EMalformed, "invalid_cursor", "The cursor is not valid.")
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return 0, CodedError(EMalformed, "invalid_cursor", "The cursor is not valid.")
	}
	return n, nil
}

// ClampLimit applies the list limits of docs/API.md: default 50, at most 200.
func ClampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	if n > 200 {
		return 200
	}
	return n
}

// likePattern escapes LIKE wildcards in what a person typed.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(q)) + "%"
}

// ListUsers pages through accounts in id order, for moderators and admins.
func (s *Store) ListUsers(ctx context.Context, actor *User, f UserFilter) (Page[User], error) {
	if err := Check(actor, ActListUsers, nil); err != nil {
		return Page[User]{}, err
	}
	after, err := DecodeCursor(f.Cursor)
	if err != nil {
		return Page[User]{}, err
	}
	limit := ClampLimit(f.Limit)
	q := s.Read(ctx).Model(&User{}).Where("id > ?", after)
	if f.Query != "" {
		p := likePattern(f.Query)
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`, p, p)
	}
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.OrganizationID != 0 {
		q = q.Where("organization_id = ?", f.OrganizationID)
	}
	var us []User
	if err := q.Order("id").Limit(limit + 1).Find(&us).Error; err != nil {
		return Page[User]{}, dbError(err)
	}
	page := Page[User]{Items: us}
	if len(us) > limit {
		page.Items = us[:limit]
		page.NextCursor = EncodeCursor(us[limit-1].ID)
	}
	return page, nil
}

// UserChange is what a moderator may change on an account.
type UserChange struct {
	Role   *string
	Status *string
}

// UpdateUser changes a user's role or status under the policy, records the
// event, and on suspension ends the person's sessions and tokens at once.
func (s *Store) UpdateUser(ctx context.Context, actor *User, id int64, ch UserChange) (*User, error) {
	var out *User
	err := s.Write(ctx, func(tx *Tx) error {
		var u User
		if err := tx.First(&u, id).Error; err != nil {
			return lookupError(err, NotFound("User"))
		}
		if !Can(actor, ActViewUser, &u) {
			return NotFound("User")
		}
		fe := FieldErrors{}
		if ch.Role != nil && !ValidRole(*ch.Role) {
			fe.Add("role", "Unknown role; choose member, reviewer, moderator or admin.")
		}
		if ch.Status != nil && *ch.Status != StatusActive && *ch.Status != StatusSuspended {
			fe.Add("status", "Status must be active or suspended.")
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if ch.Role == nil && ch.Status == nil {
			return (FieldErrors{"role": "Nothing to change: send role or status."}).Err()
		}
		if !Can(actor, ActUpdateUser, UserUpdate{Target: &u, Change: ch}) {
			return Errorf(EForbidden, "You are not allowed to make this change.")
		}
		before := map[string]string{"role": u.Role, "status": u.Status}
		updates := map[string]any{"updated_at": s.Now()}
		if ch.Role != nil && *ch.Role != u.Role {
			var org *Organization
			if u.OrganizationID != nil {
				var o Organization
				if err := tx.First(&o, *u.OrganizationID).Error; err == nil {
					org = &o
				}
			}
			if msg := roleFitsOrganization(*ch.Role, org); msg != "" {
				return (FieldErrors{"role": msg}).Err()
			}
			updates["role"] = *ch.Role
		}
		if ch.Status != nil && *ch.Status != u.Status {
			if u.Status == StatusInvited {
				return CodedError(EConflict, "not_active", "This person has not accepted the invitation yet.")
			}
			updates["status"] = *ch.Status
		}
		if len(updates) == 1 {
			out = &u
			return nil
		}
		if err := tx.Model(&u).Updates(updates).Error; err != nil {
			return err
		}
		if err := tx.First(&u, id).Error; err != nil {
			return err
		}
		if u.Status == StatusSuspended {
			if err := endAccess(tx.DB, u.ID, ""); err != nil {
				return err
			}
		}
		data := map[string]any{"user_id": u.ID, "before": before, "after": map[string]string{"role": u.Role, "status": u.Status}}
		if _, err := tx.Emit(UserTopic(u.ID), "user.updated", actor, 0, u.ID, data); err != nil {
			return err
		}
		out = &u
		return nil
	})
	return out, err
}

// UserTopic is the live-update topic of one person's notifications.
func UserTopic(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// ProfileChange is what a person may change on their own account.
type ProfileChange struct {
	Name     *string
	Locale   *string
	TimeZone *string
}

// UpdateProfile changes the signed-in person's name, language or time
// zone. Its event says what changed, from what to what (a language switch
// is a language switch, not "account modified"); saving without a change
// logs nothing.
func (s *Store) UpdateProfile(ctx context.Context, u *User, ch ProfileChange) (*User, error) {
	fe := FieldErrors{}
	updates := map[string]any{}
	changes := map[string]any{}
	note := func(field, from, to string) {
		if from != to {
			updates[field] = to
			changes[field] = map[string]any{"from": from, "to": to}
		}
	}
	if ch.Name != nil {
		name := CleanName(*ch.Name)
		if msg := ValidateName(name); msg != "" {
			fe.Add("name", msg)
		}
		note("name", u.Name, name)
	}
	if ch.Locale != nil {
		if !ValidLocale(*ch.Locale) {
			fe.Add("locale", "Choose français, English or العربية.")
		}
		note("locale", u.Locale, *ch.Locale)
	}
	if ch.TimeZone != nil {
		if _, ok := LoadTimeZone(*ch.TimeZone); !ok {
			fe.Add("time_zone", "Choose a time zone from the list.")
		}
		from := u.TimeZone
		if from == "" {
			from = DefaultTimeZone
		}
		note("time_zone", from, *ch.TimeZone)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out User
	err := s.Write(ctx, func(tx *Tx) error {
		if len(updates) > 0 {
			updates["updated_at"] = s.Now()
			if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(updates).Error; err != nil {
				return err
			}
		}
		if err := tx.First(&out, u.ID).Error; err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.updated", u, 0, u.ID, map[string]any{"user_id": u.ID, "changes": changes})
		return err
	})
	return &out, err
}

// PasswordChange is a person's request to change their password.
type PasswordChange struct {
	Current, New string
	// EndOtherSessions signs out every other browser (docs/SECURITY.md 7.4.3);
	// RevokeTokens also revokes every API token. KeepSession is the
	// session making the change.
	EndOtherSessions bool
	RevokeTokens     bool
	KeepSession      string
}

// PasswordChanged says what the change ended, for the person to read.
type PasswordChanged struct {
	SessionsEnded int64
	TokensRevoked int64
}

// ChangePassword checks the current password (rate-limited like a sign-in)
// and sets a new one, ending other sessions and revoking tokens as asked.
func (s *Store) ChangePassword(ctx context.Context, u *User, ch PasswordChange) (PasswordChanged, error) {
	var out PasswordChanged
	fe := FieldErrors{}
	if err := s.CheckCurrentPassword(ctx, u, ch.Current); err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Kind != EInvalid {
			return out, err // too many attempts, or the database
		}
		for k, v := range e.Fields {
			fe.Add(k, v)
		}
	}
	if msg := ValidatePassword(ch.New, u.Email, u.Name); msg != "" {
		fe.Add("new_password", msg)
	}
	if err := fe.Err(); err != nil {
		return out, err
	}
	hash, err := HashPassword(ch.New)
	if err != nil {
		return out, err
	}
	err = s.Write(ctx, func(tx *Tx) error {
		out = PasswordChanged{}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"password_hash": hash, "updated_at": s.Now()}).Error; err != nil {
			return err
		}
		if ch.EndOtherSessions {
			q := tx.Where("user_id = ?", u.ID)
			if ch.KeepSession != "" {
				q = q.Where("id <> ?", ch.KeepSession)
			}
			res := q.Delete(&Session{})
			if res.Error != nil {
				return res.Error
			}
			out.SessionsEnded = res.RowsAffected
		}
		if ch.RevokeTokens {
			res := tx.Where("user_id = ?", u.ID).Delete(&Token{})
			if res.Error != nil {
				return res.Error
			}
			out.TokensRevoked = res.RowsAffected
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.updated", u, 0, u.ID, map[string]any{"user_id": u.ID, "password_changed": true,
			"other_sessions_ended": ch.EndOtherSessions, "tokens_revoked": ch.RevokeTokens})
		return err
	})
	return out, err
}

// userByEmail finds an account by normalised email, or nil.
func (s *Store) userByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := s.Read(ctx).Where("email = ?", NormalizeEmail(email)).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, dbError(err)
	}
	return &u, nil
}

// HasAdmin reports whether an active admin exists.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var n int64
	err := s.Read(ctx).Model(&User{}).Where("role = ? AND status = ?", RoleAdmin, StatusActive).Count(&n).Error
	return n > 0, dbError(err)
}

// PersonalData gathers everything stored about a person, for the download
// that law 09-08 gives them a right to.
func (s *Store) PersonalData(ctx context.Context, u *User) (map[string]any, error) {
	var tokens []Token
	var sessions []Session
	var events []Event
	db := s.Read(ctx)
	if err := db.Where("user_id = ?", u.ID).Find(&tokens).Error; err != nil {
		return nil, dbError(err)
	}
	if err := db.Where("user_id = ?", u.ID).Find(&sessions).Error; err != nil {
		return nil, dbError(err)
	}
	if err := db.Where("actor_id = ? OR subject_user_id = ?", u.ID, u.ID).Order("id").Limit(10000).Find(&events).Error; err != nil {
		return nil, dbError(err)
	}
	comments := []map[string]any{}
	if err := db.Table("comments").Select("id, measure_id, parent_id, body, status, created_at, edited_at").Where("author_id = ?", u.ID).Order("id").Find(&comments).Error; err != nil {
		return nil, dbError(err)
	}
	var org *Organization
	if u.OrganizationID != nil {
		var err error
		if org, err = s.OrganizationByID(ctx, *u.OrganizationID); err != nil {
			return nil, err
		}
	}
	sess := []map[string]any{}
	for _, x := range sessions {
		sess = append(sess, map[string]any{"created_at": x.CreatedAt, "last_seen_at": x.LastSeenAt})
	}
	evs := []map[string]any{}
	for _, e := range events {
		evs = append(evs, map[string]any{"id": e.ID, "type": e.Type, "topic": e.Topic, "at": e.CreatedAt, "data": e.Data()})
	}
	account := map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role, "status": u.Status,
		"locale": u.Locale, "created_at": u.CreatedAt, "updated_at": u.UpdatedAt, "two_step_sign_in": u.TOTPEnabled}
	if org != nil {
		account["organization"] = map[string]any{"id": org.ID, "slug": org.Slug, "name": org.NameFr}
	}
	return map[string]any{
		"exported_at": s.Now().Format(time.RFC3339),
		"account":     account,
		"tokens":      tokens,
		"sessions":    sess,
		"comments":    comments,
		"events":      evs,
	}, nil
}

// EventsAbout lists the latest events whose subject is a person, newest
// first: the account's history, on its page and on its owner's profile.
func (s *Store) EventsAbout(ctx context.Context, actor, subject *User, limit int) ([]Event, error) {
	if !Can(actor, ActViewUser, subject) {
		return nil, NotFound("User")
	}
	userID := subject.ID
	var out []Event
	// Notifications are news for the person, not something done to the account.
	err := s.Read(ctx).Where("subject_user_id = ? AND type <> ?", userID, EventNotificationCreated).Order("id DESC").Limit(limit).Find(&out).Error
	return out, dbError(err)
}
