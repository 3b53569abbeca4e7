package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// Pages of reaching people: the forgotten-password flow, the email change
// confirmation, one-click unsubscribe, notification choices and following.

func (s *Server) pageResetRequest(c echo.Context) error {
	p := s.newPage(c, "password-reset-request", "reset.title")
	p.Form["email"] = c.QueryParam("email")
	return s.render(c, p)
}

// pageResetRequestSubmit answers the same for any well-formed address.
func (s *Server) pageResetRequestSubmit(c echo.Context) error {
	p := s.newPage(c, "password-reset-request", "reset.title")
	email := c.FormValue("email")
	p.Form["email"] = email
	if err := s.store.RequestPasswordReset(c.Request().Context(), email, c.RealIP()); err != nil {
		return s.formFailed(c, p, err)
	}
	p.Data = resetRequestData{Sent: true}
	return s.render(c, p)
}

type resetRequestData struct{ Sent bool }

type resetData struct {
	Email string
	TOTP  bool
}

func (s *Server) resetPage(c echo.Context) (*Page, error) {
	u, err := s.store.PasswordResetFor(c.Request().Context(), c.Param("token"))
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "password-reset", "reset.new_title")
	p.Data = resetData{Email: u.Email, TOTP: u.TOTPEnabled}
	return p, nil
}

func (s *Server) pageReset(c echo.Context) error {
	p, err := s.resetPage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageResetSubmit(c echo.Context) error {
	p, err := s.resetPage(c)
	if err != nil {
		return err
	}
	password := c.FormValue("password")
	if password != c.FormValue("password_confirm") {
		p.Status = http.StatusUnprocessableEntity
		p.Errors["password_confirm"] = p.T("form.passwords_differ")
		return s.render(c, p)
	}
	u, err := s.store.ResetPassword(c.Request().Context(), c.Param("token"), password, c.FormValue("code"), c.RealIP())
	if err != nil {
		return s.formFailed(c, p, err)
	}
	s.hub.SessionsEndedFor(u.ID)
	s.flash(c, "reset_done")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// pageEmailChange asks to confirm before changing (a link scanner that
// opens the mail's link must not change anything).
func (s *Server) pageEmailChange(c echo.Context) error {
	email, err := s.store.EmailChangeFor(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "email-change", "email.heading")
	p.Data = emailChangeData{Email: email}
	return s.render(c, p)
}

func (s *Server) pageEmailChangeSubmit(c echo.Context) error {
	u, err := s.store.ConfirmEmailChange(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "email-change", "email.heading")
	p.Data = emailChangeData{Done: true, Email: u.Email}
	return s.render(c, p)
}

type emailChangeData struct {
	Done  bool
	Email string
}

type unsubscribeData struct {
	Kind string // "" for every kind
	Done bool
}

func (s *Server) pageUnsubscribe(c echo.Context) error {
	_, kind, err := s.store.ReadUnsubscribeToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "unsubscribe", "unsubscribe.title")
	p.Data = unsubscribeData{Kind: kindOrAll(kind)}
	return s.render(c, p)
}

// pageUnsubscribeSubmit is both the page's button and RFC 8058's one-click
// POST from a mail client.
func (s *Server) pageUnsubscribeSubmit(c echo.Context) error {
	_, kind, err := s.store.Unsubscribe(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "unsubscribe", "unsubscribe.title")
	p.Data = unsubscribeData{Kind: kindOrAll(kind), Done: true}
	return s.render(c, p)
}

func kindOrAll(kind string) string {
	if kind == models.KindAll {
		return ""
	}
	return kind
}

// pageNotificationSettingsSubmit saves the profile's notification choices.
func (s *Server) pageNotificationSettingsSubmit(c echo.Context) error {
	set := map[string]string{}
	for _, k := range models.NotificationKinds {
		if v := c.FormValue("notify_" + k); v != "" {
			set[k] = v
		}
	}
	if _, err := s.store.SetNotificationSettings(c.Request().Context(), ctxUser(c), set); err != nil {
		return err
	}
	s.flash(c, "notification_settings_saved")
	return c.Redirect(http.StatusSeeOther, "/profile#notifications")
}

// pageEmailSubmit asks for an email change from the profile page.
func (s *Server) pageEmailSubmit(c echo.Context) error {
	u := ctxUser(c)
	email := c.FormValue("email")
	if err := s.store.RequestEmailChange(c.Request().Context(), u, email); err != nil {
		p, perr := s.profilePage(c)
		if perr != nil {
			return perr
		}
		p.Form["email"] = email
		return s.formFailed(c, p, err)
	}
	s.flash(c, "email_requested")
	return c.Redirect(http.StatusSeeOther, "/profile#email")
}

// pageFollow follows or unfollows from the measure page.
func (s *Server) pageFollow(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := s.store.SetFollowing(c.Request().Context(), ctxUser(c), id, on); err != nil {
			return err
		}
		if on {
			s.flash(c, "followed")
		} else {
			s.flash(c, "unfollowed")
		}
		return c.Redirect(http.StatusSeeOther, "/measures/"+strconv.FormatInt(id, 10))
	}
}

type personData struct {
	Person   *models.User
	Measures []models.Measure
}

// pagePerson is where a mention leads: who the person is (name,
// organisation, role) and the measures they edit that the viewer may see.
func (s *Server) pagePerson(c echo.Context) error {
	viewer, u, err := s.visibleUser(c)
	if err != nil {
		return err
	}
	page, err := s.store.ListMeasures(c.Request().Context(), viewer, models.MeasureFilter{EditorID: u.ID, Limit: 50})
	if err != nil {
		return err
	}
	p := s.newPage(c, "person", "")
	p.Title = u.Name
	p.Data = personData{Person: u, Measures: page.Items}
	return s.render(c, p)
}
