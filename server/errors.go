package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// apiError is the JSON error body of docs/API.md.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

var kindStatus = map[string]int{
	models.EMalformed:    http.StatusBadRequest,
	models.EUnauthorized: http.StatusUnauthorized,
	models.EForbidden:    http.StatusForbidden,
	models.ENotFound:     http.StatusNotFound,
	models.EConflict:     http.StatusConflict,
	models.EGone:         http.StatusGone,
	models.ETooLarge:     http.StatusRequestEntityTooLarge,
	models.EInvalid:      http.StatusUnprocessableEntity,
	models.ETooMany:      http.StatusTooManyRequests,
	models.EUnavailable:  http.StatusServiceUnavailable,
}

// retryAfterSeconds is what a 503 asks the client to wait before trying
// again: a dropped database connection is usually back within seconds.
const retryAfterSeconds = "5"

// errorPageTimeout bounds what rendering an error page may read.
const errorPageTimeout = 5 * time.Second

// toAPIError maps any error to a status and a body safe to show. Internal
// errors are logged here and nowhere else, and never shown.
func (s *Server) toAPIError(c echo.Context, err error) (int, apiError) {
	var me *models.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &me):
		if st, ok := kindStatus[me.Kind]; ok {
			if me.Kind == models.EUnavailable {
				s.log.Error("database unavailable", "route", c.Path(), "method", c.Request().Method, "err", err.Error())
			}
			return st, apiError{Code: me.Code, Message: me.Message, Fields: me.Fields}
		}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return 404, apiError{Code: "not_found", Message: "There is nothing at this address."}
		case http.StatusMethodNotAllowed:
			return 405, apiError{Code: "method_not_allowed", Message: "This method is not allowed here."}
		case http.StatusRequestEntityTooLarge:
			return 413, apiError{Code: "too_large", Message: "The request is too large."}
		case http.StatusServiceUnavailable:
			return 503, apiError{Code: "timeout", Message: "The server took too long to answer; try again."}
		case http.StatusBadRequest:
			return 400, apiError{Code: "malformed", Message: "The request could not be read."}
		case http.StatusUnauthorized:
			return 401, apiError{Code: "unauthorized", Message: "Please sign in."}
		case http.StatusForbidden:
			return 403, apiError{Code: "forbidden", Message: "You are not allowed to do this."}
		}
		if he.Code < 500 {
			return he.Code, apiError{Code: "error", Message: http.StatusText(he.Code)}
		}
	case errors.Is(err, context.DeadlineExceeded):
		return 503, apiError{Code: "timeout", Message: "The server took too long to answer; try again."}
	case models.IsUnavailable(err):
		s.log.Error("database unavailable", "route", c.Path(), "method", c.Request().Method, "err", err.Error())
		u := models.Unavailable(err)
		return 503, apiError{Code: u.Code, Message: u.Message}
	}
	s.log.Error("internal error", "route", c.Path(), "method", c.Request().Method, "err", err.Error())
	return 500, apiError{Code: "internal", Message: "Something went wrong on our side. Please try again."}
}

// setRetryAfter tells a client when to try again: after a database that did
// not answer, or once a rate limit has passed.
func (s *Server) setRetryAfter(c echo.Context, status int, err error) {
	var me *models.Error
	switch {
	case errors.As(err, &me) && me.RetryAfter > 0:
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(me.RetryAfter.Seconds())))
	case status == http.StatusServiceUnavailable:
		c.Response().Header().Set("Retry-After", retryAfterSeconds)
	}
}

// handleError is Echo's single error handler: codes become a status and a
// JSON body for the API, or a friendly page for people.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := s.toAPIError(c, err)
	s.setRetryAfter(c, status, err)
	// Echo calls this after the route's middleware returned, so the request
	// timeout's context is already cancelled: the error page gets its own
	// few seconds to read what the header shows.
	if r := c.Request(); r.Context().Err() != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), errorPageTimeout)
		defer cancel()
		c.SetRequest(r.WithContext(ctx))
	}
	if status == http.StatusForbidden || status == http.StatusNotFound {
		if u := ctxUser(c); u != nil && status == http.StatusForbidden {
			s.denied(c, body.Code)
		}
	}
	if wantsJSON(c) {
		_ = c.JSON(status, map[string]apiError{"error": body})
		return
	}
	r := c.Request()
	if status == http.StatusUnauthorized {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			// A form sent after the session ended (expired, suspended): the
			// browser follows the 303 with a GET, so come back to the page
			// the form was on rather than to the form's action.
			next = "/"
			if ref, err := url.Parse(r.Referer()); err == nil && ref.Scheme+"://"+ref.Host == s.origin {
				next = ref.RequestURI()
			}
		}
		_ = c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(next))
		return
	}
	s.renderError(c, status, body)
}

// wantsJSON: the API always speaks JSON; other paths do when asked to.
func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/ws" || p == "/healthz" {
		return true
	}
	accept := c.Request().Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
