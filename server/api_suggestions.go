package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// Suggestions (tracked changes) over JSON, as docs/API.md "Suggestions"
// says; the rules are models.CheckSuggestion's and the work the store's.

func (s *Server) apiListSuggestions(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	list, version, err := s.store.SuggestionsAt(c.Request().Context(), ctxUser(c), id, c.QueryParam("status"))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(list))
	for i, v := range list {
		items[i] = v.JSON()
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "version": version})
}

type suggestionRequest struct {
	From    *int    `json:"from"`
	To      *int    `json:"to"`
	Insert  *string `json:"insert"`
	Version *int64  `json:"version"`
}

func (s *Server) apiCreateSuggestion(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req suggestionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	missing := models.FieldErrors{}
	for name, ok := range map[string]bool{"from": req.From != nil, "to": req.To != nil, "insert": req.Insert != nil, "version": req.Version != nil} {
		if !ok {
			missing.Add(name, "This field is required.")
		}
	}
	if err := missing.Err(); err != nil {
		return err
	}
	v, err := s.store.CreateSuggestion(c.Request().Context(), ctxUser(c), id,
		models.SuggestionInput{From: *req.From, To: *req.To, Insert: *req.Insert, Version: *req.Version})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v.JSON())
}

func (s *Server) apiAcceptSuggestion(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.acceptSuggestion(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"suggestion": a.Suggestion.JSON(), "version": a.Commit.Version})
}

// acceptSuggestion accepts and hands the change to the editors who have
// the text open, as an accepted push is, without waiting for the event.
func (s *Server) acceptSuggestion(c echo.Context, id int64) (*models.AcceptedSuggestion, error) {
	at := time.Now()
	a, err := s.store.AcceptSuggestion(c.Request().Context(), ctxUser(c), id)
	if err != nil {
		return nil, err
	}
	s.hub.collab.applied(a.Commit, at)
	return a, nil
}

type rejectRequest struct {
	Note string `json:"note"`
}

func (s *Server) apiRejectSuggestion(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req rejectRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	v, err := s.store.RejectSuggestion(c.Request().Context(), ctxUser(c), id, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"suggestion": v.JSON()})
}

type bulkRequest struct {
	AuthorID int64 `json:"author_id"`
}

// apiDecideAll accepts or rejects every open suggestion of a measure, or
// one author's (docs/API.md "Suggestions": beyond the shared contract).
func (s *Server) apiDecideAll(accept bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var req bulkRequest
		if c.Request().ContentLength != 0 {
			if err := decodeJSON(c, &req); err != nil {
				return err
			}
		}
		res, err := s.decideAll(c, id, req.AuthorID, accept)
		if err != nil {
			return err
		}
		items := make([]map[string]any, len(res.Decided))
		for i, v := range res.Decided {
			items[i] = v.JSON()
		}
		return c.JSON(http.StatusOK, map[string]any{"decided": items, "outdated": res.Outdated})
	}
}

// decideAll decides, and hands every applied change to the open editors.
func (s *Server) decideAll(c echo.Context, measure, author int64, accept bool) (*models.BulkResult, error) {
	res, applied, err := s.store.DecideAll(c.Request().Context(), ctxUser(c), measure, author, accept)
	for _, a := range applied {
		s.hub.collab.applied(a.Commit, time.Now())
	}
	return res, err
}
