package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Lifetimes of the links people are handed.
const (
	InvitationTTL = 7 * 24 * time.Hour
	SetupTTL      = 24 * time.Hour
)

// Invitation is a single-use link that lets a person choose a password.
type Invitation struct {
	ID        int64      `gorm:"column:id;primaryKey"`
	TokenHash string     `gorm:"column:token_hash"`
	Purpose   string     `gorm:"column:purpose"` // invite | setup
	UserID    *int64     `gorm:"column:user_id"`
	InvitedBy *int64     `gorm:"column:invited_by"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	CreatedAt time.Time  `gorm:"column:created_at"`
}

// TableName tells GORM where invitations live.
func (Invitation) TableName() string { return "invitations" }

// InviteRequest is what a moderator fills in to invite someone.
type InviteRequest struct {
	Email          string
	Name           string
	OrganizationID int64
	Role           string
}

// Invite creates an invited account and its link. Inviting an address that
// is still only invited issues a fresh link and revokes the old ones.
func (s *Store) Invite(ctx context.Context, actor *User, req InviteRequest) (*Invitation, string, error) {
	// Whether the actor invites at all is answered before their form is
	// checked; whether they may give this role, after.
	if !Can(actor, ActInvite, InviteRequest{Role: RoleMember}) {
		return nil, "", forbidden("Only moderators and admins can invite people.")
	}
	req.Email = NormalizeEmail(req.Email)
	req.Name = CleanName(req.Name)
	fe := FieldErrors{}
	if msg := ValidateEmail(req.Email); msg != "" {
		fe.Add("email", msg)
	}
	if msg := ValidateName(req.Name); msg != "" {
		fe.Add("name", msg)
	}
	if !ValidRole(req.Role) {
		fe.Add("role", "Unknown role; choose member, reviewer, moderator or admin.")
	}
	var org *Organization
	if req.OrganizationID == 0 {
		if req.Role != RoleAdmin {
			fe.Add("organization_id", "Choose an organisation.")
		}
	} else if o, err := s.OrganizationByID(ctx, req.OrganizationID); err != nil {
		if ErrorKind(err) != ENotFound {
			return nil, "", err
		}
		fe.Add("organization_id", "Unknown organisation.")
	} else {
		org = o
	}
	if _, bad := fe["role"]; !bad {
		if _, bad := fe["organization_id"]; !bad {
			if msg := roleFitsOrganization(req.Role, org); msg != "" {
				fe.Add("role", msg)
			}
		}
	}
	if err := fe.Err(); err != nil {
		return nil, "", err
	}
	if !Can(actor, ActInvite, req) {
		return nil, "", Errorf(EForbidden, "You are not allowed to invite someone with this role.")
	}
	raw := NewToken()
	var inv *Invitation
	err := s.Write(ctx, func(tx *Tx) error {
		now := s.Now()
		var u User
		err := tx.Where("email = ?", req.Email).First(&u).Error
		switch {
		case err == nil && u.Status != StatusInvited:
			return &Error{Kind: EConflict, Code: "email_taken", Message: "An account with this email already exists.",
				Fields: map[string]string{"email": "An account with this email already exists."}}
		case err == nil:
			// Re-inviting rewrites the pending account: the actor must be
			// allowed to invite its current role too (a moderator cannot
			// turn an admin's pending invitation into a member's).
			if !Can(actor, ActInvite, InviteRequest{Email: u.Email, Role: u.Role, OrganizationID: u.OrgID()}) {
				return Errorf(EForbidden, "You are not allowed to change this invitation.")
			}
			if err := tx.Model(&u).Updates(map[string]any{"name": req.Name, "organization_id": orgIDPtr(org), "role": req.Role, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := tx.Model(&Invitation{}).Where("user_id = ? AND used_at IS NULL", u.ID).Update("used_at", now).Error; err != nil {
				return err
			}
		case errors.Is(err, gorm.ErrRecordNotFound):
			u = User{Email: req.Email, Name: req.Name, OrganizationID: orgIDPtr(org), Role: req.Role, Status: StatusInvited,
				Locale: "fr", CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&u).Error; err != nil {
				if IsUniqueViolation(err) {
					return CodedError(EConflict, "email_taken", "An account with this email already exists.")
				}
				return err
			}
		default:
			return err
		}
		uid, by := u.ID, actor.ID
		inv = &Invitation{TokenHash: HashToken(raw), Purpose: "invite", UserID: &uid, InvitedBy: &by, ExpiresAt: now.Add(InvitationTTL), CreatedAt: now}
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		if err := tx.Enqueue(MailArgs{Purpose: MailInvitation, UserID: u.ID, Token: raw, Expires: inv.ExpiresAt}); err != nil {
			return err
		}
		_, err = tx.Emit(UserTopic(u.ID), "user.invited", actor, 0, u.ID,
			map[string]any{"user_id": u.ID, "email": u.Email, "role": u.Role, "organization_id": u.OrganizationID, "invitation_id": inv.ID})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return inv, raw, nil
}

func orgIDPtr(o *Organization) *int64 {
	if o == nil {
		return nil
	}
	id := o.ID
	return &id
}

// Invitation finds a usable link by its raw token and the invited user.
func (s *Store) Invitation(ctx context.Context, raw string) (*Invitation, *User, error) {
	var inv Invitation
	if err := s.Read(ctx).Where("token_hash = ?", HashToken(raw)).First(&inv).Error; err != nil {
		return nil, nil, lookupError(err, CodedError(ENotFound, "invitation_not_found", "This invitation link is not valid."))
	}
	if inv.UsedAt != nil {
		return nil, nil, CodedError(EConflict, "invitation_used", "This invitation link has already been used.")
	}
	if s.Now().After(inv.ExpiresAt) {
		return nil, nil, CodedError(EConflict, "invitation_expired", "This invitation link has expired; ask a moderator for a new one.")
	}
	var u *User
	if inv.UserID != nil {
		var err error
		if u, err = s.UserByID(ctx, *inv.UserID); err != nil {
			return nil, nil, lookupError(err, CodedError(ENotFound, "invitation_not_found", "This invitation link is not valid."))
		}
	}
	return &inv, u, nil
}

// AcceptInvitation sets the invited person's password and activates them.
// The link is spent in the same transaction, so it works once even when two
// requests race.
func (s *Store) AcceptInvitation(ctx context.Context, raw, password string) (*User, error) {
	inv, u, err := s.Invitation(ctx, raw)
	if err != nil {
		return nil, err
	}
	if inv.Purpose != "invite" || u == nil {
		return nil, CodedError(ENotFound, "invitation_not_found", "This invitation link is not valid.")
	}
	if msg := ValidatePassword(password, u.Email, u.Name); msg != "" {
		return nil, (FieldErrors{"password": msg}).Err()
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	err = s.Write(ctx, func(tx *Tx) error {
		res := tx.Model(&Invitation{}).Where("id = ? AND used_at IS NULL", inv.ID).Update("used_at", s.Now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return CodedError(EConflict, "invitation_used", "This invitation link has already been used.")
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"password_hash": hash, "status": StatusActive, "updated_at": s.Now()}).Error; err != nil {
			return err
		}
		if err := tx.First(u, u.ID).Error; err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.activated", u, 0, u.ID, map[string]any{"user_id": u.ID})
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// EnsureAdmin creates the first admin from configuration when there is none.
func (s *Store) EnsureAdmin(ctx context.Context, email, password string) (*User, bool, error) {
	if has, err := s.HasAdmin(ctx); err != nil || has {
		return nil, false, err
	}
	email = NormalizeEmail(email)
	fe := FieldErrors{}
	if msg := ValidateEmail(email); msg != "" {
		fe.Add("PACTE_ADMIN_EMAIL", msg)
	}
	if msg := ValidatePassword(password, email); msg != "" {
		fe.Add("PACTE_ADMIN_PASSWORD", msg)
	}
	if err := fe.Err(); err != nil {
		return nil, false, err
	}
	u, err := s.createAdmin(ctx, email, "Administrateur", password)
	return u, err == nil, err
}

// createAdmin creates an active admin; also, when given, runs inside the
// same transaction.
func (s *Store) createAdmin(ctx context.Context, email, name, password string, also ...func(tx *Tx) error) (*User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	u := &User{Email: email, Name: name, Role: RoleAdmin, Status: StatusActive, PasswordHash: hash, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	err = s.Write(ctx, func(tx *Tx) error {
		for _, fn := range also {
			if err := fn(tx); err != nil {
				return err
			}
		}
		var existing User
		if err := tx.Where("email = ?", email).First(&existing).Error; err == nil {
			return &Error{Kind: EConflict, Code: "email_taken", Message: "An account with this email already exists.",
				Fields: map[string]string{"email": "An account with this email already exists."}}
		}
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.created", nil, 0, u.ID, map[string]any{"user_id": u.ID, "role": RoleAdmin, "via": "setup"})
		return err
	})
	return u, err
}

// NewSetupLink revokes earlier set-up links and returns a fresh one-time
// token that lets the first person choose the admin account.
func (s *Store) NewSetupLink(ctx context.Context) (string, error) {
	raw := NewToken()
	err := s.Write(ctx, func(tx *Tx) error {
		now := s.Now()
		if err := tx.Model(&Invitation{}).Where("purpose = 'setup' AND used_at IS NULL").Update("used_at", now).Error; err != nil {
			return err
		}
		return tx.Create(&Invitation{TokenHash: HashToken(raw), Purpose: "setup", ExpiresAt: now.Add(SetupTTL), CreatedAt: now}).Error
	})
	return raw, err
}

// CompleteSetup creates the first admin through a set-up link.
func (s *Store) CompleteSetup(ctx context.Context, raw, email, name, password string) (*User, error) {
	inv, _, err := s.Invitation(ctx, raw)
	if err != nil {
		return nil, err
	}
	if inv.Purpose != "setup" {
		return nil, CodedError(ENotFound, "invitation_not_found", "This set-up link is not valid.")
	}
	if has, err := s.HasAdmin(ctx); err != nil {
		return nil, err
	} else if has {
		return nil, CodedError(EConflict, "invitation_used", "An administrator already exists.")
	}
	email = NormalizeEmail(email)
	name = CleanName(name)
	fe := FieldErrors{}
	if msg := ValidateEmail(email); msg != "" {
		fe.Add("email", msg)
	}
	if msg := ValidateName(name); msg != "" {
		fe.Add("name", msg)
	}
	if msg := ValidatePassword(password, email, name); msg != "" {
		fe.Add("password", msg)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	// The link is spent in the transaction that creates the admin, so a
	// failure (email taken) leaves it usable and two racing uses make one.
	return s.createAdmin(ctx, email, name, password, func(tx *Tx) error {
		res := tx.Model(&Invitation{}).Where("id = ? AND used_at IS NULL", inv.ID).Update("used_at", s.Now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return CodedError(EConflict, "invitation_used", "This set-up link has already been used.")
		}
		return nil
	})
}

// What became of an invitation link, for the page that follows it.
const (
	InvitationUsable   = "usable"
	InvitationUsed     = "used"     // accepted: the person signs in
	InvitationReplaced = "replaced" // a newer link was issued; this one is revoked
	InvitationExpired  = "expired"  // past its date, never used
)

// InvitationLinkState finds an invitation link by its raw token whatever
// became of it, with the invited person and what the link can still do.
// Only links of the "invite" purpose are found.
func (s *Store) InvitationLinkState(ctx context.Context, raw string) (*Invitation, *User, string, error) {
	notFound := CodedError(ENotFound, "invitation_not_found", "This invitation link is not valid.")
	var inv Invitation
	if err := s.Read(ctx).Where("token_hash = ?", HashToken(raw)).Take(&inv).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, "", notFound
		}
		return nil, nil, "", dbError(err)
	}
	if inv.Purpose != "invite" || inv.UserID == nil {
		return nil, nil, "", notFound
	}
	u, err := s.UserByID(ctx, *inv.UserID)
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return nil, nil, "", notFound
		}
		return nil, nil, "", err
	}
	switch {
	case inv.UsedAt != nil && u.Status == StatusInvited:
		// Spent without the account being activated: a newer link (a
		// re-invitation or a renewal) revoked it.
		return &inv, u, InvitationReplaced, nil
	case inv.UsedAt != nil:
		return &inv, u, InvitationUsed, nil
	case s.Now().After(inv.ExpiresAt):
		return &inv, u, InvitationExpired, nil
	}
	return &inv, u, InvitationUsable, nil
}

// LatestInvitation is the newest invitation link issued to a person, or
// nil, for those who manage accounts.
func (s *Store) LatestInvitation(ctx context.Context, actor *User, userID int64) (*Invitation, error) {
	if err := Check(actor, ActListUsers, nil); err != nil {
		return nil, err
	}
	var inv Invitation
	err := s.Read(ctx).Where("user_id = ? AND purpose = 'invite'", userID).Order("id DESC").Limit(1).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, dbError(err)
	}
	return &inv, nil
}

// RenewInvitation issues a fresh link (new token, new expiry) for the person
// an invitation was for, and revokes every earlier link of theirs: the one
// operation behind "resend" (the link was lost, or never arrived) and
// "renew" (it expired). Any of the person's invitations names them. Only
// staff see invitations (404 for anyone else); a moderator renews only the
// invitations they could have made (403); an accepted invitation cannot be
// renewed (409 invitation_accepted).
func (s *Store) RenewInvitation(ctx context.Context, actor *User, id int64) (*Invitation, string, error) {
	if !Can(actor, ActListUsers, nil) {
		return nil, "", NotFound("Invitation")
	}
	raw := NewToken()
	var inv *Invitation
	err := s.Write(ctx, func(tx *Tx) error {
		var old Invitation
		if err := tx.Where("id = ? AND purpose = 'invite' AND user_id IS NOT NULL", id).Take(&old).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return NotFound("Invitation")
			}
			return err
		}
		var u User
		if err := tx.Where("id = ?", *old.UserID).Take(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return NotFound("Invitation")
			}
			return err
		}
		if u.Status != StatusInvited {
			return CodedError(EConflict, "invitation_accepted", "This person has already accepted the invitation; they sign in with their password.")
		}
		if !Can(actor, ActInvite, InviteRequest{Email: u.Email, Role: u.Role, OrganizationID: u.OrgID()}) {
			return Errorf(EForbidden, "You are not allowed to change this invitation.")
		}
		now := s.Now()
		if err := tx.Model(&Invitation{}).Where("user_id = ? AND purpose = 'invite' AND used_at IS NULL", u.ID).Update("used_at", now).Error; err != nil {
			return err
		}
		uid, by := u.ID, actor.ID
		inv = &Invitation{TokenHash: HashToken(raw), Purpose: "invite", UserID: &uid, InvitedBy: &by, ExpiresAt: now.Add(InvitationTTL), CreatedAt: now}
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		if err := tx.Enqueue(MailArgs{Purpose: MailInvitation, UserID: u.ID, Token: raw, Expires: inv.ExpiresAt}); err != nil {
			return err
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.invitation_renewed", actor, 0, u.ID,
			map[string]any{"user_id": u.ID, "invitation_id": inv.ID, "replaces": old.ID})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return inv, raw, nil
}

// RequestNewInvitation records that the holder of an expired link asked
// for a new one: an event on the person's account, which moderators see
// there. Asking again before a new link is issued records nothing more.
func (s *Store) RequestNewInvitation(ctx context.Context, raw string) error {
	inv, u, state, err := s.InvitationLinkState(ctx, raw)
	if err != nil {
		return err
	}
	if state != InvitationExpired && state != InvitationReplaced {
		code := "invitation_usable"
		if state == InvitationUsed {
			code = "invitation_used"
		}
		return CodedError(EConflict, code, "This invitation link can still be used.")
	}
	return s.Write(ctx, func(tx *Tx) error {
		var n int64
		if err := tx.Model(&Event{}).Where("topic = ? AND type = 'user.invitation_requested' AND created_at >= ?", UserTopic(u.ID), inv.CreatedAt).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err := tx.Emit(UserTopic(u.ID), "user.invitation_requested", nil, 0, u.ID, map[string]any{"user_id": u.ID, "invitation_id": inv.ID})
		return err
	})
}
