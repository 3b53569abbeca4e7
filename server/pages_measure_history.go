package server

import (
	"github.com/labstack/echo/v4"

	"pacte/models"
)

// The revision history of a measure and the comparison of two revisions.

func (s *Server) pageHistory(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := s.store.MeasureByID(ctx, u, id)
	if err != nil {
		return err
	}
	revs, err := s.store.ListRevisions(ctx, u, id, c.QueryParam("cursor"), 100)
	if err != nil {
		return err
	}
	authors, err := s.revisionAuthors(c, revs.Items)
	if err != nil {
		return err
	}
	p := s.newPage(c, "history", "measures.history.title")
	p.Data = &historyData{Measure: m, Revisions: revs.Items, NextCursor: revs.NextCursor, Authors: authors}
	return s.render(c, p)
}

func (s *Server) pageDiff(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := s.store.MeasureByID(ctx, u, id)
	if err != nil {
		return err
	}
	from, to, err := s.diffRange(c, u, id)
	if err != nil {
		return err
	}
	d, err := s.store.DiffRevisions(ctx, u, id, from, to)
	if err != nil {
		return err
	}
	revs, err := s.store.ListRevisions(ctx, u, id, "", 200)
	if err != nil {
		return err
	}
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	mode := c.QueryParam("mode")
	if mode != "inline" {
		mode = "side"
	}
	p := s.newPage(c, "diff", "measures.diff.title")
	data := &diffData{Measure: m, Diff: d, From: from, To: to, Mode: mode, Revisions: revs.Items, Refs: refs}
	if mode == "side" {
		data.Rows = models.SideBySide(d.From.Body, d.To.Body)
	}
	p.Data = data
	return s.render(c, p)
}

// historyData is what a measure's history page shows.
type historyData struct {
	Measure    *models.Measure
	Revisions  []models.Revision
	NextCursor string
	Authors    map[int64]*models.User
}

// diffData is what the page comparing two revisions shows.
type diffData struct {
	Measure   *models.Measure
	Diff      *models.RevisionDiff
	From, To  int
	Mode      string           // side (by side) or inline
	Rows      []models.DiffRow // side by side only
	Revisions []models.Revision
	Refs      *measureRefs
}
