package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// apiDashboard answers GET /api/v1/dashboard: every figure of the
// dashboard over what the caller may see (docs/API.md "Dashboard"),
// current as of the newest event when the request came in.
func (s *Server) apiDashboard(c echo.Context) error {
	figures, _, _, err := s.currentDashboard(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, figures)
}

// currentDashboard gives the figures of the request's filter as of the
// newest measure event, waiting for them (the API and the CSV files; the
// page may show older ones rather than wait).
func (s *Server) currentDashboard(c echo.Context) (*models.Dashboard, models.DashboardFilter, *measureRefs, error) {
	ctx := c.Request().Context()
	var f models.DashboardFilter
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return nil, f, nil, err
	}
	f, err = s.dashboardFilter(c, refs)
	if err != nil {
		return nil, f, nil, err
	}
	event, err := s.store.MeasureEventStamp(ctx)
	if err != nil {
		return nil, f, nil, err
	}
	figures, _, err := s.dashboards.figures(ctx, ctxUser(c), f, event, -1)
	if err != nil {
		return nil, f, nil, err
	}
	return figures, f, refs, nil
}
