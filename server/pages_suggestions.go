package server

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"pacte/collab"
	"pacte/models"
)

// The measure page's suggestions (tracked changes): each one as a diff in
// its context, with Accept and Reject as plain forms, so that the feature
// works without JavaScript; the co-editor shows the same suggestions in
// the text (web/src/suggestions.js).

// suggestionContext is how many characters of the text are shown on
// each side of a suggestion.
const suggestionContext = 60

// suggestionItem is one suggestion as the page shows it.
type suggestionItem struct {
	*models.SuggestionView
	// Before and After are the text around an open suggestion (empty for
	// the others, whose positions no longer describe the text).
	Before, After string
	Cut           [2]bool // text was left out before, after
}

// measureSuggestions are the suggestions of the measure page: open and
// outdated first (what may still be decided), then the decided ones,
// newest first.
type measureSuggestions struct {
	Pending []suggestionItem
	Decided []suggestionItem
	Open    int // open ones, for the review form
	// CanDecideAll: the viewer may accept them all (an editor, the text
	// editable), and Authors are whose open suggestions, for "all of X's".
	CanDecideAll bool
	Authors      []models.UserRef
}

// loadSuggestions reads the measure's suggestions for the page.
func (s *Server) loadSuggestions(c echo.Context, d *models.MeasureDetail) (*measureSuggestions, error) {
	list, err := s.store.SuggestionsOf(c.Request().Context(), ctxUser(c), d.Access(), "")
	if err != nil {
		return nil, err
	}
	out := &measureSuggestions{}
	for _, v := range list {
		it := suggestionItem{SuggestionView: v}
		switch v.Status {
		case models.SuggestionOpen:
			out.Open++
			out.CanDecideAll = out.CanDecideAll || v.CanAccept
			if !slices.ContainsFunc(out.Authors, func(a models.UserRef) bool { return a.ID == v.Author.ID }) {
				out.Authors = append(out.Authors, v.Author)
			}
			it.Before, it.After, it.Cut = suggestionSurroundings(d.Body, v.From, v.To)
			out.Pending = append(out.Pending, it)
		case models.SuggestionOutdated:
			out.Pending = append(out.Pending, it)
		default:
			out.Decided = append(out.Decided, it)
		}
	}
	slices.Reverse(out.Decided)
	return out, nil
}

// suggestionSurroundings cuts the text around [from, to) (UTF-16 units),
// a few words on each side, at character boundaries.
func suggestionSurroundings(body string, from, to int) (before, after string, cut [2]bool) {
	bFrom, ok1 := collab.UTF16ToByteOffset(body, from)
	bTo, ok2 := collab.UTF16ToByteOffset(body, to)
	if !ok1 || !ok2 || bFrom > bTo {
		return "", "", cut
	}
	before, after = body[:bFrom], body[bTo:]
	if n := utf8.RuneCountInString(before); n > suggestionContext {
		r := []rune(before)
		before, cut[0] = string(r[n-suggestionContext:]), true
	}
	if n := utf8.RuneCountInString(after); n > suggestionContext {
		after, cut[1] = string([]rune(after)[:suggestionContext]), true
	}
	return before, after, cut
}

// pageSuggestionDecide accepts or rejects a suggestion from the measure
// page's form, then shows the measure again at its suggestions.
func (s *Server) pageSuggestionDecide(accept bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		// The page to come back to is the suggestion's measure; whether the
		// person may see it is the store's to decide (a 404 as any other).
		measure, err := s.store.SuggestionMeasure(c.Request().Context(), id)
		if err != nil {
			return err
		}
		flash := "flash.suggestion_rejected"
		if accept {
			_, err = s.acceptSuggestion(c, id)
			flash = "flash.suggestion_accepted"
		} else {
			_, err = s.store.RejectSuggestion(c.Request().Context(), ctxUser(c), id, c.FormValue("note"))
		}
		if err != nil {
			if models.ErrorKind(err) == models.ENotFound {
				return err
			}
			return s.measureActionFailed(c, measure, err, nil)
		}
		s.flash(c, flash)
		return c.Redirect(http.StatusSeeOther, idPath(measure)+"#suggestions")
	}
}

// pageMeasureSuggest is the co-editor in suggestion mode, for whoever may
// suggest changes to a measure (editors have the same mode on the edit
// page). Without JavaScript it shows the text and points to the measure
// page.
func (s *Server) pageMeasureSuggest(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u := ctxUser(c)
	d, err := s.store.MeasureDetail(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	if err := models.CheckSuggestion(u, models.ActSuggest, d.Access()); err != nil {
		return err
	}
	p, err := s.measureFormPage(c, "measure-suggest", "suggestions.page_title")
	if err != nil {
		return err
	}
	p.MeasureID = id
	p.StyleNonce = newStyleNonce() // CodeMirror's <style> element (render.go)
	p.Topics = models.MeasureTopic(id) + " " + p.Topics
	p.Data.(*measureFormData).Measure = d
	return s.render(c, p)
}

// pageDecideAll accepts or rejects every open suggestion, or one author's,
// from the measure page's forms.
func (s *Server) pageDecideAll(accept bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		author, _ := strconv.ParseInt(c.FormValue("author_id"), 10, 64)
		res, err := s.decideAll(c, id, author, accept)
		if err != nil {
			return s.measureActionFailed(c, id, err, nil)
		}
		flash := "flash.suggestions_rejected"
		if accept {
			flash = "flash.suggestions_accepted"
			if res.Outdated > 0 {
				flash = "flash.suggestions_accepted_some"
			}
		}
		s.flash(c, flash)
		return c.Redirect(http.StatusSeeOther, idPath(id)+"#suggestions")
	}
}
