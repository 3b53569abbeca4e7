package models

import (
	"log/slog"
	"slices"
	"sync"
)

// Action names something a person may try to do. Every permission decision
// goes through Can; an action without a rule is denied.
type Action string

// Account actions.
const (
	ActInvite        Action = "user.invite"      // obj: InviteRequest
	ActListUsers     Action = "user.list"        // obj: nil
	ActViewUser      Action = "user.view"        // obj: *User
	ActViewUserEmail Action = "user.view_email"  // obj: *User
	ActUpdateUser    Action = "user.update"      // obj: UserUpdate
	ActEraseUser     Action = "user.erase"       // obj: *User (another person's account)
	ActEraseSelf     Action = "user.erase_self"  // obj: *User (one's own account)
	ActViewAudit     Action = "audit.view"       // obj: nil
	ActManageTokens  Action = "token.manage"     // obj: nil
	ActEditProfile   Action = "profile.edit"     // obj: nil
	ActModerate      Action = "comment.moderate" // obj: nil
)

// UserUpdate is the object of ActUpdateUser: who is changed, and how.
type UserUpdate struct {
	Target *User
	Change UserChange
}

// rule decides one action for an active actor (never nil).
type rule func(actor *User, obj any) bool

// ruleTable maps each action to its rule.
type ruleTable map[Action]rule

// The whole policy is built once, on first use, from each policy file's
// list in the order of policyRules, and never changed afterwards. (Built
// lazily because some rules ask Can about other actions.)
var (
	rulesOnce sync.Once
	rules     ruleTable
)

func policy() ruleTable {
	rulesOnce.Do(func() { rules = policyRules() })
	return rules
}

func policyRules() ruleTable {
	t := ruleTable{}
	accountRules(t)
	measureRules(t)
	commentRules(t)
	totpRules(t)
	collabRules(t)
	suggestionRules(t)
	dashboardRules(t)
	return t
}

// allow adds the rule of an action; two rules for one action is a mistake.
func (t ruleTable) allow(a Action, r rule) {
	if _, dup := t[a]; dup {
		panic("policy: two rules for " + string(a))
	}
	t[a] = r
}

// Can is the one place where permissions are decided. Anonymous, invited and
// suspended people may do nothing here; visibility for them is decided by
// the rules that accept a nil actor explicitly (see CanAnonymous).
func Can(actor *User, a Action, obj any) bool { return policy().can(actor, a, obj) }

func (t ruleTable) can(actor *User, a Action, obj any) (ok bool) {
	defer func() {
		// An error in a rule denies.
		if r := recover(); r != nil {
			slog.Error("policy rule panicked", "action", a, "panic", r)
			ok = false
		}
	}()
	r, found := t[a]
	if !found || !actor.Active() {
		return false
	}
	return r(actor, obj)
}

// StaffRoles manage accounts and moderate; they see every measure and are
// told of reports.
var StaffRoles = []string{RoleModerator, RoleAdmin}

func isStaff(u *User) bool { return slices.Contains(StaffRoles, u.Role) }

// accountRules are the account and audit actions.
func accountRules(t ruleTable) {
	t.allow(ActInvite, func(u *User, obj any) bool {
		req, ok := obj.(InviteRequest)
		if !ok || !isStaff(u) {
			return false
		}
		if u.Role == RoleAdmin {
			return true
		}
		return req.Role == RoleMember || req.Role == RoleReviewer
	})
	t.allow(ActListUsers, func(u *User, _ any) bool { return isStaff(u) })
	t.allow(ActViewUser, func(u *User, obj any) bool {
		t, ok := obj.(*User)
		return ok && t != nil && (isStaff(u) || t.ID == u.ID)
	})
	t.allow(ActViewUserEmail, func(u *User, obj any) bool {
		t, ok := obj.(*User)
		return ok && t != nil && (isStaff(u) || t.ID == u.ID)
	})
	t.allow(ActUpdateUser, func(u *User, obj any) bool {
		up, ok := obj.(UserUpdate)
		if !ok || up.Target == nil || !isStaff(u) || up.Target.ID == u.ID {
			return false // nobody suspends or re-roles themselves
		}
		if u.Role == RoleAdmin {
			return true
		}
		// A moderator cannot grant admin or moderator, nor change an admin.
		if up.Target.Role == RoleAdmin {
			return false
		}
		if r := up.Change.Role; r != nil && (*r == RoleAdmin || *r == RoleModerator) {
			return false
		}
		return true
	})
	// Erasure (law 09-08): an admin erases others; everyone erases
	// themselves, from their profile, with their password.
	t.allow(ActEraseUser, func(u *User, obj any) bool {
		t, ok := obj.(*User)
		return ok && t != nil && u.Role == RoleAdmin && t.ID != u.ID
	})
	t.allow(ActEraseSelf, func(u *User, obj any) bool {
		t, ok := obj.(*User)
		return ok && t != nil && t.ID == u.ID
	})
	t.allow(ActViewAudit, func(u *User, _ any) bool {
		return u.Role == RoleReviewer || isStaff(u)
	})
	t.allow(ActManageTokens, func(u *User, _ any) bool { return true })
	t.allow(ActEditProfile, func(u *User, _ any) bool { return true })
	t.allow(ActModerate, func(u *User, _ any) bool { return isStaff(u) })
}

// refusals say, for the actions that guard a whole area, why a person is
// refused; other refusals are said by the store where it knows the object.
var refusals = map[Action]string{
	ActListUsers:     "Only moderators and admins manage accounts.",
	ActCreateMeasure: "Only members of a federation can propose measures.",
	ActViewAudit:     "Only reviewers, moderators and admins read the audit trail.",
	ActModerate:      "Only moderators handle reports.",
	ActReviewQueue:   "Only the ministry's reviewers have a review queue.",
}

// Check is Can as an error: nil when allowed, else a 403 saying why.
func Check(actor *User, a Action, obj any) error {
	if Can(actor, a, obj) {
		return nil
	}
	msg, ok := refusals[a]
	if !ok {
		msg = "You are not allowed to do this."
	}
	return forbidden(msg)
}
