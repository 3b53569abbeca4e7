package server

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// pageModeration is the moderators' queue: comments with open reports and
// hidden comments, with the reasons, and the buttons to act on them. Its
// forms come back here (next=/moderation?…).
func (s *Server) pageModeration(c echo.Context) error {
	u := ctxUser(c)
	show := c.QueryParam("show")
	if show != "reported" && show != "hidden" {
		show = ""
	}
	page, err := s.store.ModerationQueue(c.Request().Context(), u, models.ModerationFilter{Show: show, Cursor: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	p := s.newPage(c, "moderation", "moderation.title")
	here := "/moderation"
	if show != "" {
		here += "?" + url.Values{"show": {show}}.Encode()
	}
	next := ""
	if page.NextCursor != "" {
		q := url.Values{"cursor": {page.NextCursor}}
		if show != "" {
			q.Set("show", show)
		}
		next = "/moderation?" + q.Encode()
	}
	p.Data = &moderationData{Items: page.Items, Show: show, Here: here, NextURL: next,
		Filters: []string{"", "reported", "hidden"}}
	return s.render(c, p)
}

// moderationData is what the moderators' queue shows.
type moderationData struct {
	Items   []models.ModerationItem
	Show    string   // "", reported or hidden
	Filters []string // the choices of Show
	Here    string   // this page, where its forms come back
	NextURL string
}
