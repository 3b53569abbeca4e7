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

// Authenticate checks an email and password, applying the per-account and
// per-address limits first so that a locked-out guesser learns nothing.
func (s *Store) Authenticate(ctx context.Context, email, password, clientIP string) (*User, error) {
	email = NormalizeEmail(email)
	acctKey, ipKey := "acct:"+HashToken(email), "ip:"+clientIP
	since := s.Now().Add(-LoginWindow)
	var acctN, ipN int64
	db := s.Read(ctx).Model(&loginFailure{})
	if err := db.Where("key = ? AND at > ?", acctKey, since).Count(&acctN).Error; err != nil {
		return nil, dbError(err)
	}
	if err := s.Read(ctx).Model(&loginFailure{}).Where("key = ? AND at > ?", ipKey, since).Count(&ipN).Error; err != nil {
		return nil, dbError(err)
	}
	if acctN >= MaxFailuresPerKey || ipN >= MaxFailuresPerIP {
		return nil, CodedError(ETooMany, "too_many_attempts", "Too many failed sign-in attempts. Wait 15 minutes and try again.")
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
		if err != nil {
			return nil, dbError(err)
		}
		return nil, ErrInvalidCredentials
	}
	if u.Status == StatusSuspended {
		return nil, CodedError(EForbidden, "account_suspended", "This account is suspended. Contact a moderator.")
	}
	s.db.WithContext(ctx).Where("key = ?", acctKey).Delete(&loginFailure{})
	return u, nil
}
