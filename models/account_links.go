package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Links mailed to a person to act on their account without signing in: a
// password reset, or the confirmation of a new email address. Like
// invitations, only the token's hash is stored; each link works once and
// for a while.

// Lifetimes and limits of account links.
const (
	ResetTTL       = time.Hour
	EmailChangeTTL = 24 * time.Hour
	// At most ResetsPerAddress reset mails per address and ResetsPerClient
	// requests per client in ResetWindow: beyond the first, the request is
	// quietly ignored (the answer must not say whether the address exists);
	// beyond the second, the client is told to wait.
	ResetsPerAddress = 3
	ResetsPerClient  = 20
	ResetWindow      = time.Hour
)

// Account link purposes.
const (
	LinkReset = "reset"
	LinkEmail = "email"
)

// AccountLink is one mailed link.
type AccountLink struct {
	ID        int64      `gorm:"column:id;primaryKey"`
	Purpose   string     `gorm:"column:purpose"`
	UserID    int64      `gorm:"column:user_id"`
	TokenHash string     `gorm:"column:token_hash"`
	NewEmail  string     `gorm:"column:new_email"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	CreatedAt time.Time  `gorm:"column:created_at"`
}

// TableName tells GORM where links live.
func (AccountLink) TableName() string { return "account_links" }

type resetRequest struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Email     string    `gorm:"column:email"`
	Client    string    `gorm:"column:client"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (resetRequest) TableName() string { return "reset_requests" }

func errResetInvalid() *Error {
	return CodedError(EGone, "reset_invalid", "This password reset link is no longer valid: it was used, it expired, or it is not one of ours. Ask for a new one.")
}

// RequestPasswordReset mails a reset link to the address if an active
// account has it. It answers the same whether or not one does; a client
// that asks too often is told to wait (429), an address asked for too
// often is quietly left alone.
func (s *Store) RequestPasswordReset(ctx context.Context, email, client string) error {
	email = NormalizeEmail(email)
	if msg := ValidateEmail(email); msg != "" {
		return (FieldErrors{"email": msg}).Err()
	}
	now := s.Now()
	since := now.Add(-ResetWindow)
	return s.Write(ctx, func(tx *Tx) error {
		var byClient, byAddress int64
		if err := tx.Model(&resetRequest{}).Where("client = ? AND created_at > ?", client, since).Count(&byClient).Error; err != nil {
			return err
		}
		if byClient >= ResetsPerClient {
			var oldest []time.Time
			if err := tx.Model(&resetRequest{}).Where("client = ? AND created_at > ?", client, since).
				Order("created_at").Limit(1).Pluck("created_at", &oldest).Error; err != nil || len(oldest) == 0 {
				return err
			}
			return TooManyAttempts(oldest[0].Add(ResetWindow).Sub(now))
		}
		if err := tx.Model(&resetRequest{}).Where("email = ? AND created_at > ?", email, since).Count(&byAddress).Error; err != nil {
			return err
		}
		if err := tx.Create(&resetRequest{Email: email, Client: client, CreatedAt: now}).Error; err != nil {
			return err
		}
		if byAddress >= ResetsPerAddress {
			return nil
		}
		var u User
		err := tx.Where("email = ?", email).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && u.Status != StatusActive) {
			return nil
		}
		if err != nil {
			return err
		}
		raw := NewToken()
		link := AccountLink{Purpose: LinkReset, UserID: u.ID, TokenHash: HashToken(raw), ExpiresAt: now.Add(ResetTTL), CreatedAt: now}
		if err := tx.Create(&link).Error; err != nil {
			return err
		}
		return tx.Enqueue(MailArgs{Purpose: MailReset, UserID: u.ID, Token: raw})
	})
}

// liveLink finds an unused, unexpired link of a purpose whose account is
// active, or nil.
func liveLink(db *gorm.DB, purpose, raw string, now time.Time) (*AccountLink, *User, error) {
	if raw == "" || len(raw) > 128 {
		return nil, nil, nil
	}
	var l AccountLink
	err := db.Where("token_hash = ? AND purpose = ?", HashToken(raw), purpose).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if l.UsedAt != nil || !now.Before(l.ExpiresAt) {
		return nil, nil, nil
	}
	var u User
	if err := db.Where("id = ?", l.UserID).Take(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	if u.Status != StatusActive {
		return nil, nil, nil
	}
	return &l, &u, nil
}

// PasswordResetFor is the account a reset link would reset, for its page;
// 410 reset_invalid when the link is used, expired, unknown, or its account
// is suspended.
func (s *Store) PasswordResetFor(ctx context.Context, raw string) (*User, error) {
	_, u, err := liveLink(s.Read(ctx), LinkReset, raw, s.Now())
	if err != nil {
		return nil, dbError(err)
	}
	if u == nil {
		return nil, errResetInvalid()
	}
	return u, nil
}

// ResetPassword sets a new password through a reset link. An account with
// two-step sign-in on must also give a current code (or a recovery code):
// a mailbox alone never opens it. Every session of the account ends.
func (s *Store) ResetPassword(ctx context.Context, raw, password, code, clientIP string) (*User, error) {
	link, u, err := liveLink(s.Read(ctx), LinkReset, raw, s.Now())
	if err != nil {
		return nil, dbError(err)
	}
	if u == nil {
		return nil, errResetInvalid()
	}
	if msg := ValidatePassword(password, u.Email, u.Name); msg != "" {
		return nil, (FieldErrors{"password": msg}).Err()
	}
	if u.TOTPEnabled {
		acctKey, ipKey := loginKeys(u.Email, clientIP)
		if err := s.checkLoginLimits(ctx, acctKey, ipKey); err != nil {
			return nil, err
		}
		if normalizeCode(code) == "" {
			return nil, &Error{Kind: EUnauthorized, Code: "totp_required",
				Message: "This account uses two-step sign-in: enter the 6-digit code from your app, or a recovery code.",
				Fields:  map[string]string{"code": "Enter the 6-digit code your app shows, or a recovery code."}}
		}
		ok, err := s.checkSecondFactor(ctx, u.ID, code)
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := s.recordLoginFailure(ctx, acctKey, ipKey); err != nil {
				return nil, err
			}
			return nil, &Error{Kind: EUnauthorized, Code: "invalid_totp", Message: "This code is not correct or has already been used.",
				Fields: map[string]string{"code": "This code is not correct or has already been used."}}
		}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	err = s.Write(ctx, func(tx *Tx) error {
		now := s.Now()
		res := tx.Model(&AccountLink{}).Where("id = ? AND used_at IS NULL", link.ID).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errResetInvalid()
		}
		// Other reset links of the account die with this one.
		if err := tx.Model(&AccountLink{}).Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, LinkReset).
			Update("used_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&Session{}).Error; err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.updated", nil, 0, u.ID,
			map[string]any{"user_id": u.ID, "password_reset": true, "other_sessions_ended": true})
		return err
	})
	if err != nil {
		return nil, err
	}
	acctKey, _ := loginKeys(u.Email, "")
	_ = s.clearFailures(ctx, acctKey)
	return u, nil
}

func errEmailChangeInvalid() *Error {
	return CodedError(EGone, "email_change_invalid", "This confirmation link is no longer valid: it was used, it expired, or a newer change was asked for.")
}

// RequestEmailChange mails a confirmation link to the new address and tells
// the old one. Nothing changes until the link is followed.
func (s *Store) RequestEmailChange(ctx context.Context, u *User, email string) error {
	if !Can(u, ActEditProfile, nil) {
		return Errorf(EUnauthorized, "Please sign in.")
	}
	email = NormalizeEmail(email)
	if msg := ValidateEmail(email); msg != "" {
		return (FieldErrors{"email": msg}).Err()
	}
	if email == u.Email {
		return &Error{Kind: EInvalid, Code: "same_email", Message: "This is already your address.",
			Fields: map[string]string{"email": "This is already your address."}}
	}
	return s.Write(ctx, func(tx *Tx) error {
		var n int64
		if err := tx.Model(&User{}).Where("email = ?", email).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &Error{Kind: EConflict, Code: "email_taken", Message: "An account with this email already exists.",
				Fields: map[string]string{"email": "An account with this email already exists."}}
		}
		now := s.Now()
		// A newer request replaces an older one.
		if err := tx.Model(&AccountLink{}).Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, LinkEmail).
			Update("used_at", now).Error; err != nil {
			return err
		}
		raw := NewToken()
		link := AccountLink{Purpose: LinkEmail, UserID: u.ID, TokenHash: HashToken(raw), NewEmail: email,
			ExpiresAt: now.Add(EmailChangeTTL), CreatedAt: now}
		if err := tx.Create(&link).Error; err != nil {
			return err
		}
		if err := tx.Enqueue(MailArgs{Purpose: MailEmailConfirm, UserID: u.ID, To: email, Token: raw}); err != nil {
			return err
		}
		if err := tx.Enqueue(MailArgs{Purpose: MailEmailChanged, UserID: u.ID, To: u.Email}); err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.email_change_requested", u, 0, u.ID, map[string]any{"user_id": u.ID})
		return err
	})
}

// EmailChangeFor is the address a confirmation link would move the
// account to, for the page that asks to confirm; 410 when it no longer
// works.
func (s *Store) EmailChangeFor(ctx context.Context, raw string) (string, error) {
	link, u, err := liveLink(s.Read(ctx), LinkEmail, raw, s.Now())
	if err != nil {
		return "", dbError(err)
	}
	if u == nil {
		return "", errEmailChangeInvalid()
	}
	return link.NewEmail, nil
}

// ConfirmEmailChange makes the change a link confirms.
func (s *Store) ConfirmEmailChange(ctx context.Context, raw string) (*User, error) {
	var out User
	err := s.Write(ctx, func(tx *Tx) error {
		link, u, err := liveLink(tx.DB, LinkEmail, raw, s.Now())
		if err != nil {
			return err
		}
		if u == nil {
			return errEmailChangeInvalid()
		}
		var n int64
		if err := tx.Model(&User{}).Where("email = ? AND id <> ?", link.NewEmail, u.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return CodedError(EConflict, "email_taken", "An account with this email was created in the meantime.")
		}
		now := s.Now()
		if err := tx.Model(&AccountLink{}).Where("id = ?", link.ID).Update("used_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"email": link.NewEmail, "updated_at": now}).Error; err != nil {
			if IsUniqueViolation(err) {
				return CodedError(EConflict, "email_taken", "An account with this email was created in the meantime.")
			}
			return err
		}
		if err := tx.Take(&out, u.ID).Error; err != nil {
			return err
		}
		_, err = tx.Emit(UserTopic(u.ID), "user.updated", u, 0, u.ID,
			map[string]any{"user_id": u.ID, "changes": map[string]any{"email": true}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PendingEmailChange is the address a person asked to move to and has not
// confirmed yet, or "".
func (s *Store) PendingEmailChange(ctx context.Context, u *User) (string, error) {
	var l AccountLink
	err := s.Read(ctx).Where("user_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", u.ID, LinkEmail, s.Now()).
		Order("id DESC").Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	return l.NewEmail, dbError(err)
}
