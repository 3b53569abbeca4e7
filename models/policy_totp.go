package models

import "slices"

// ActManageTOTP is turning the second factor on or off on one's own account.
// obj: the account (*User), or nil.
const ActManageTOTP Action = "totp.manage"

// needsSecondFactor: the roles that can turn on TOTP (docs/SECURITY.md 6.3.3).
func needsSecondFactor(u *User) bool { return slices.Contains(TOTPRoles, u.Role) }

// totpRules is the second-factor action.
func totpRules(t ruleTable) {
	t.allow(ActManageTOTP, func(u *User, obj any) bool {
		if needsSecondFactor(u) {
			return true
		}
		// Someone who lost the role keeps the right to turn off a second
		// factor they already have, and nothing else.
		t, ok := obj.(*User)
		return ok && t != nil && t.ID == u.ID && t.TOTPEnabled
	})
}

// TOTPRoles lists the roles that can use a second factor, for the setting
// that makes it compulsory.
var TOTPRoles = []string{RoleReviewer, RoleModerator, RoleAdmin}
