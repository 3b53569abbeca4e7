package models

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Roles, from least to most powerful.
const (
	RoleMember    = "member"
	RoleReviewer  = "reviewer"
	RoleModerator = "moderator"
	RoleAdmin     = "admin"
)

// Account statuses.
const (
	StatusInvited   = "invited"
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Organisation kinds.
const (
	KindFederation = "federation"
	KindMinistry   = "ministry"
)

// Locales the interface is translated into.
var Locales = []string{"fr", "en", "ar"}

// Roles lists every role, for validation and filters.
var Roles = []string{RoleMember, RoleReviewer, RoleModerator, RoleAdmin}

// Organization is a federation or the ministry.
type Organization struct {
	ID        int64     `gorm:"column:id;primaryKey" json:"id"`
	Slug      string    `gorm:"column:slug" json:"slug"`
	NameFr    string    `gorm:"column:name_fr" json:"-"`
	NameEn    string    `gorm:"column:name_en" json:"-"`
	NameAr    string    `gorm:"column:name_ar" json:"-"`
	Kind      string    `gorm:"column:kind" json:"kind"`
	CreatedAt time.Time `gorm:"column:created_at" json:"-"`
}

// TableName tells GORM where organisations live.
func (Organization) TableName() string { return "organizations" }

// Name gives the organisation's name in a locale, French by default.
func (o Organization) Name(locale string) string {
	switch locale {
	case "en":
		return o.NameEn
	case "ar":
		return o.NameAr
	}
	return o.NameFr
}

// User is a person with an account.
type User struct {
	ID             int64     `gorm:"column:id;primaryKey"`
	Email          string    `gorm:"column:email"`
	Name           string    `gorm:"column:name"`
	OrganizationID *int64    `gorm:"column:organization_id"`
	Role           string    `gorm:"column:role"`
	Status         string    `gorm:"column:status"`
	PasswordHash   string    `gorm:"column:password_hash"`
	Locale         string    `gorm:"column:locale"`
	TimeZone       string    `gorm:"column:time_zone"` // IANA name; see Location
	CreatedAt      time.Time `gorm:"column:created_at"`
	UpdatedAt      time.Time `gorm:"column:updated_at"`
	// Second factor (models/totp.go): the base32 secret (set while enrolling
	// and once enabled), whether it is on, and the last time step accepted.
	TOTPSecret   string `gorm:"column:totp_secret" json:"-"`
	TOTPEnabled  bool   `gorm:"column:totp_enabled" json:"-"`
	TOTPLastStep int64  `gorm:"column:totp_last_step" json:"-"`
	// DigestSentAt is when the last daily digest was enqueued (mail_store.go).
	DigestSentAt *time.Time `gorm:"column:digest_sent_at" json:"-"`
	// ErasedAt is when the account was erased (erasure.go); its name is
	// then a pseudonym and it holds no personal data.
	ErasedAt *time.Time `gorm:"column:erased_at" json:"-"`
}

// TableName tells GORM where users live.
func (User) TableName() string { return "users" }

// Erased reports whether the account was erased (law 09-08).
func (u *User) Erased() bool { return u != nil && u.ErasedAt != nil }

// Active reports whether the account may act at all.
func (u *User) Active() bool { return u != nil && u.Status == StatusActive }

// OrgID is the organisation id, 0 when the user belongs to none (admins).
func (u *User) OrgID() int64 {
	if u == nil || u.OrganizationID == nil {
		return 0
	}
	return *u.OrganizationID
}

// HasRole reports whether the user is active and holds one of the roles.
func (u *User) HasRole(roles ...string) bool {
	if !u.Active() {
		return false
	}
	for _, r := range roles {
		if u.Role == r {
			return true
		}
	}
	return false
}

// Limits on what people type, so that nothing is truncated silently.
const (
	MaxNameLen     = 120
	MaxEmailLen    = 254
	MaxPasswordLen = 256
	MinPasswordLen = 10
)

// NormalizeEmail lower-cases and trims an address; emails are unique
// case-insensitively.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateEmail checks that s is a plain address (no display name).
func ValidateEmail(s string) string {
	if s == "" {
		return "Email is required."
	}
	if len(s) > MaxEmailLen {
		return "Email is too long."
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return "This is not a valid email address."
	}
	return ""
}

// ValidateName checks a display name (as CleanName leaves it).
func ValidateName(s string) string {
	s = strings.TrimSpace(s)
	if IsBlank(s) {
		return "Name is required."
	}
	if utf8.RuneCountInString(s) > MaxNameLen {
		return "Name is too long (120 characters at most)."
	}
	if strings.ContainsAny(s, "\x00\r\n") {
		return "Name cannot contain line breaks."
	}
	return ""
}

// ValidLocale reports whether l is a supported interface language.
func ValidLocale(l string) bool {
	for _, x := range Locales {
		if x == l {
			return true
		}
	}
	return false
}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// roleFitsOrganization checks the pairing rules of docs/DESIGN.md: members belong
// to a federation, reviewers to the ministry; moderators to any organisation;
// admins to none or any.
func roleFitsOrganization(role string, org *Organization) string {
	switch role {
	case RoleMember:
		if org == nil || org.Kind != KindFederation {
			return "A member belongs to a federation."
		}
	case RoleReviewer:
		if org == nil || org.Kind != KindMinistry {
			return "A reviewer belongs to the ministry."
		}
	case RoleModerator:
		if org == nil {
			return "A moderator belongs to an organisation."
		}
	}
	return ""
}
