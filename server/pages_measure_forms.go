package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"pacte/markdown"
	"pacte/models"
)

// The new and edit forms of a measure, which work without JavaScript and
// carry the co-editor when it runs.

func (s *Server) measureFormPage(c echo.Context, name, titleKey string) (*Page, error) {
	refs, err := s.measureRefs(c.Request().Context())
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, name, titleKey)
	p.Data = &measureFormData{Refs: refs}
	return p, nil
}

// measureFormData is what the new and edit forms show.
type measureFormData struct {
	Refs        *measureRefs
	Measure     *models.MeasureDetail // the measure edited (nil on the new form)
	PreviewHTML string
	Conflicts   []conflictView // fields both sides changed, after a refused save
}

func readMeasureForm(c echo.Context, p *Page) {
	for _, k := range []string{"title", "summary", "body", "pillar", "axis", "revision",
		"base_title", "base_summary", "base_body", "base_pillar", "base_axis"} {
		p.Form[k] = c.FormValue(k)
	}
}

func (s *Server) pageMeasureNew(c echo.Context) error {
	p, err := s.measureFormPage(c, "measure-new", "measures.new.title")
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageMeasureCreate(c echo.Context) error {
	u := ctxUser(c)
	p, err := s.measureFormPage(c, "measure-new", "measures.new.title")
	if err != nil {
		return err
	}
	readMeasureForm(c, p)
	if c.FormValue("preview") != "" {
		p.Data.(*measureFormData).PreviewHTML = markdown.Render(p.Form["body"])
		return s.render(c, p)
	}
	m, err := s.store.CreateMeasure(c.Request().Context(), u, models.NewMeasure{Title: p.Form["title"], Summary: p.Form["summary"],
		Body: p.Form["body"], Pillar: p.Form["pillar"], Axis: p.Form["axis"]})
	if err != nil {
		return s.measureFailed(c, p, err)
	}
	s.flash(c, "measure_created")
	return c.Redirect(http.StatusSeeOther, idPath(m.ID))
}

// measureEditPage opens the edit form to the measure's editors while it is
// editable.
func (s *Server) measureEditPage(c echo.Context) (*Page, *models.MeasureDetail, error) {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	d, err := s.store.MeasureToEdit(c.Request().Context(), u, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.measureFormPage(c, "measure-edit", "measures.edit.title")
	if err != nil {
		return nil, nil, err
	}
	p.MeasureID = id
	p.StyleNonce = newStyleNonce() // CodeMirror's <style> element (render.go)
	p.Topics = models.MeasureTopic(id) + " " + p.Topics
	p.Data.(*measureFormData).Measure = d
	return p, d, nil
}

func fillMeasureForm(p *Page, m *models.Measure) {
	p.Form["title"], p.Form["summary"], p.Form["body"] = m.Title, m.Summary, m.Body
	p.Form["pillar"], p.Form["axis"], p.Form["revision"] = m.Pillar, m.AxisKey(), strconv.Itoa(m.Revision)
	setBase(p, m)
}

func (s *Server) pageMeasureEdit(c echo.Context) error {
	p, d, err := s.measureEditPage(c)
	if err != nil {
		return err
	}
	fillMeasureForm(p, d.Measure)
	p.Data.(*measureFormData).PreviewHTML = s.renderBody(d.Body)
	return s.render(c, p)
}

// pageMeasureSave saves the edit form, with or without JavaScript.
//
// The form carries the revision it was opened on and the values it started
// from (base_*). When someone saved in between, the change is merged field
// by field: what only this person changed is applied, what only others
// changed is kept. Only when both changed the same field differently is the
// save refused: the person's text is kept, the form now carries the current
// revision, and the page shows what changed meanwhile, so saving again is a
// decision taken knowingly, never an accident. (With the co-editor running,
// the body the form posts is the shared text itself, so the editor's own
// saves never conflict with it.)
func (s *Server) pageMeasureSave(c echo.Context) error {
	p, d, err := s.measureEditPage(c)
	if err != nil {
		return err
	}
	readMeasureForm(c, p)
	data := p.Data.(*measureFormData)
	data.PreviewHTML = markdown.Render(p.Form["body"])
	if c.FormValue("preview") != "" {
		return s.render(c, p)
	}
	ctx := c.Request().Context()
	mine := map[string]string{}
	for _, k := range editFields {
		mine[k] = normField(k, p.Form[k])
	}
	ch := models.MeasureChange{Title: strPtr(mine["title"]), Summary: strPtr(mine["summary"]), Body: strPtr(mine["body"]),
		Pillar: strPtr(mine["pillar"]), Axis: strPtr(mine["axis"]), Revision: formRevision(c)}
	_, err = s.store.UpdateMeasure(ctx, p.User, d.ID, ch)
	var conflicts []string
	if isStale(err) {
		if base := formBase(c); base != nil {
			if fresh, ferr := s.store.MeasureByID(ctx, p.User, d.ID); ferr == nil {
				var merged models.MeasureChange
				if merged, conflicts = mergeEdit(base, mine, fresh); len(conflicts) == 0 {
					merged.Revision = fresh.Revision
					_, err = s.store.UpdateMeasure(ctx, p.User, d.ID, merged)
				}
			}
		}
	}
	if err != nil {
		if isStale(err) {
			if fresh, ferr := s.store.MeasureDetail(ctx, p.User, d.ID); ferr == nil {
				data.Measure = fresh
				data.Conflicts = conflictViews(conflicts, mine, fresh.Measure)
				setBase(p, fresh.Measure)
				p.Form["revision"] = strconv.Itoa(fresh.Revision)
			}
		}
		return s.measureFailed(c, p, err)
	}
	s.flash(c, "measure_saved")
	return c.Redirect(http.StatusSeeOther, idPath(d.ID))
}

// conflictView is one field both sides changed: the saved version, the
// person's, and how they differ (for text fields).
type conflictView struct {
	Field  string
	Theirs string
	Mine   string
	Diff   []models.Hunk // nil for the taxonomy, which is a choice
}

// conflictViews shows each conflicting field's two versions. Without a
// field-by-field merge (a form that does not carry its base values, or a
// save that lost a second race), every field that differs is shown.
func conflictViews(fields []string, mine map[string]string, cur *models.Measure) []conflictView {
	if len(fields) == 0 {
		for _, k := range editFields {
			if mine[k] != fieldOf(cur, k) {
				fields = append(fields, k)
			}
		}
	}
	out := make([]conflictView, 0, len(fields))
	for _, k := range fields {
		v := conflictView{Field: k, Theirs: fieldOf(cur, k), Mine: mine[k]}
		if k == "title" || k == "summary" || k == "body" {
			v.Diff = models.DiffText(v.Theirs, v.Mine)
		}
		out = append(out, v)
	}
	return out
}

// editFields are the fields of the edit form that are merged.
var editFields = []string{"title", "summary", "body", "pillar", "axis"}

func isStale(err error) bool {
	var me *models.Error
	return errors.As(err, &me) && me.Code == "stale_revision"
}

// normField puts a posted value in the form the store keeps it in, so that
// comparing values compares what would be saved.
func normField(k, v string) string {
	v = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(v)
	if k != "body" {
		v = strings.TrimSpace(v)
	}
	return v
}

func fieldOf(m *models.Measure, k string) string {
	switch k {
	case "title":
		return m.Title
	case "summary":
		return m.Summary
	case "body":
		return m.Body
	case "pillar":
		return m.Pillar
	}
	return m.AxisKey()
}

// formBase reads the values the form was opened with, or nil when it does
// not carry them.
func formBase(c echo.Context) map[string]string {
	if _, ok := c.Request().PostForm["base_title"]; !ok {
		return nil
	}
	base := map[string]string{}
	for _, k := range editFields {
		base[k] = normField(k, c.FormValue("base_"+k))
	}
	return base
}

func setBase(p *Page, m *models.Measure) {
	for _, k := range editFields {
		p.Form["base_"+k] = fieldOf(m, k)
	}
}

// mergeEdit is a three-way merge of one person's form against the measure
// as it now is: it returns the fields to change and those both sides
// changed differently.
func mergeEdit(base, mine map[string]string, cur *models.Measure) (models.MeasureChange, []string) {
	var ch models.MeasureChange
	var conflicts []string
	for _, k := range editFields {
		theirs := fieldOf(cur, k)
		switch {
		case mine[k] == theirs, mine[k] == base[k]:
			continue // nothing to do, or only others changed it
		case theirs != base[k]:
			conflicts = append(conflicts, k)
			continue
		}
		v := mine[k]
		switch k {
		case "title":
			ch.Title = &v
		case "summary":
			ch.Summary = &v
		case "body":
			ch.Body = &v
		case "pillar":
			ch.Pillar = &v
		case "axis":
			ch.Axis = &v
		}
	}
	// The taxonomy is one choice: a new axis only makes sense with its pillar.
	if ch.Axis != nil && ch.Pillar == nil {
		ch.Pillar = strPtr(cur.Pillar)
	}
	return ch, conflicts
}

func strPtr(s string) *string { return &s }
