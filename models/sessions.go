package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Default session lifetimes, from docs/SECURITY.md (PACTE_SESSION_IDLE,
// PACTE_SESSION_ABSOLUTE change them).
const (
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionAbsolute = 12 * time.Hour
	// touchEvery limits last_seen writes to one a minute per session.
	touchEvery = time.Minute
)

// SessionLifetimes bound every session: Idle since its last request or
// websocket message, Absolute since sign-in. HTTP (SessionUser), the
// websocket's session check (ExistingSessions), the cookie's Max-Age and
// retention (Retain) all read the store's one value, so they never
// disagree about when a session ends.
type SessionLifetimes struct {
	Idle, Absolute time.Duration
}

// DefaultSessionLifetimes are docs/SECURITY.md's: 30 min idle, 12 h in all.
func DefaultSessionLifetimes() SessionLifetimes {
	return SessionLifetimes{Idle: DefaultSessionIdle, Absolute: DefaultSessionAbsolute}
}

// Check refuses lifetimes that cannot work: a session must live a while,
// and an idle timeout longer than the absolute lifetime would never apply.
func (l SessionLifetimes) Check() error {
	if l.Idle <= 0 || l.Absolute <= 0 {
		return fmt.Errorf("session lifetimes must be positive (idle %s, absolute %s)", l.Idle, l.Absolute)
	}
	if l.Idle > l.Absolute {
		return fmt.Errorf("the session idle timeout (%s) must not be longer than its absolute lifetime (%s)", l.Idle, l.Absolute)
	}
	return nil
}

// expired tells whether a session has ended at now: strictly more than
// Idle since it was last seen, or strictly more than Absolute since it began.
func (l SessionLifetimes) expired(sess *Session, now time.Time) bool {
	return now.Sub(sess.LastSeenAt) > l.Idle || now.Sub(sess.CreatedAt) > l.Absolute
}

// Session is a signed-in browser. Its id is the hash of the cookie value.
type Session struct {
	ID         string    `gorm:"column:id;primaryKey"`
	UserID     int64     `gorm:"column:user_id"`
	CSRFToken  string    `gorm:"column:csrf_token"`
	CreatedAt  time.Time `gorm:"column:created_at"`
	LastSeenAt time.Time `gorm:"column:last_seen_at"`
}

// TableName tells GORM where sessions live.
func (Session) TableName() string { return "sessions" }

// Token is a personal bearer token for scripts; only its hash is stored.
type Token struct {
	ID         int64      `gorm:"column:id;primaryKey" json:"id"`
	UserID     int64      `gorm:"column:user_id" json:"-"`
	Name       string     `gorm:"column:name" json:"name"`
	TokenHash  string     `gorm:"column:token_hash" json:"-"`
	CreatedAt  time.Time  `gorm:"column:created_at" json:"created_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at" json:"last_used_at"`
}

// TableName tells GORM where tokens live.
func (Token) TableName() string { return "api_tokens" }

// CreateSession starts a session for a user and returns the cookie value.
// Rotation at login is the caller's part: it ends the previous session first.
func (s *Store) CreateSession(ctx context.Context, userID int64) (string, *Session, error) {
	raw := NewToken()
	now := s.Now()
	sess := &Session{ID: HashToken(raw), UserID: userID, CSRFToken: NewToken(), CreatedAt: now, LastSeenAt: now}
	if err := s.db.WithContext(ctx).Create(sess).Error; err != nil {
		return "", nil, dbError(err)
	}
	return raw, sess, nil
}

// SessionUser resolves a cookie value to its live session and active user.
// Expired sessions are deleted; a suspended user has none left anyway.
func (s *Store) SessionUser(ctx context.Context, raw string) (*Session, *User, error) {
	if raw == "" {
		return nil, nil, Errorf(EUnauthorized, "Please sign in.")
	}
	var sess Session
	err := s.Read(ctx).Where("id = ?", HashToken(raw)).First(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, Errorf(EUnauthorized, "Your session has ended; please sign in again.")
	} else if err != nil {
		return nil, nil, dbError(err)
	}
	now := s.Now()
	if s.Sessions.expired(&sess, now) {
		s.db.WithContext(ctx).Delete(&Session{}, "id = ?", sess.ID)
		return nil, nil, Errorf(EUnauthorized, "Your session has expired; please sign in again.")
	}
	ended := Errorf(EUnauthorized, "Your session has ended; please sign in again.")
	u, err := s.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, lookupError(err, ended)
	}
	if !u.Active() {
		return nil, nil, ended
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		s.db.WithContext(ctx).Model(&Session{}).Where("id = ?", sess.ID).Update("last_seen_at", now)
	}
	return &sess, u, nil
}

// ExistingSessions tells which of the sessions still exist and have not
// expired (idle or too old, the same rule as SessionUser), for the live
// side, which closes the sockets of the others.
func (s *Store) ExistingSessions(ctx context.Context, ids []string) (map[string]bool, error) {
	now := s.Now()
	var found []string
	if err := s.Read(ctx).Model(&Session{}).Where("id IN ? AND last_seen_at >= ? AND created_at >= ?",
		ids, now.Add(-s.Sessions.Idle), now.Add(-s.Sessions.Absolute)).Pluck("id", &found).Error; err != nil {
		return nil, dbError(err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// DeleteSession ends one session (logout).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return dbError(s.db.WithContext(ctx).Delete(&Session{}, "id = ?", id).Error)
}

// CreateToken issues a bearer token; the raw value is returned only now.
func (s *Store) CreateToken(ctx context.Context, user *User, name string) (*Token, string, error) {
	name = CleanName(name)
	fe := FieldErrors{}
	if msg := ValidateName(name); msg != "" {
		fe.Add("name", "Give the token a name (120 characters at most).")
	}
	if err := fe.Err(); err != nil {
		return nil, "", err
	}
	raw := "pct_" + NewToken()
	t := &Token{UserID: user.ID, Name: name, TokenHash: HashToken(raw), CreatedAt: s.Now()}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		return nil, "", dbError(err)
	}
	return t, raw, nil
}

// TokenUser resolves a bearer token to its active user.
func (s *Store) TokenUser(ctx context.Context, raw string) (*User, error) {
	invalid := CodedError(EUnauthorized, "invalid_token", "This token is not valid.")
	var t Token
	err := s.Read(ctx).Where("token_hash = ?", HashToken(raw)).First(&t).Error
	if err != nil {
		return nil, lookupError(err, invalid)
	}
	u, err := s.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, lookupError(err, invalid)
	}
	if !u.Active() {
		return nil, invalid
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > touchEvery {
		s.db.WithContext(ctx).Model(&Token{}).Where("id = ?", t.ID).Update("last_used_at", now)
	}
	return u, nil
}

// Tokens lists a user's tokens (never their values).
func (s *Store) Tokens(ctx context.Context, userID int64) ([]Token, error) {
	var out []Token
	err := s.Read(ctx).Where("user_id = ?", userID).Order("id").Find(&out).Error
	return out, dbError(err)
}

// DeleteToken revokes one of the user's own tokens.
func (s *Store) DeleteToken(ctx context.Context, user *User, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, user.ID).Delete(&Token{})
	if res.Error != nil {
		return dbError(res.Error)
	}
	if res.RowsAffected == 0 {
		return NotFound("Token")
	}
	return nil
}

// endAccess removes every session and token of a user, inside tx: used at
// suspension and role changes so they take effect at the next request.
func endAccess(tx *gorm.DB, userID int64, keepSession string) error {
	q := tx.Where("user_id = ?", userID)
	if keepSession != "" {
		q = q.Where("id <> ?", keepSession)
	}
	if err := q.Delete(&Session{}).Error; err != nil {
		return err
	}
	if keepSession != "" {
		return nil
	}
	return tx.Where("user_id = ?", userID).Delete(&Token{}).Error
}

// TouchSessions records activity on sessions used only through their
// websocket (someone co-editing makes no HTTP request for a long while):
// they count as seen now, as a request would, so the idle timeout ends
// sessions left alone, not sessions in use.
func (s *Store) TouchSessions(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.Now()
	err := s.db.WithContext(ctx).Model(&Session{}).Where("id IN ? AND last_seen_at < ?", ids, now.Add(-touchEvery)).
		Update("last_seen_at", now).Error
	return dbError(err)
}
