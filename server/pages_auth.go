package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// safeNext keeps post-login redirects on this site (redirect.go).
func safeNext(next string) string { return localPath(next) }

func (s *Server) pageLogin(c echo.Context) error {
	if ctxUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	p := s.newPage(c, "login", "login.title")
	p.Form["next"] = safeNext(c.QueryParam("next"))
	if c.Get("session_ended") != nil {
		p.Flash = p.T("flash.session_ended")
	}
	return s.render(c, p)
}

func (s *Server) pageLoginSubmit(c echo.Context) error {
	p := s.newPage(c, "login", "login.title")
	email, password := c.FormValue("email"), c.FormValue("password")
	p.Form["email"], p.Form["next"] = email, safeNext(c.FormValue("next"))
	// An empty field is a slip, not a wrong password: ask for it, and
	// count nothing against the account.
	if strings.TrimSpace(email) == "" {
		p.Errors["email"] = p.T("login.email_required")
	}
	if password == "" {
		p.Errors["password"] = p.T("login.password_required")
	}
	if len(p.Errors) > 0 {
		p.Status = http.StatusUnprocessableEntity
		return s.render(c, p)
	}
	u, err := s.checkPassword(c, email, password)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	if u.TOTPEnabled {
		// No session yet: the code step carries a pending sign-in.
		return s.loginSecondStep(c, u, p.Form["next"], s.store.Now().Add(models.PendingLoginTTL), nil)
	}
	if _, _, err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.Form["next"])
}

func (s *Server) pageLogout(c echo.Context) error {
	if sess := ctxSession(c); sess != nil {
		if err := s.store.DeleteSession(c.Request().Context(), sess.ID); err != nil {
			return err
		}
		s.hub.SessionEnded(sess.ID)
	}
	s.clearSessionCookie(c)
	s.flash(c, "signed_out")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// pageLanguage switches the interface language: for the account when signed
// in, and in a cookie either way.
func (s *Server) pageLanguage(c echo.Context) error {
	loc := c.FormValue("locale")
	if !models.ValidLocale(loc) {
		return models.CodedError(models.EInvalid, "invalid_locale", "Choose français, English or العربية.")
	}
	c.SetCookie(&http.Cookie{Name: languageCookie, Value: loc, Path: "/", MaxAge: 365 * 24 * 3600, Secure: s.secure, SameSite: http.SameSiteLaxMode, HttpOnly: true})
	if u := ctxUser(c); u != nil {
		if _, err := s.store.UpdateProfile(c.Request().Context(), u, models.ProfileChange{Locale: &loc}); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// invitationPage is the page an invitation link opens: the form that sets
// the password while the link is usable, else what became of the link (410:
// used → sign in; expired or replaced → ask for a new one).
func (s *Server) invitationPage(c echo.Context) (*Page, bool, error) {
	p := s.newPage(c, "invitation", "invitation.title")
	// What the page says changes with the link (used, renewed): never
	// cached, even for visitors (a 410 is cacheable by default).
	c.Response().Header().Set("Cache-Control", "no-store")
	inv, u, state, err := s.store.InvitationLinkState(c.Request().Context(), c.Param("token"))
	if err != nil {
		return nil, false, err
	}
	var org *models.Organization
	if u.OrganizationID != nil {
		if org, err = s.store.OrganizationByID(c.Request().Context(), *u.OrganizationID); err != nil {
			return nil, false, err
		}
	}
	p.Data = &invitationData{Invitee: u, Org: org, Invitation: inv, State: state, Token: c.Param("token"),
		Requested: c.QueryParam("requested") == "1"}
	if state != models.InvitationUsable {
		p.Status = http.StatusGone
		p.Title = p.T("invitation." + state + "_title")
		return p, false, nil
	}
	return p, true, nil
}

func (s *Server) pageInvitation(c echo.Context) error {
	p, _, err := s.invitationPage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageInvitationSubmit(c echo.Context) error {
	p, usable, err := s.invitationPage(c)
	if err != nil {
		return err
	}
	if !usable {
		return s.render(c, p)
	}
	password := c.FormValue("password")
	if password != c.FormValue("password_confirm") {
		p.Status = http.StatusUnprocessableEntity
		p.Errors["password_confirm"] = p.T("form.passwords_differ")
		return s.render(c, p)
	}
	u, err := s.store.AcceptInvitation(c.Request().Context(), c.Param("token"), password)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	if _, _, err := s.startSession(c, u); err != nil {
		return err
	}
	s.flash(c, "welcome")
	return c.Redirect(http.StatusSeeOther, "/")
}

// pageInvitationRequest: the holder of an expired (or replaced) link asks
// for a new one; moderators see the request on the person's account page.
func (s *Server) pageInvitationRequest(c echo.Context) error {
	if err := s.store.RequestNewInvitation(c.Request().Context(), c.Param("token")); err != nil && models.ErrorKind(err) != models.EConflict {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/invitations/"+url.PathEscape(c.Param("token"))+"?requested=1")
}

func (s *Server) setupPage(c echo.Context) (*Page, error) {
	inv, _, err := s.store.Invitation(c.Request().Context(), c.Param("token"))
	if err != nil {
		return nil, err
	}
	if inv.Purpose != "setup" {
		return nil, models.CodedError(models.ENotFound, "invitation_not_found", "This set-up link is not valid.")
	}
	return s.newPage(c, "setup", "setup.title"), nil
}

func (s *Server) pageSetup(c echo.Context) error {
	p, err := s.setupPage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageSetupSubmit(c echo.Context) error {
	p, err := s.setupPage(c)
	if err != nil {
		return err
	}
	email, name, password := c.FormValue("email"), c.FormValue("name"), c.FormValue("password")
	p.Form["email"], p.Form["name"] = email, name
	if password != c.FormValue("password_confirm") {
		p.Status = http.StatusUnprocessableEntity
		p.Errors["password_confirm"] = p.T("form.passwords_differ")
		return s.render(c, p)
	}
	u, err := s.store.CompleteSetup(c.Request().Context(), c.Param("token"), email, name, password)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	if _, _, err := s.startSession(c, u); err != nil {
		return err
	}
	s.flash(c, "welcome")
	return c.Redirect(http.StatusSeeOther, "/admin/users")
}

// invitationData is what the page of an invitation link shows.
type invitationData struct {
	Invitee    *models.User
	Org        *models.Organization
	Invitation *models.Invitation
	State      string // usable, used, replaced or expired
	Token      string
	Requested  bool // a new link was just asked for
}
