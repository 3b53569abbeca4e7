package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Brute-force limits. Failures are counted in the database so that the
// limits hold across instances.
const (
	LoginWindow       = 15 * time.Minute
	MaxFailuresPerKey = 10 // per account
	MaxFailuresPerIP  = 50 // per client address
)

type loginFailure struct {
	ID  int64     `gorm:"column:id;primaryKey"`
	Key string    `gorm:"column:key"`
	At  time.Time `gorm:"column:at"`
}

func (loginFailure) TableName() string { return "login_failures" }

// ErrInvalidCredentials is the one answer for an unknown email and a wrong
// password alike.
var ErrInvalidCredentials = CodedError(EUnauthorized, "invalid_credentials", "The email or password is not correct.")

// loginKeys are the failure counters of an account and of a client address.
func loginKeys(email, clientIP string) (acctKey, ipKey string) {
	return "acct:" + HashToken(NormalizeEmail(email)), "ip:" + clientIP
}

// checkLoginLimits refuses once either counter reached its limit within the
// window.
func (s *Store) checkLoginLimits(ctx context.Context, acctKey, ipKey string) error {
	since := s.Now().Add(-LoginWindow)
	var acctN, ipN int64
	if err := s.Read(ctx).Model(&loginFailure{}).Where("key = ? AND at > ?", acctKey, since).Count(&acctN).Error; err != nil {
		return dbError(err)
	}
	if err := s.Read(ctx).Model(&loginFailure{}).Where("key = ? AND at > ?", ipKey, since).Count(&ipN).Error; err != nil {
		return dbError(err)
	}
	if acctN >= MaxFailuresPerKey || ipN >= MaxFailuresPerIP {
		return CodedError(ETooMany, "too_many_attempts", "Too many failed sign-in attempts. Wait 15 minutes and try again.")
	}
	return nil
}

// recordLoginFailure counts one failure against the account and the address.
func (s *Store) recordLoginFailure(ctx context.Context, acctKey, ipKey string) error {
	now := s.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&loginFailure{Key: acctKey, At: now}).Error; err != nil {
			return err
		}
		if err := tx.Create(&loginFailure{Key: ipKey, At: now}).Error; err != nil {
			return err
		}
		return tx.Where("key IN ? AND at < ?", []string{acctKey, ipKey}, now.Add(-24*time.Hour)).Delete(&loginFailure{}).Error
	})
	return dbError(err)
}

// Authenticate checks an email and password, applying the per-account and
// per-address limits first so that a locked-out guesser learns nothing.
//
// For an account with a second factor, a right password is only half a
// sign-in: the caller must then pass AuthenticateSecondFactor, and the
// account's failure count is only cleared there, so that a known password
// cannot reset the limit on code guesses.
func (s *Store) Authenticate(ctx context.Context, email, password, clientIP string) (*User, error) {
	email = NormalizeEmail(email)
	acctKey, ipKey := loginKeys(email, clientIP)
	if err := s.checkLoginLimits(ctx, acctKey, ipKey); err != nil {
		return nil, err
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	if !CheckPassword(hash, password) || u == nil || u.Status == StatusInvited {
		if err := s.recordLoginFailure(ctx, acctKey, ipKey); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	if u.Status == StatusSuspended {
		return nil, CodedError(EForbidden, "account_suspended", "This account is suspended. Contact a moderator.")
	}
	if !u.TOTPEnabled {
		s.db.WithContext(ctx).Where("key = ?", acctKey).Delete(&loginFailure{})
	}
	return u, nil
}

// AuthenticateSecondFactor finishes the sign-in of a person whose password
// was right (Authenticate, or a pending sign-in): code is a 6-digit TOTP
// code or a recovery code. The same limits apply as to passwords, and a
// wrong code counts as a failure for the account and the address.
func (s *Store) AuthenticateSecondFactor(ctx context.Context, u *User, code, clientIP string) (*User, error) {
	acctKey, ipKey := loginKeys(u.Email, clientIP)
	if err := s.checkLoginLimits(ctx, acctKey, ipKey); err != nil {
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
		if err := s.recordLoginFailure(ctx, acctKey, ipKey); err != nil {
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
	s.db.WithContext(ctx).Where("key = ?", acctKey).Delete(&loginFailure{})
	return fresh, nil
}
