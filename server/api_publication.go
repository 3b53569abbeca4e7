package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

type publicationRequest struct {
	Note string `json:"note"`
}

// apiPublication publishes (or unpublishes) a measure: POST
// /api/v1/measures/:id/publish {note?} and …/unpublish {note}.
func (s *Server) apiPublication(publish bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var req publicationRequest
		if err := decodeOptionalJSON(c, &req); err != nil {
			return err
		}
		if err := s.publication(c, u, id, req.Note, publish); err != nil {
			return err
		}
		return s.writeMeasure(c, u, id, http.StatusOK)
	}
}

// pagePublication is the measure page's publish / unpublish form.
func (s *Server) pagePublication(publish bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		note := c.FormValue("note")
		if err := s.publication(c, u, id, note, publish); err != nil {
			return s.measureActionFailed(c, id, err, map[string]string{"note": note})
		}
		if publish {
			s.flash(c, "measure_published")
		} else {
			s.flash(c, "measure_unpublished")
		}
		return c.Redirect(http.StatusSeeOther, idPath(id)+"#publication")
	}
}

func (s *Server) publication(c echo.Context, u *models.User, id int64, note string, publish bool) error {
	ctx := c.Request().Context()
	var err error
	if publish {
		_, err = s.store.PublishMeasure(ctx, u, id, note)
	} else {
		_, err = s.store.UnpublishMeasure(ctx, u, id, note)
	}
	return err
}
