package models

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Second factor: time-based one-time passwords (RFC 6238) over HMAC-SHA1,
// the variant every authenticator app speaks, written with the standard
// library. The secret is kept in users.totp_secret as base32; it is not
// encrypted at rest (out of scope: see the 0005 migration).
const (
	TOTPDigits        = 6
	TOTPPeriod        = 30 // seconds per time step
	TOTPSkew          = 1  // steps accepted either side of now
	TOTPSecretBytes   = 20 // 160 bits, the size RFC 4226 recommends
	RecoveryCodeCount = 8
	// PendingLoginTTL bounds the time between a right password and the code.
	PendingLoginTTL = 5 * time.Minute
	// TOTPIssuer names Pacte in authenticator apps.
	TOTPIssuer = "Pacte"
)

// Errors of the second factor.
var (
	ErrTOTPRequired = CodedError(EUnauthorized, "totp_required", "Enter the code from your authenticator app.")
	ErrInvalidTOTP  = CodedError(EUnauthorized, "invalid_totp", "This code is not correct or has already been used.")
	ErrLoginExpired = CodedError(EUnauthorized, "login_expired", "This sign-in has expired. Enter your email and password again.")
)

var totpBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPStep is the time-step counter of t (RFC 6238 T, with T0 = 0).
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// hotp is RFC 4226: HMAC-SHA1 of the counter, dynamic truncation, then the
// last digits.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPCode is the code of a raw key at t with the given number of digits
// (6 in Pacte; RFC 6238's test vectors use 8). digits must be 1 to 9.
func TOTPCode(key []byte, t time.Time, digits int) string {
	if digits < 1 || digits > 9 {
		panic("totp: digits must be between 1 and 9")
	}
	return hotp(key, uint64(TOTPStep(t)), digits)
}

// DecodeTOTPSecret reads a base32 secret as people type it: any case,
// spaces and padding allowed.
func DecodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(secret))
	key, err := totpBase32.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, errors.New("totp: the secret is not base32")
	}
	return key, nil
}

// TOTPCodeFor is the current 6-digit code of a base32 secret: what the
// person's app shows at t.
func TOTPCodeFor(secret string, t time.Time) (string, error) {
	key, err := DecodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return TOTPCode(key, t, TOTPDigits), nil
}

// CheckTOTP checks a 6-digit code against a base32 secret at now, within
// ±TOTPSkew steps, and refuses any step at or before lastStep (a code is
// accepted once). It returns the step that matched.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	key, err := DecodeTOTPSecret(secret)
	if err != nil || !isTOTPShape(code) {
		return 0, false
	}
	cur := TOTPStep(now)
	var found int64
	for d := int64(-TOTPSkew); d <= TOTPSkew; d++ {
		step := cur + d
		if step <= lastStep || step < 0 {
			continue
		}
		// Every candidate is computed and compared, in constant time.
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(step), TOTPDigits)), []byte(code)) == 1 && found == 0 {
			found = step
		}
	}
	return found, found != 0
}

// isTOTPShape: exactly six ASCII digits.
func isTOTPShape(code string) bool {
	if len(code) != TOTPDigits {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// normalizeCode strips what people add while typing a code: spaces and
// hyphens; recovery codes are compared in lower case.
func normalizeCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

// NewTOTPSecret draws a fresh secret: 20 random bytes, in base32.
func NewTOTPSecret() string {
	b := make([]byte, TOTPSecretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return totpBase32.EncodeToString(b)
}

// GroupTOTPSecret splits a secret in groups of four, for typing it by hand.
func GroupTOTPSecret(secret string) string {
	var parts []string
	for len(secret) > 4 {
		parts = append(parts, secret[:4])
		secret = secret[4:]
	}
	return strings.Join(append(parts, secret), " ")
}

// TOTPURI is the otpauth:// address authenticator apps read (the Key URI
// format): otpauth://totp/Pacte:<email>?secret=…&issuer=Pacte.
func TOTPURI(email, secret string) string {
	return "otpauth://totp/" + url.PathEscape(TOTPIssuer) + ":" + url.PathEscape(email) +
		"?secret=" + url.QueryEscape(secret) + "&issuer=" + url.QueryEscape(TOTPIssuer)
}

// recoveryAlphabet avoids look-alikes (no 0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode draws a code like "k7m2p-x9qr4" (10 symbols, ~49 bits).
func newRecoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		// 256 is not a multiple of 31: the bias (< 1%) does not matter for
		// a one-time code behind the sign-in limits.
		out = append(out, recoveryAlphabet[int(x)%len(recoveryAlphabet)])
	}
	return string(out)
}

// recoveryCode is one stored (hashed) recovery code.
type recoveryCode struct {
	ID        int64      `gorm:"column:id;primaryKey"`
	UserID    int64      `gorm:"column:user_id"`
	CodeHash  string     `gorm:"column:code_hash"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	CreatedAt time.Time  `gorm:"column:created_at"`
}

func (recoveryCode) TableName() string { return "totp_recovery_codes" }

// pendingLogin is a sign-in waiting for its second factor.
type pendingLogin struct {
	IDHash    string    `gorm:"column:id_hash;primaryKey"`
	UserID    int64     `gorm:"column:user_id"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (pendingLogin) TableName() string { return "pending_logins" }

// BeginTOTP draws a new secret for the person and keeps it, not yet in
// force, until they confirm it with a code (EnableTOTP).
func (s *Store) BeginTOTP(ctx context.Context, u *User) (string, error) {
	if !Can(u, ActManageTOTP, u) || !needsSecondFactor(u) {
		return "", Errorf(EForbidden, "Two-step sign-in is for reviewers, moderators and administrators.")
	}
	secret := NewTOTPSecret()
	err := s.Write(ctx, func(tx *Tx) error {
		res := tx.Model(&User{}).Where("id = ? AND totp_enabled = ?", u.ID, false).
			Updates(map[string]any{"totp_secret": secret, "totp_last_step": 0, "updated_at": s.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return CodedError(EConflict, "totp_already_enabled", "Two-step sign-in is already on.")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// CancelTOTP forgets a secret that was never confirmed.
func (s *Store) CancelTOTP(ctx context.Context, u *User) error {
	if !Can(u, ActManageTOTP, u) {
		return Errorf(EForbidden, "Two-step sign-in is for reviewers, moderators and administrators.")
	}
	return s.Write(ctx, func(tx *Tx) error {
		return tx.Model(&User{}).Where("id = ? AND totp_enabled = ?", u.ID, false).
			Updates(map[string]any{"totp_secret": "", "updated_at": s.Now()}).Error
	})
}

// EnableTOTP turns the second factor on once the person proves their app
// holds the secret, and returns the recovery codes: shown now, never again
// (only their hashes are kept).
func (s *Store) EnableTOTP(ctx context.Context, u *User, code string) ([]string, error) {
	if !Can(u, ActManageTOTP, u) || !needsSecondFactor(u) {
		return nil, Errorf(EForbidden, "Two-step sign-in is for reviewers, moderators and administrators.")
	}
	code = normalizeCode(code)
	if code == "" {
		return nil, (FieldErrors{"code": "Enter the 6-digit code your app shows."}).Err()
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	err := s.Write(ctx, func(tx *Tx) error {
		var cur User
		if err := tx.First(&cur, u.ID).Error; err != nil {
			return lookupError(err, NotFound("User"))
		}
		if cur.TOTPEnabled {
			return CodedError(EConflict, "totp_already_enabled", "Two-step sign-in is already on.")
		}
		if cur.TOTPSecret == "" {
			return CodedError(EConflict, "totp_not_started", "Start again: choose \u201cEnable two-step sign-in\u201d first.")
		}
		step, ok := CheckTOTP(cur.TOTPSecret, code, s.Now(), 0)
		if !ok {
			return (FieldErrors{"code": "This code is not correct. Check the time on your phone and try the current code."}).Err()
		}
		now := s.Now()
		res := tx.Model(&User{}).Where("id = ? AND totp_enabled = ?", u.ID, false).
			Updates(map[string]any{"totp_enabled": true, "totp_last_step": step, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return CodedError(EConflict, "totp_already_enabled", "Two-step sign-in is already on.")
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&recoveryCode{}).Error; err != nil {
			return err
		}
		for _, c := range codes {
			if err := tx.Create(&recoveryCode{UserID: u.ID, CodeHash: HashToken(normalizeCode(c)), CreatedAt: now}).Error; err != nil {
				return err
			}
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.updated", u, 0, u.ID, map[string]any{"user_id": u.ID, "totp_enabled": true})
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns the second factor off. It asks for the password and a
// code (or a recovery code), and mistakes count against the sign-in limits
// like any other guess.
func (s *Store) DisableTOTP(ctx context.Context, u *User, password, code, clientIP string) error {
	if !Can(u, ActManageTOTP, u) {
		return Errorf(EForbidden, "Two-step sign-in is for reviewers, moderators and administrators.")
	}
	if !u.TOTPEnabled {
		return CodedError(EConflict, "totp_not_enabled", "Two-step sign-in is not on.")
	}
	if err := s.confirmIdentity(ctx, u, password, code, clientIP, true, "password", "code"); err != nil {
		return err
	}
	return s.Write(ctx, func(tx *Tx) error {
		if err := tx.Model(&User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"totp_enabled": false, "totp_secret": "", "totp_last_step": 0, "updated_at": s.Now()}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&recoveryCode{}).Error; err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.updated", u, 0, u.ID, map[string]any{"user_id": u.ID, "totp_enabled": false})
		return err
	})
}

// RecoveryCodesLeft counts the person's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.Read(ctx).Model(&recoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error
	return n, dbError(err)
}

// checkSecondFactor accepts a current 6-digit code (once: its time step is
// remembered, and the update only wins if no one used that step or a later
// one in between) or an unused recovery code (spent at once).
func (s *Store) checkSecondFactor(ctx context.Context, userID int64, code string) (bool, error) {
	code = normalizeCode(code)
	if code == "" || len(code) > 64 {
		return false, nil
	}
	ok := false
	err := s.Write(ctx, func(tx *Tx) error {
		var u User
		if err := tx.First(&u, userID).Error; err != nil {
			return err
		}
		if !u.TOTPEnabled || u.TOTPSecret == "" {
			return nil
		}
		if isTOTPShape(code) {
			step, match := CheckTOTP(u.TOTPSecret, code, s.Now(), u.TOTPLastStep)
			if !match {
				return nil
			}
			res := tx.Model(&User{}).Where("id = ? AND totp_last_step < ?", userID, step).Update("totp_last_step", step)
			ok = res.Error == nil && res.RowsAffected == 1
			return res.Error
		}
		res := tx.Model(&recoveryCode{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, HashToken(code)).
			Update("used_at", s.Now())
		ok = res.Error == nil && res.RowsAffected == 1
		return res.Error
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// CreatePendingLogin remembers that a person gave the right password and
// returns the raw id the browser carries to the code step. It ends at
// expires (5 minutes after the password, even when renewed after a wrong
// code) and serves once.
func (s *Store) CreatePendingLogin(ctx context.Context, userID int64, expires time.Time) (string, error) {
	raw := NewToken()
	// Expired ones are removed by the retention job (retention.go).
	err := s.Write(ctx, func(tx *Tx) error {
		return tx.Create(&pendingLogin{IDHash: HashToken(raw), UserID: userID, ExpiresAt: expires}).Error
	})
	if err != nil {
		return "", err
	}
	return raw, nil
}

// TakePendingLogin spends a pending sign-in and gives its person and the
// time it ends. A second use, an unknown id or an expired one all fail the
// same way.
func (s *Store) TakePendingLogin(ctx context.Context, raw string) (*User, time.Time, error) {
	if raw == "" || len(raw) > 128 {
		return nil, time.Time{}, ErrLoginExpired
	}
	var p pendingLogin
	// Looked up on the read pool first, so that made-up ids cost no write.
	if err := s.Read(ctx).Where("id_hash = ?", HashToken(raw)).First(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, time.Time{}, ErrLoginExpired
		}
		return nil, time.Time{}, dbError(err)
	}
	// Spent here: of two requests racing with the same id, one deletes it.
	err := s.Write(ctx, func(tx *Tx) error {
		res := tx.Where("id_hash = ?", p.IDHash).Delete(&pendingLogin{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrLoginExpired
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if !s.Now().Before(p.ExpiresAt) {
		return nil, time.Time{}, ErrLoginExpired
	}
	u, err := s.UserByID(ctx, p.UserID)
	if err != nil || u.Status == StatusInvited {
		return nil, time.Time{}, ErrLoginExpired
	}
	return u, p.ExpiresAt, nil
}
