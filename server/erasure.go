package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// Erasure under law 09-08 (models/erasure.go): the person from their
// profile, with their password; an admin for another account. Either way
// the account's websockets close now on this instance, and on the others
// when its user.erased event reaches them (hub.go).

type eraseRequest struct {
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

// apiEraseMe erases the signed-in person's account: 202, and the session
// ends with it.
func (s *Server) apiEraseMe(c echo.Context) error {
	u := ctxUser(c)
	var req eraseRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.store.EraseSelf(c.Request().Context(), u, req.Password, req.TOTP, c.RealIP()); err != nil {
		return err
	}
	s.hub.UserChanged(u.ID)
	s.clearSessionCookie(c)
	return c.JSON(http.StatusAccepted, map[string]any{"erased": true})
}

// apiEraseUser is an admin erasing another account: 204.
func (s *Server) apiEraseUser(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.EraseUser(c.Request().Context(), ctxUser(c), id); err != nil {
		return err
	}
	s.hub.UserChanged(id)
	return c.NoContent(http.StatusNoContent)
}

// pageEraseMe is the profile's erasure form. It asks for the password (and
// code), then signs the browser out with a last word.
func (s *Server) pageEraseMe(c echo.Context) error {
	u := ctxUser(c)
	err := s.store.EraseSelf(c.Request().Context(), u, c.FormValue("erase_password"), c.FormValue("erase_totp"), c.RealIP())
	if err != nil {
		// The profile is read only to show it again with the error.
		p, perr := s.profilePage(c)
		if perr != nil {
			return perr
		}
		return s.formFailed(c, p, renameFields(err, map[string]string{"password": "erase_password", "totp": "erase_totp"}))
	}
	s.hub.UserChanged(u.ID)
	s.clearSessionCookie(c)
	s.flash(c, "account_erased")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// pageEraseUser is the admin's erasure, asked for confirmation first.
func (s *Server) pageEraseUser(c echo.Context) error {
	p, u, err := s.userPage(c)
	if err != nil {
		return err
	}
	back := "/admin/users/" + strconv.FormatInt(u.ID, 10)
	if models.Can(p.User, models.ActEraseUser, u) && !u.Erased() {
		if asked, err := s.confirmFirst(c, back, "confirm.erase", "users.erase", p.PersonText(u)); asked || err != nil {
			return err
		}
	}
	if err := s.store.EraseUser(c.Request().Context(), p.User, u.ID); err != nil {
		return s.formFailed(c, p, err)
	}
	s.hub.UserChanged(u.ID)
	s.flash(c, "user_erased")
	return c.Redirect(http.StatusSeeOther, back)
}
