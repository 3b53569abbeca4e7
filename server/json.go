package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// decodeJSON reads a JSON body into v. Unknown fields are ignored, so a
// client sending role or status where they do not belong changes nothing
// (mass assignment); broken JSON is a 400, a wrong type a 422 on its field.
func decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return models.CodedError(models.EMalformed, "unsupported_media_type", "Send JSON with Content-Type: application/json.")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		var he *echo.HTTPError // Echo's body limit, when there is no Content-Length
		switch {
		case errors.As(err, &mbe), errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge:
			return models.Errorf(models.ETooLarge, "The request is too large.")
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				return models.CodedError(models.EMalformed, "malformed_json", "The request body must be a JSON object.")
			}
			return &models.Error{Kind: models.EInvalid, Code: "invalid_fields", Message: "Some fields are not valid.",
				Fields: map[string]string{field: "This field has the wrong type (expected " + te.Type.String() + ")."}}
		case errors.Is(err, io.EOF):
			return models.CodedError(models.EMalformed, "malformed_json", "The request body is empty; send a JSON object.")
		default:
			if strings.Contains(err.Error(), "http: request body too large") {
				return models.Errorf(models.ETooLarge, "The request is too large.")
			}
			return models.CodedError(models.EMalformed, "malformed_json", "The request body is not valid JSON.")
		}
	}
	if dec.More() {
		return models.CodedError(models.EMalformed, "malformed_json", "The request body must hold a single JSON object.")
	}
	return nil
}

// pathID reads a numeric path parameter; anything else is a 404, as for any
// address that names nothing.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.NotFound("Object")
	}
	return id, nil
}

// queryInt reads an optional integer query parameter.
func queryInt(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &models.Error{Kind: models.EMalformed, Code: "invalid_query", Message: "The parameter " + name + " must be a positive whole number.",
			Fields: map[string]string{name: "Must be a positive whole number."}}
	}
	return n, nil
}

// jsonTime formats times as RFC 3339 UTC, as docs/API.md requires.
func jsonTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// jsonTimePtr is jsonTime for optional times.
func jsonTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := jsonTime(*t)
	return &s
}

// list is the envelope of every list answer.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// userIDAction runs a store action on the signed-in person and the object
// named by the :id path parameter, answering 204: the shape of every
// "delete this" or "take that back" endpoint.
func userIDAction(c echo.Context, param string, action func(ctx context.Context, u *models.User, id int64) error) error {
	u := ctxUser(c)
	id, err := pathID(c, param)
	if err != nil {
		return err
	}
	if err := action(c.Request().Context(), u, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
