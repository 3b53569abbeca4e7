package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

func (s *Server) pageHome(c echo.Context) error {
	p := s.newPage(c, "home", "home.title")
	orgs, err := s.store.Organizations(c.Request().Context())
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Organizations": orgs}
	return s.render(c, p)
}

// profilePage gathers what the profile page shows.
func (s *Server) profilePage(c echo.Context) (*Page, error) {
	u, err := requireUser(c)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "profile", "profile.title")
	tokens, err := s.store.Tokens(c.Request().Context(), u.ID)
	if err != nil {
		return nil, err
	}
	var org *models.Organization
	if u.OrganizationID != nil {
		org, _ = s.store.OrganizationByID(c.Request().Context(), *u.OrganizationID)
	}
	p.Form["name"], p.Form["locale"] = u.Name, u.Locale
	p.Data = map[string]any{"Tokens": tokens, "Org": org}
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
	name, loc := c.FormValue("name"), c.FormValue("locale")
	p.Form["name"], p.Form["locale"] = name, loc
	if _, err := s.store.UpdateProfile(c.Request().Context(), p.User, models.ProfileChange{Name: &name, Locale: &loc}); err != nil {
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
	p.Data.(map[string]any)["NewToken"] = raw
	p.Data.(map[string]any)["NewTokenName"] = t.Name
	p.Data.(map[string]any)["Tokens"], _ = s.store.Tokens(c.Request().Context(), p.User.ID)
	p.Status = http.StatusCreated
	return s.render(c, p)
}

func (s *Server) pageTokenDelete(c echo.Context) error {
	u, id, err := userAndID(c, "id")
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
	u, err := requireUser(c)
	if err != nil {
		return nil, err
	}
	if !models.Can(u, models.ActListUsers, nil) {
		return nil, models.Errorf(models.EForbidden, "Only moderators and admins manage accounts.")
	}
	p := s.newPage(c, "users", "users.title")
	f, err := userFilter(c)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListUsers(c.Request().Context(), f)
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
	p.Form["invite_role"] = models.RoleMember
	p.Data = map[string]any{"Users": page.Items, "NextCursor": page.NextCursor, "Filter": f, "Organizations": orgs,
		"OrgByID": orgByID, "Roles": models.Roles, "Statuses": []string{models.StatusActive, models.StatusInvited, models.StatusSuspended}}
	return p, nil
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
	p.Data.(map[string]any)["InviteURL"] = out["invite_url"]
	p.Data.(map[string]any)["InviteName"] = req.Name
	p.Form = map[string]string{"invite_role": models.RoleMember}
	// Refresh the list so the invited person shows.
	f, _ := userFilter(c)
	if page, err := s.store.ListUsers(c.Request().Context(), f); err == nil {
		p.Data.(map[string]any)["Users"] = page.Items
	}
	p.Status = http.StatusCreated
	return s.render(c, p)
}

func (s *Server) userPage(c echo.Context) (*Page, *models.User, error) {
	viewer, u, err := s.visibleUser(c)
	if err != nil {
		return nil, nil, err
	}
	if !models.Can(viewer, models.ActListUsers, nil) {
		return nil, nil, models.NotFound("User")
	}
	p := s.newPage(c, "user", "")
	p.Title = u.Name
	var org *models.Organization
	if u.OrganizationID != nil {
		org, _ = s.store.OrganizationByID(c.Request().Context(), *u.OrganizationID)
	}
	events, _ := s.store.EventsAbout(c.Request().Context(), u.ID, 50)
	actorIDs := []int64{}
	for _, e := range events {
		if e.ActorID != nil {
			actorIDs = append(actorIDs, *e.ActorID)
		}
	}
	actors, _ := s.store.UsersByIDs(c.Request().Context(), actorIDs)
	assignable := []string{}
	for _, r := range models.Roles {
		if models.Can(viewer, models.ActUpdateUser, models.UserUpdate{Target: u, Change: models.UserChange{Role: &r}}) {
			assignable = append(assignable, r)
		}
	}
	p.Form["role"] = u.Role
	p.Data = map[string]any{"Target": u, "Org": org, "Events": events, "Actors": actors, "AssignableRoles": assignable,
		"CanChange": models.Can(viewer, models.ActUpdateUser, models.UserUpdate{Target: u})}
	return p, u, nil
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
	}
	if ch.Role == nil && ch.Status == nil {
		return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10))
	}
	nu, err := s.store.UpdateUser(c.Request().Context(), p.User, u.ID, ch)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	s.live.UserChanged(nu.ID)
	s.flash(c, "user_saved")
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(u.ID, 10))
}
