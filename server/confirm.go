package server

import (
	"net/http"
	"net/url"
	"sort"

	"github.com/labstack/echo/v4"
)

// confirmField is what an irreversible form carries once the person has
// said yes. Without it the server answers with a confirmation page that
// names the consequence and sends the same form again with the field, so
// the action always asks first, with or without JavaScript. (The forms'
// data-confirm attributes carry the question for a future in-page dialog.)
const confirmField = "confirmed"

// confirmPage is what templates/pages/confirm.html shows.
type confirmPage struct {
	Question string
	Action   string
	Fields   [][2]string // the form's own values, sent again
	Confirm  string      // the button's label
	Back     string
}

// confirmFirst renders the confirmation page when the form was sent without
// confirmed=yes, and reports true: the handler then stops there.
func (s *Server) confirmFirst(c echo.Context, back, questionKey, buttonKey string, args ...any) (bool, error) {
	if c.FormValue(confirmField) == "yes" {
		return false, nil
	}
	form, err := c.FormParams()
	if err != nil {
		return true, err
	}
	p := s.newPage(c, "confirm", "confirm.title")
	data := confirmPage{Question: p.T(questionKey, args...), Action: c.Request().URL.Path, Confirm: p.T(buttonKey), Back: back}
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "csrf_token" && k != confirmField {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range form[k] {
			data.Fields = append(data.Fields, [2]string{k, v})
		}
	}
	p.Data = data
	p.Status = http.StatusOK
	return true, s.render(c, p)
}

// confirmBack is the page a confirmation's "cancel" returns to: the form's
// page when the browser said where it was, else fallback.
func (s *Server) confirmBack(c echo.Context, fallback string) string {
	if ref, err := url.Parse(c.Request().Referer()); err == nil && ref.Scheme+"://"+ref.Host == s.origin {
		if p := localPath(ref.RequestURI()); p != "" {
			return p
		}
	}
	return fallback
}
