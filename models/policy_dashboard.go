package models

// ActViewDashboard is reading the dashboard's figures (obj: nil). Every
// active account may: the figures count only what the reader may see
// (visibleTo), so a member's dashboard is their view of the Pact's
// progress and reveals nothing their lists would not.
const ActViewDashboard Action = "dashboard.view"

// dashboardRules: any active account reads the dashboard (Can has already
// refused inactive ones).
func dashboardRules(t ruleTable) {
	t.allow(ActViewDashboard, func(u *User, _ any) bool { return true })
}
