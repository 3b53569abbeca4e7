package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiDashboard answers GET /api/v1/dashboard: every figure of the
// dashboard over what the caller may see (docs/API.md "Dashboard"),
// current as of the newest event when the request came in.
func (s *Server) apiDashboard(c echo.Context) error {
	ctx := c.Request().Context()
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	f, err := s.dashboardFilter(c, refs)
	if err != nil {
		return err
	}
	event, err := s.store.MeasureEventStamp(ctx)
	if err != nil {
		return err
	}
	figures, _, err := s.dashboards.figures(ctx, ctxUser(c), f, event, -1)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, figures)
}
