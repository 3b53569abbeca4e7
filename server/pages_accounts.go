package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

func (s *Server) pageHome(c echo.Context) error {
	p := s.newPage(c, "home", "home.title")
	orgs, err := s.store.Organizations(c.Request().Context())
	if err != nil {
		return err
	}
	data := &homeData{Organizations: orgs}
	if p.User != nil {
		if data.Counts, err = s.homeCounts(c, p.User, p); err != nil {
			return err
		}
	}
	p.Data = data
	return s.render(c, p)
}

// homeData is what the home page shows: the federations, and to a
// signed-in person the links to their lists.
type homeData struct {
	Organizations []models.Organization
	Counts        []homeCount
}

// profilePage gathers what the profile page shows.
func (s *Server) profilePage(c echo.Context) (*Page, error) {
	u := ctxUser(c)
	p := s.newPage(c, "profile", "profile.title")
	tokens, err := s.store.Tokens(c.Request().Context(), u.ID)
	if err != nil {
		return nil, err
	}
	var org *models.Organization
	if u.OrganizationID != nil {
		if org, err = s.store.OrganizationByID(c.Request().Context(), *u.OrganizationID); err != nil {
			return nil, err
		}
	}
	p.Form["name"], p.Form["locale"], p.Form["time_zone"] = u.Name, u.Locale, u.Location().String()
	data := &profileData{Tokens: tokens, Org: org, TimeZones: s.timeZoneOptions(p)}
	p.Data = data
	settings, err := s.store.NotificationSettings(c.Request().Context(), u)
	if err != nil {
		return nil, err
	}
	for _, k := range models.NotificationKinds {
		data.Notify = append(data.Notify, notifyChoice{Kind: k, Delivery: settings[k]})
	}
	if data.PendingEmail, err = s.store.PendingEmailChange(c.Request().Context(), u); err != nil {
		return nil, err
	}
	// The account's own changes (language, zone, password, two-step
	// sign-in, role…), as sentences.
	if evs, err := s.store.EventsAbout(c.Request().Context(), u, u, 30); err == nil {
		own := evs[:0]
		for _, e := range evs {
			if strings.HasPrefix(e.Type, "user.") && len(own) < 10 {
				own = append(own, e)
			}
		}
		ids := []int64{}
		for _, e := range own {
			if e.ActorID != nil {
				ids = append(ids, *e.ActorID)
			}
		}
		actors, err := s.store.UsersByIDs(c.Request().Context(), ids)
		if err != nil {
			return nil, err
		}
		if data.Activity, err = s.accountHistory(c.Request().Context(), p, u, own, actors); err != nil {
			return nil, err
		}
	} else {
		return nil, err
	}
	if err := s.addTOTPPanel(c, p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) pageProfile(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageProfileSubmit(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	name, loc, tz := c.FormValue("name"), c.FormValue("locale"), c.FormValue("time_zone")
	p.Form["name"], p.Form["locale"], p.Form["time_zone"] = name, loc, tz
	ch := models.ProfileChange{Name: &name, Locale: &loc}
	if _, sent := c.Request().PostForm["time_zone"]; sent {
		ch.TimeZone = &tz
	}
	if _, err := s.store.UpdateProfile(c.Request().Context(), p.User, ch); err != nil {
		return s.formFailed(c, p, err)
	}
	s.flash(c, "profile_saved")
	return c.Redirect(http.StatusSeeOther, "/profile")
}

func (s *Server) pagePasswordSubmit(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	next := c.FormValue("new_password")
	p.Form["end_other_sessions"], p.Form["revoke_tokens"] = c.FormValue("end_other_sessions"), c.FormValue("revoke_tokens")
	if next != c.FormValue("new_password_confirm") {
		p.Status = http.StatusUnprocessableEntity
		p.Errors["new_password_confirm"] = p.T("form.passwords_differ")
		return s.render(c, p)
	}
	ch := models.PasswordChange{Current: c.FormValue("current_password"), New: next,
		EndOtherSessions: c.FormValue("end_other_sessions") == "on", RevokeTokens: c.FormValue("revoke_tokens") == "on"}
	if sess := ctxSession(c); sess != nil {
		ch.KeepSession = sess.ID
	}
	if _, err := s.store.ChangePassword(c.Request().Context(), p.User, ch); err != nil {
		return s.formFailed(c, p, err)
	}
	// Say what happened to the other browsers and to the API tokens.
	switch {
	case ch.EndOtherSessions && ch.RevokeTokens:
		s.flash(c, "password_changed_all_ended")
	case ch.EndOtherSessions:
		s.flash(c, "password_changed_sessions_ended")
	case ch.RevokeTokens:
		s.flash(c, "password_changed_tokens_revoked")
	default:
		s.flash(c, "password_changed")
	}
	return c.Redirect(http.StatusSeeOther, "/profile")
}

func (s *Server) pageTokenCreate(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	name := c.FormValue("token_name")
	p.Form["token_name"] = name
	t, raw, err := s.store.CreateToken(c.Request().Context(), p.User, name)
	if err != nil {
		if fe, ok := err.(*models.Error); ok && fe.Fields["name"] != "" {
			fe.Fields = map[string]string{"token_name": fe.Fields["name"]}
		}
		return s.formFailed(c, p, err)
	}
	// Shown once, on this response only; it is never stored in clear.
	data := p.Data.(*profileData)
	data.NewToken, data.NewTokenName = raw, t.Name
	if data.Tokens, err = s.store.Tokens(c.Request().Context(), p.User.ID); err != nil {
		return err
	}
	p.Status = http.StatusCreated
	return s.render(c, p)
}

func (s *Server) pageTokenDelete(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteToken(c.Request().Context(), u, id); err != nil {
		return err
	}
	s.flash(c, "token_deleted")
	return c.Redirect(http.StatusSeeOther, "/profile")
}

// usersPage gathers the account list with its filters, for moderators.
func (s *Server) usersPage(c echo.Context) (*Page, error) {
	p := s.newPage(c, "users", "users.title")
	f, err := userFilter(c)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListUsers(c.Request().Context(), ctxUser(c), f)
	if err != nil {
		return nil, err
	}
	orgs, err := s.store.Organizations(c.Request().Context())
	if err != nil {
		return nil, err
	}
	orgByID := map[int64]models.Organization{}
	for _, o := range orgs {
		orgByID[o.ID] = o
	}
	fails, err := s.store.MailFailures(c.Request().Context(), ctxUser(c), 0, 10)
	if err != nil {
		return nil, err
	}
	p.Form["invite_role"] = models.RoleMember
	p.Data = &usersData{Users: page.Items, NextCursor: page.NextCursor, Filter: f, Organizations: orgs,
		OrgByID: orgByID, Roles: models.Roles, Statuses: []string{models.StatusActive, models.StatusInvited, models.StatusSuspended},
		MailFailures: fails}
	return p, nil
}

// usersData is what the accounts page shows.
type usersData struct {
	Users         []models.User
	NextCursor    string
	Filter        models.UserFilter
	Organizations []models.Organization
	OrgByID       map[int64]models.Organization
	Roles         []string
	Statuses      []string
	// After an invitation: the link to hand over, and to whom.
	InviteURL, InviteName string
	// MailFailures is the latest mail the server refused for good.
	MailFailures []models.MailLog
}

// profileData is what the profile page shows.
type profileData struct {
	Tokens    []models.Token
	Org       *models.Organization
	TimeZones []choice
	Activity  []historyRow // the account's own changes
	// A token just created, shown once.
	NewToken, NewTokenName string
	TOTP                   totpPanel
	RecoveryCodes          []string // just made, shown once
	// Notify is how each kind of notification reaches the person by mail.
	Notify []notifyChoice
	// PendingEmail is an address change waiting for its confirmation.
	PendingEmail string
}

type notifyChoice struct{ Kind, Delivery string }

// NotifyChoices are the deliveries offered for each kind, in the order
// the table's columns show them.
func (*profileData) NotifyChoices() []string {
	return []string{models.DeliverImmediate, models.DeliverDigest, models.DeliverOff}
}

// userData is what an account's page shows to those who manage accounts.
type userData struct {
	Target          *models.User
	Org             *models.Organization
	Events          []historyRow
	AssignableRoles []string
	CanChange       bool
	CanErase        bool // an admin, another person's account not yet erased
	// A pending person's newest invitation (nil once accepted).
	Invitation        *models.Invitation
	InvitationExpired bool
	CanRenew          bool
	RenewalRequested  *time.Time // when they asked for a new link (nil: not since it was issued)
	// After a renewal: the new link to hand over.
	InviteURL, InviteName string
	// MailFailures is the latest mail to this person refused for good.
	MailFailures []models.MailLog
}

func (s *Server) pageUsers(c echo.Context) error {
	p, err := s.usersPage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageInviteSubmit(c echo.Context) error {
	p, err := s.usersPage(c)
	if err != nil {
		return err
	}
	orgID, _ := strconv.ParseInt(c.FormValue("organization_id"), 10, 64)
	req := inviteRequest{Email: c.FormValue("email"), Name: c.FormValue("name"), OrganizationID: orgID, Role: c.FormValue("role")}
	p.Form["invite_email"], p.Form["invite_name"], p.Form["invite_org"], p.Form["invite_role"] = req.Email, req.Name, c.FormValue("organization_id"), req.Role
	out, err := s.invite(c, req)
	if err != nil {
		if me, ok := err.(*models.Error); ok && me.Fields != nil {
			renamed := map[string]string{}
			for k, v := range me.Fields {
				renamed["invite_"+k] = v
			}
			me.Fields = renamed
		}
		return s.formFailed(c, p, err)
	}
	data := p.Data.(*usersData)
	data.InviteURL, data.InviteName = out["invite_url"].(string), req.Name
	p.Form = map[string]string{"invite_role": models.RoleMember}
	// Refresh the list so the invited person shows.
	f, _ := userFilter(c)
	page, err := s.store.ListUsers(c.Request().Context(), ctxUser(c), f)
	if err != nil {
		return err
	}
	data.Users = page.Items
	p.Status = http.StatusCreated
	return s.render(c, p)
}

func (s *Server) userPage(c echo.Context) (*Page, *models.User, error) {
	viewer, u, err := s.visibleUser(c)
	if err != nil {
		return nil, nil, err
	}
	p := s.newPage(c, "user", "")
	p.Title = u.Name
	var org *models.Organization
	if u.OrganizationID != nil {
		if org, err = s.store.OrganizationByID(c.Request().Context(), *u.OrganizationID); err != nil {
			return nil, nil, err
		}
	}
	events, err := s.store.EventsAbout(c.Request().Context(), viewer, u, 50)
	if err != nil {
		return nil, nil, err
	}
	actorIDs := []int64{}
	for _, e := range events {
		if e.ActorID != nil {
			actorIDs = append(actorIDs, *e.ActorID)
		}
	}
	actors, err := s.store.UsersByIDs(c.Request().Context(), actorIDs)
	if err != nil {
		return nil, nil, err
	}
	history, err := s.accountHistory(c.Request().Context(), p, viewer, events, actors)
	if err != nil {
		return nil, nil, err
	}
	assignable := []string{}
	for _, r := range models.Roles {
		if models.Can(viewer, models.ActUpdateUser, models.UserUpdate{Target: u, Change: models.UserChange{Role: &r}}) {
			assignable = append(assignable, r)
		}
	}
	p.Form["role"] = u.Role
	fails, err := s.store.MailFailures(c.Request().Context(), viewer, u.ID, 10)
	if err != nil {
		return nil, nil, err
	}
	p.Data = &userData{Target: u, Org: org, Events: history, AssignableRoles: assignable,
		CanChange: models.Can(viewer, models.ActUpdateUser, models.UserUpdate{Target: u}) && !u.Erased(), MailFailures: fails,
		CanErase: models.Can(viewer, models.ActEraseUser, u) && !u.Erased()}
	if u.Status == models.StatusInvited {
		if err := s.addInvitationData(c, p, viewer, u, events); err != nil {
			return nil, nil, err
		}
	}
	return p, u, nil
}

// addInvitationData puts a pending person's newest invitation on their
// page: its dates, whether it expired, whether they asked for a new link,
// and whether the viewer may issue one.
func (s *Server) addInvitationData(c echo.Context, p *Page, viewer, u *models.User, events []models.Event) error {
	inv, err := s.store.LatestInvitation(c.Request().Context(), viewer, u.ID)
	if err != nil || inv == nil {
		return err
	}
	data := p.Data.(*userData)
	data.Invitation = inv
	data.InvitationExpired = s.store.Now().After(inv.ExpiresAt)
	data.CanRenew = models.Can(viewer, models.ActInvite, models.InviteRequest{Email: u.Email, Role: u.Role, OrganizationID: u.OrgID()})
	for _, e := range events {
		if e.Type == "user.invitation_requested" && !e.CreatedAt.Before(inv.CreatedAt) {
			at := e.CreatedAt
			data.RenewalRequested = &at
			break
		}
	}
	return nil
}

// pageUserInvitationRenew issues a new invitation link for a pending
// person (the old one stops working) and shows it to pass on.
func (s *Server) pageUserInvitationRenew(c echo.Context) error {
	p, u, err := s.userPage(c)
	if err != nil {
		return err
	}
	inv := p.Data.(*userData).Invitation
	if inv == nil {
		return models.CodedError(models.EConflict, "invitation_accepted", "This person has no pending invitation.")
	}
	_, raw, err := s.store.RenewInvitation(c.Request().Context(), p.User, inv.ID)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	// The page again, with the new link to hand over.
	p, _, err = s.userPage(c)
	if err != nil {
		return err
	}
	data := p.Data.(*userData)
	data.InviteURL, data.InviteName = s.URL("/invitations/"+raw), u.Name
	return s.render(c, p)
}

func (s *Server) pageUser(c echo.Context) error {
	p, _, err := s.userPage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageUserSubmit(c echo.Context) error {
	p, u, err := s.userPage(c)
	if err != nil {
		return err
	}
	var ch models.UserChange
	if r := c.FormValue("role"); r != "" && r != u.Role {
		ch.Role = &r
	}
	if st := c.FormValue("status"); st != "" {
		ch.Status = &st
		// Ask only when the answer matters: a refused change is refused at once.
		if st == models.StatusSuspended && models.Can(p.User, models.ActUpdateUser, models.UserUpdate{Target: u, Change: models.UserChange{Status: &st}}) {
			back := "/admin/users/" + strconv.FormatInt(u.ID, 10)
			if asked, err := s.confirmFirst(c, back, "confirm.suspend", "users.suspend", u.Name); asked || err != nil {
				return err
			}
		}
	}
	if ch.Role == nil && ch.Status == nil {
		return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10))
	}
	nu, err := s.store.UpdateUser(c.Request().Context(), p.User, u.ID, ch)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	s.hub.UserChanged(nu.ID)
	s.flash(c, "user_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10))
}

// accountHistory writes an account's events as sentences, like the audit
// trail.
func (s *Server) accountHistory(ctx context.Context, p *Page, viewer *models.User, events []models.Event, actors map[int64]*models.User) ([]historyRow, error) {
	subjects := make([]eventSubject, len(events))
	for i, e := range events {
		subjects[i] = eventSubject{Type: e.Type, MeasureID: e.MeasureID, SubjectUserID: e.SubjectUserID, Data: e.Data()}
		if e.ActorID != nil {
			ref := models.UserRef{ID: *e.ActorID}
			if u := actors[*e.ActorID]; u != nil {
				ref.Name, ref.OrganizationID = u.Name, u.OrganizationID
			}
			subjects[i].Actor = &ref
		}
	}
	var measureIDs []int64
	for _, e := range events {
		if e.MeasureID != nil {
			measureIDs = append(measureIDs, *e.MeasureID)
		}
	}
	titles, err := s.store.MeasureTitlesFor(ctx, viewer, measureIDs)
	if err != nil {
		return nil, err
	}
	names, err := s.loadEventNames(ctx, viewer, subjects, titles)
	if err != nil {
		return nil, err
	}
	out := make([]historyRow, len(events))
	for i, e := range events {
		out[i] = historyRow{At: e.CreatedAt, eventView: p.describeEvent(subjects[i], names)}
	}
	return out, nil
}

// historyRow is one line of an account's history.
type historyRow struct {
	At time.Time
	eventView
}
