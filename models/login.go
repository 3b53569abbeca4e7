package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Brute-force limits. Failures are counted in the database so that the
// limits hold across instances.
//
// Lockout must not become a denial of service (OWASP, "Slow Down Online
// Guessing Attacks with Device Cookies"): a browser that signed in to an
// account before holds a device cookie bound to that account, and is only
// limited by its own small budget of failures. Everyone else shares the
// account's budget and their address's.
const (
	LoginWindow          = 15 * time.Minute
	MaxFailuresPerKey    = 10 // per account, from browsers it has not seen
	MaxFailuresPerIP     = 50 // per client address
	MaxFailuresPerDevice = 5  // per device cookie
	// DeviceLifetime: a device cookie not used for this long is forgotten.
	DeviceLifetime = 180 * 24 * time.Hour
)

type loginFailure struct {
	ID  int64     `gorm:"column:id;primaryKey"`
	Key string    `gorm:"column:key"`
	At  time.Time `gorm:"column:at"`
}

func (loginFailure) TableName() string { return "login_failures" }

// LoginDevice is a browser that signed in to an account: the hash of its
// device cookie, bound to the account.
type LoginDevice struct {
	IDHash     string    `gorm:"column:id_hash;primaryKey"`
	UserID     int64     `gorm:"column:user_id"`
	CreatedAt  time.Time `gorm:"column:created_at"`
	LastUsedAt time.Time `gorm:"column:last_used_at"`
}

// TableName tells GORM where device cookies live.
func (LoginDevice) TableName() string { return "login_devices" }

// LoginClient is who is trying to sign in: the client address and the raw
// device cookie ("" without one).
type LoginClient struct {
	IP     string
	Device string
}

// ErrInvalidCredentials is the one answer for an unknown email and a wrong
// password alike.
var ErrInvalidCredentials = CodedError(EUnauthorized, "invalid_credentials", "The email or password is not correct.")

// loginKeys are the failure counters of an account and of a client address.
func loginKeys(email, clientIP string) (acctKey, ipKey string) {
	return "acct:" + HashToken(NormalizeEmail(email)), "ip:" + clientIP
}

// TooManyAttempts is the 429 of every password or code check, saying when
// the next try may succeed.
func TooManyAttempts(wait time.Duration) *Error {
	minutes := int((wait + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	return &Error{Kind: ETooMany, Code: "too_many_attempts", RetryAfter: time.Duration(minutes) * time.Minute,
		Message: fmt.Sprintf("Too many failed attempts. Try again in %d minutes.", minutes)}
}

// checkLimit refuses once key has limit failures within the window, saying
// how long until the oldest of those that matter leaves it.
func (s *Store) checkLimit(ctx context.Context, key string, limit int) error {
	since := s.Now().Add(-LoginWindow)
	var ats []time.Time
	if err := s.Read(ctx).Model(&loginFailure{}).Where("key = ? AND at > ?", key, since).Order("at DESC").
		Limit(limit).Pluck("at", &ats).Error; err != nil {
		return dbError(err)
	}
	if len(ats) < limit {
		return nil
	}
	// The limit-th newest failure is the one whose leaving frees a try.
	return TooManyAttempts(ats[limit-1].Add(LoginWindow).Sub(s.Now()))
}

// checkLoginLimits refuses once either counter reached its limit within the
// window.
func (s *Store) checkLoginLimits(ctx context.Context, acctKey, ipKey string) error {
	if err := s.checkLimit(ctx, acctKey, MaxFailuresPerKey); err != nil {
		return err
	}
	return s.checkLimit(ctx, ipKey, MaxFailuresPerIP)
}

// recordLoginFailure counts one failure against each key.
func (s *Store) recordLoginFailure(ctx context.Context, keys ...string) error {
	now := s.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Old failures are removed by the retention job (retention.go).
		for _, k := range keys {
			if err := tx.Create(&loginFailure{Key: k, At: now}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return dbError(err)
}

// clearFailures forgets a key's failures after a success.
func (s *Store) clearFailures(ctx context.Context, key string) error {
	return dbError(s.db.WithContext(ctx).Where("key = ?", key).Delete(&loginFailure{}).Error)
}

// device finds the live device cookie of raw, or nil.
func (s *Store) device(ctx context.Context, raw string) (*LoginDevice, error) {
	if raw == "" || len(raw) > 200 {
		return nil, nil
	}
	var d LoginDevice
	err := s.Read(ctx).Where("id_hash = ?", HashToken(raw)).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, dbError(err)
	}
	if s.Now().Sub(d.LastUsedAt) > DeviceLifetime {
		return nil, nil
	}
	return &d, nil
}

// limiter is the budget a sign-in attempt draws on: the device cookie's
// own when the browser signed in to this account before, else the
// account's and the address's.
type limiter struct {
	store *Store
	keys  []string
	check func(ctx context.Context) error
	clear string // the key a success clears
}

func (s *Store) limiterFor(ctx context.Context, userID int64, email string, cl LoginClient) (*limiter, error) {
	d, err := s.device(ctx, cl.Device)
	if err != nil {
		return nil, err
	}
	if d != nil && userID != 0 && d.UserID == userID {
		key := "dev:" + d.IDHash
		return &limiter{store: s, keys: []string{key}, clear: key,
			check: func(ctx context.Context) error { return s.checkLimit(ctx, key, MaxFailuresPerDevice) }}, nil
	}
	acctKey, ipKey := loginKeys(email, cl.IP)
	return &limiter{store: s, keys: []string{acctKey, ipKey}, clear: acctKey,
		check: func(ctx context.Context) error { return s.checkLoginLimits(ctx, acctKey, ipKey) }}, nil
}

// Authenticate checks an email and password from a client without a device
// cookie (scripts, tests).
func (s *Store) Authenticate(ctx context.Context, email, password, clientIP string) (*User, error) {
	return s.SignIn(ctx, email, password, LoginClient{IP: clientIP})
}

// SignIn checks an email and password, applying the limits first so that
// a locked-out guesser learns nothing.
//
// For an account with a second factor, a right password is only half a
// sign-in: the caller must then pass SecondFactor, and the failure count
// is only cleared there, so that a known password cannot reset the limit
// on code guesses.
func (s *Store) SignIn(ctx context.Context, email, password string, cl LoginClient) (*User, error) {
	email = NormalizeEmail(email)
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	var uid int64
	if u != nil {
		uid = u.ID
	}
	lim, err := s.limiterFor(ctx, uid, email, cl)
	if err != nil {
		return nil, err
	}
	if err := lim.check(ctx); err != nil {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok, cost := verifyPassword(hash, password)
	s.passwordWork.Add(int64(cost.memory) * int64(cost.time))
	if !ok || u == nil || u.Status == StatusInvited {
		if err := s.recordLoginFailure(ctx, lim.keys...); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	if u.Status == StatusSuspended {
		return nil, CodedError(EForbidden, "account_suspended", "This account is suspended. Contact a moderator.")
	}
	if !u.TOTPEnabled {
		if err := s.clearFailures(ctx, lim.clear); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// AuthenticateSecondFactor is SecondFactor for a client without a device
// cookie.
func (s *Store) AuthenticateSecondFactor(ctx context.Context, u *User, code, clientIP string) (*User, error) {
	return s.SecondFactor(ctx, u, code, LoginClient{IP: clientIP})
}

// SecondFactor finishes the sign-in of a person whose password was right
// (SignIn, or a pending sign-in): code is a 6-digit TOTP code or a recovery
// code. The same limits apply as to passwords, and a wrong code counts as a
// failure.
func (s *Store) SecondFactor(ctx context.Context, u *User, code string, cl LoginClient) (*User, error) {
	lim, err := s.limiterFor(ctx, u.ID, u.Email, cl)
	if err != nil {
		return nil, err
	}
	if err := lim.check(ctx); err != nil {
		return nil, err
	}
	if !u.TOTPEnabled {
		return u, nil
	}
	if normalizeCode(code) == "" {
		return nil, ErrTOTPRequired
	}
	ok, err := s.checkSecondFactor(ctx, u.ID, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.recordLoginFailure(ctx, lim.keys...); err != nil {
			return nil, err
		}
		return nil, ErrInvalidTOTP
	}
	fresh, err := s.UserByID(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if fresh.Status == StatusSuspended {
		return nil, CodedError(EForbidden, "account_suspended", "This account is suspended. Contact a moderator.")
	}
	if !fresh.Active() {
		return nil, ErrInvalidCredentials
	}
	if err := s.clearFailures(ctx, lim.clear); err != nil {
		return nil, err
	}
	return fresh, nil
}

// RememberDevice is called after a complete sign-in: it keeps the browser's
// device cookie when it is already bound to this account (and notes its
// use), or issues a new one. It returns the raw cookie value to set.
func (s *Store) RememberDevice(ctx context.Context, userID int64, raw string) (string, error) {
	d, err := s.device(ctx, raw)
	if err != nil {
		return "", err
	}
	now := s.Now()
	if d != nil && d.UserID == userID {
		err := s.db.WithContext(ctx).Model(&LoginDevice{}).Where("id_hash = ?", d.IDHash).Update("last_used_at", now).Error
		return raw, dbError(err)
	}
	raw = NewToken()
	d = &LoginDevice{IDHash: HashToken(raw), UserID: userID, CreatedAt: now, LastUsedAt: now}
	if err := s.db.WithContext(ctx).Create(d).Error; err != nil {
		return "", dbError(err)
	}
	// An account keeps at most its 20 latest devices (forgotten ones are
	// removed by the retention job).
	s.db.WithContext(ctx).Where("user_id = ? AND id_hash NOT IN (?)", userID,
		s.db.Model(&LoginDevice{}).Select("id_hash").Where("user_id = ?", userID).Order("last_used_at DESC").Limit(20)).
		Delete(&LoginDevice{})
	return raw, nil
}

// confirmIdentity asks a signed-in person to prove it is them before an
// irreversible step (turning the second factor off, erasing the account):
// their password, and a code of their second factor when withCode. Wrong
// answers count against the same limits as a sign-in, so a borrowed
// session cannot guess; each is said on its field (passwordField,
// codeField).
func (s *Store) confirmIdentity(ctx context.Context, u *User, password, code, clientIP string, withCode bool, passwordField, codeField string) error {
	acctKey, ipKey := loginKeys(u.Email, clientIP)
	if err := s.checkLoginLimits(ctx, acctKey, ipKey); err != nil {
		return err
	}
	fe := FieldErrors{}
	if password == "" {
		fe.Add(passwordField, "Enter your password.")
	}
	if withCode && normalizeCode(code) == "" {
		fe.Add(codeField, "Enter the 6-digit code your app shows, or a recovery code.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if len(password) > 4*MaxPasswordLen || !CheckPassword(u.PasswordHash, password) {
		if err := s.recordLoginFailure(ctx, acctKey, ipKey); err != nil {
			return err
		}
		return (FieldErrors{passwordField: "Your password is not correct."}).Err()
	}
	if !withCode {
		return nil
	}
	ok, err := s.checkSecondFactor(ctx, u.ID, code)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.recordLoginFailure(ctx, acctKey, ipKey); err != nil {
			return err
		}
		return (FieldErrors{codeField: "This code is not correct or has already been used."}).Err()
	}
	return nil
}

// CheckCurrentPassword checks the password of a signed-in person (before a
// password change or an erasure), with its own budget of failures, so that
// a borrowed session cannot guess the password at will.
func (s *Store) CheckCurrentPassword(ctx context.Context, u *User, password string) error {
	key := "pw:" + fmt.Sprint(u.ID)
	if err := s.checkLimit(ctx, key, MaxFailuresPerKey); err != nil {
		return err
	}
	if !CheckPassword(u.PasswordHash, password) {
		if err := s.recordLoginFailure(ctx, key); err != nil {
			return err
		}
		return (FieldErrors{"current_password": "Your current password is not correct."}).Err()
	}
	return s.clearFailures(ctx, key)
}
