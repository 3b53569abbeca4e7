package models

import "testing"

// An error in a rule denies (docs/SECURITY.md 16.5.3).
func TestPolicy_PanickingRuleDenies(t *testing.T) {
	const a Action = "test.panicking_rule"
	rules := ruleTable{}
	rules.allow(a, func(u *User, obj any) bool { return obj.(*User).ID == u.ID })
	u := &User{ID: 1, Role: RoleAdmin, Status: StatusActive}
	if rules.can(u, a, nil) {
		t.Error("a rule that panicked allowed the action")
	}
	if !rules.can(u, a, u) {
		t.Error("the rule does not run")
	}
	defer func() {
		if recover() == nil {
			t.Error("two rules for one action were accepted")
		}
	}()
	rules.allow(a, func(*User, any) bool { return true })
}
