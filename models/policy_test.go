package models_test

import (
	"testing"

	"pacte/models"
)

func person(id int64, role, status string, org int64) *models.User {
	u := &models.User{ID: id, Role: role, Status: status}
	if org != 0 {
		u.OrganizationID = &org
	}
	return u
}

func ptr(s string) *string { return &s }

// TestPolicy_Accounts is the account part of the permission table: every
// account action × every kind of actor.
func TestPolicy_Accounts(t *testing.T) {
	const apebi, ministry = 1, 5
	actors := map[string]*models.User{
		"anonymous":           nil,
		"member":              person(1, models.RoleMember, models.StatusActive, apebi),
		"reviewer":            person(2, models.RoleReviewer, models.StatusActive, ministry),
		"moderator":           person(3, models.RoleModerator, models.StatusActive, apebi),
		"admin":               person(4, models.RoleAdmin, models.StatusActive, 0),
		"suspended admin":     person(5, models.RoleAdmin, models.StatusSuspended, 0),
		"invited moderator":   person(6, models.RoleModerator, models.StatusInvited, apebi),
		"unknown-role person": person(7, "superuser", models.StatusActive, apebi),
	}
	other := person(100, models.RoleMember, models.StatusActive, apebi)
	otherMod := person(101, models.RoleModerator, models.StatusActive, apebi)
	otherAdmin := person(102, models.RoleAdmin, models.StatusActive, 0)
	inv := func(role string) models.InviteRequest { return models.InviteRequest{Role: role, OrganizationID: apebi} }
	upd := func(target *models.User, role, status string) models.UserUpdate {
		ch := models.UserChange{}
		if role != "" {
			ch.Role = ptr(role)
		}
		if status != "" {
			ch.Status = ptr(status)
		}
		return models.UserUpdate{Target: target, Change: ch}
	}
	type row struct {
		name   string
		action models.Action
		obj    func(actor *models.User) any
		allow  []string // actors allowed; everyone else is denied
	}
	self := func(a *models.User) any { return a }
	rows := []row{
		{"invite member", models.ActInvite, func(*models.User) any { return inv(models.RoleMember) }, []string{"moderator", "admin"}},
		{"invite reviewer", models.ActInvite, func(*models.User) any { return inv(models.RoleReviewer) }, []string{"moderator", "admin"}},
		{"invite moderator", models.ActInvite, func(*models.User) any { return inv(models.RoleModerator) }, []string{"admin"}},
		{"invite admin", models.ActInvite, func(*models.User) any { return inv(models.RoleAdmin) }, []string{"admin"}},
		{"invite unknown role", models.ActInvite, func(*models.User) any { return inv("king") }, []string{"admin"}},
		{"invite with a wrong object", models.ActInvite, func(*models.User) any { return "member" }, nil},
		{"list users", models.ActListUsers, nil, []string{"moderator", "admin"}},
		{"view another", models.ActViewUser, func(*models.User) any { return other }, []string{"moderator", "admin"}},
		{"view self", models.ActViewUser, self, []string{"member", "reviewer", "moderator", "admin", "unknown-role person"}},
		{"view nil", models.ActViewUser, func(*models.User) any { return (*models.User)(nil) }, nil},
		{"see another's email", models.ActViewUserEmail, func(*models.User) any { return other }, []string{"moderator", "admin"}},
		{"see own email", models.ActViewUserEmail, self, []string{"member", "reviewer", "moderator", "admin", "unknown-role person"}},
		{"suspend a member", models.ActUpdateUser, func(*models.User) any { return upd(other, "", "suspended") }, []string{"moderator", "admin"}},
		{"suspend a moderator", models.ActUpdateUser, func(*models.User) any { return upd(otherMod, "", "suspended") }, []string{"moderator", "admin"}},
		{"suspend an admin", models.ActUpdateUser, func(*models.User) any { return upd(otherAdmin, "", "suspended") }, []string{"admin"}},
		{"demote an admin", models.ActUpdateUser, func(*models.User) any { return upd(otherAdmin, "member", "") }, []string{"admin"}},
		{"grant reviewer", models.ActUpdateUser, func(*models.User) any { return upd(other, "reviewer", "") }, []string{"moderator", "admin"}},
		{"grant moderator", models.ActUpdateUser, func(*models.User) any { return upd(other, "moderator", "") }, []string{"admin"}},
		{"grant admin", models.ActUpdateUser, func(*models.User) any { return upd(other, "admin", "") }, []string{"admin"}},
		{"demote a moderator", models.ActUpdateUser, func(*models.User) any { return upd(otherMod, "member", "") }, []string{"moderator", "admin"}},
		{"suspend oneself", models.ActUpdateUser, func(a *models.User) any { return upd(a, "", "suspended") }, nil},
		{"change one's role", models.ActUpdateUser, func(a *models.User) any { return upd(a, "admin", "") }, nil},
		{"update with a wrong object", models.ActUpdateUser, func(*models.User) any { return other }, nil},
		{"update nobody", models.ActUpdateUser, func(*models.User) any { return models.UserUpdate{} }, nil},
		{"view audit", models.ActViewAudit, nil, []string{"reviewer", "moderator", "admin"}},
		{"manage own tokens", models.ActManageTokens, nil, []string{"member", "reviewer", "moderator", "admin", "unknown-role person"}},
		{"edit own profile", models.ActEditProfile, nil, []string{"member", "reviewer", "moderator", "admin", "unknown-role person"}},
		{"moderate comments", models.ActModerate, nil, []string{"moderator", "admin"}},
		{"undeclared action", models.Action("user.delete_everything"), nil, nil},
	}
	for _, r := range rows {
		allowed := map[string]bool{}
		for _, a := range r.allow {
			allowed[a] = true
		}
		for name, actor := range actors {
			var obj any
			if r.obj != nil {
				obj = r.obj(actor)
			}
			if got := models.Can(actor, r.action, obj); got != allowed[name] {
				t.Errorf("%-28s %-20s → %v, want %v", r.name, name, got, allowed[name])
			}
		}
	}
}

// Inactive people can do nothing, whatever their role says.
func TestPolicy_InactiveDenied(t *testing.T) {
	for _, status := range []string{models.StatusInvited, models.StatusSuspended, "", "deleted"} {
		u := person(9, models.RoleAdmin, status, 0)
		for _, a := range []models.Action{models.ActListUsers, models.ActViewAudit, models.ActManageTokens, models.ActEditProfile, models.ActModerate} {
			if models.Can(u, a, nil) {
				t.Errorf("admin with status %q may %s", status, a)
			}
		}
		if u.HasRole(models.RoleAdmin) {
			t.Errorf("HasRole true for status %q", status)
		}
	}
	if (*models.User)(nil).Active() || (*models.User)(nil).HasRole(models.RoleMember) || (*models.User)(nil).OrgID() != 0 {
		t.Error("a nil user is someone")
	}
}
