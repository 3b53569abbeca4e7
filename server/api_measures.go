package server

import (
	"bytes"
	"errors"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pacte/markdown"
	"pacte/models"
)

// userRefJSON is how a measure names people: no email, no role.
type userRefJSON struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	OrganizationID *int64 `json:"organization_id"`
	Erased         bool   `json:"erased,omitempty"`
}

func toUserRef(u *models.User) userRefJSON {
	return userRefJSON{ID: u.ID, Name: u.Name, OrganizationID: u.OrganizationID, Erased: u.Erased()}
}

type reviewJSON struct {
	ID        int64        `json:"id"`
	Decision  string       `json:"decision"`
	Note      string       `json:"note"`
	Revision  int          `json:"revision"`
	Reviewer  *userRefJSON `json:"reviewer"`
	CreatedAt string       `json:"created_at"`
}

func toReviewJSON(r models.Review) reviewJSON {
	out := reviewJSON{ID: r.ID, Decision: r.Decision, Note: r.Note, Revision: r.Revision, CreatedAt: jsonTime(r.CreatedAt)}
	if r.Reviewer != nil {
		ref := toUserRef(r.Reviewer)
		out.Reviewer = &ref
	}
	return out
}

type cosponsorJSON struct {
	OrganizationID int64  `json:"organization_id"`
	UserID         int64  `json:"user_id"`
	CreatedAt      string `json:"created_at"`
}

// publishedJSON is the approved text, shown while an amendment is under way.
type publishedJSON struct {
	Revision int     `json:"revision"`
	Title    string  `json:"title"`
	Summary  string  `json:"summary"`
	Body     string  `json:"body"`
	BodyHTML string  `json:"body_html"`
	Pillar   string  `json:"pillar"`
	Axis     *string `json:"axis"`
}

// measureJSON is GET /api/v1/measures/:id: the list item plus the text and
// who is involved.
type measureJSON struct {
	models.MeasureItem
	Body             string          `json:"body"`
	BodyHTML         string          `json:"body_html"`
	CreatedBy        int64           `json:"created_by"`
	CreatedAt        string          `json:"created_at"`
	SubmittedOnce    bool            `json:"submitted_once"`
	Editors          []userRefJSON   `json:"editors"`
	Cosponsors       []cosponsorJSON `json:"cosponsors"`
	Reviews          []reviewJSON    `json:"reviews"`
	Published        *publishedJSON  `json:"published"`
	AvailableActions []string        `json:"available_actions"`
	// Version is the collab version of Body: suggestions give positions in
	// the text at a version (docs/API.md "Suggestions").
	Version int64 `json:"version"`
}

func (s *Server) toMeasureJSON(viewer *models.User, d *models.MeasureDetail) measureJSON {
	out := measureJSON{MeasureItem: d.Item(), Body: d.Body, BodyHTML: s.renderBody(d.Body), CreatedBy: d.CreatedBy,
		CreatedAt: jsonTime(d.CreatedAt), SubmittedOnce: d.SubmittedOnce, Editors: []userRefJSON{}, Cosponsors: []cosponsorJSON{},
		Reviews: []reviewJSON{}, AvailableActions: models.AvailableMeasureActions(viewer, d.Access()), Version: d.CollabVersion}
	for _, u := range d.Editors {
		out.Editors = append(out.Editors, toUserRef(u))
	}
	for _, c := range d.Cosponsors {
		out.Cosponsors = append(out.Cosponsors, cosponsorJSON{OrganizationID: c.OrganizationID, UserID: c.UserID, CreatedAt: jsonTime(c.CreatedAt)})
	}
	for _, r := range d.Reviews {
		out.Reviews = append(out.Reviews, toReviewJSON(r))
	}
	if p := d.Published; p != nil {
		out.Published = &publishedJSON{Revision: p.Number, Title: p.Title, Summary: p.Summary, Body: p.Body,
			BodyHTML: s.renderBody(p.Body), Pillar: p.Pillar, Axis: p.Axis}
	}
	return out
}

// renderBody renders Markdown through the cache: a measure page is read
// far more often than its text changes.
// renderBody gives the HTML of a measure's Markdown, from s.bodies when the
// same text was rendered lately (keyed by a hash of the source and checked
// against the source itself, so a collision never shows one text for
// another).
func (s *Server) renderBody(src string) string {
	h := fnv.New64a()
	h.Write([]byte(src))
	key := h.Sum64()
	if e, ok := s.bodies.get(key); ok && e.src == src {
		return e.html
	}
	html := markdown.Render(src)
	if len(src)+len(html) <= bodyCacheBytes/8 {
		s.bodies.put(key, renderEntry{src, html})
	}
	return html
}

// renderEntry is a Markdown source and its HTML.
type renderEntry struct{ src, html string }

const (
	bodyCacheEntries = 4096
	bodyCacheBytes   = 32 << 20
)

func newBodyCache() *cache[uint64, renderEntry] {
	return newCache[uint64, renderEntry](bodyCacheEntries, bodyCacheBytes, func(e renderEntry) int { return len(e.src) + len(e.html) })
}

// measureFilter reads the list filters from the query string.
func measureFilter(c echo.Context) (models.MeasureFilter, error) {
	org, err := queryInt(c, "organization_id")
	if err != nil {
		return models.MeasureFilter{}, err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return models.MeasureFilter{}, err
	}
	return models.MeasureFilter{Status: c.QueryParam("status"), Pillar: c.QueryParam("pillar"), OrganizationID: org,
		Query: c.QueryParam("q"), Cursor: c.QueryParam("cursor"), Limit: int(min(limit, 1000))}, nil
}

func (s *Server) apiListMeasures(c echo.Context) error {
	u := ctxUser(c)
	f, err := measureFilter(c)
	if err != nil {
		return err
	}
	page, err := s.store.ListMeasures(c.Request().Context(), u, f)
	if err != nil {
		return err
	}
	out := list[models.MeasureItem]{Items: make([]models.MeasureItem, 0, len(page.Items)), NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, page.Items[i].Item())
	}
	return c.JSON(http.StatusOK, out)
}

type createMeasureRequest struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
	Pillar  string `json:"pillar"`
	Axis    string `json:"axis"`
}

func (s *Server) apiCreateMeasure(c echo.Context) error {
	u := ctxUser(c)
	var req createMeasureRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	m, err := s.store.CreateMeasure(c.Request().Context(), u, models.NewMeasure(req))
	if err != nil {
		return err
	}
	return s.writeMeasure(c, u, m.ID, http.StatusCreated)
}

// writeMeasure answers with the measure as GET shows it.
func (s *Server) writeMeasure(c echo.Context, u *models.User, id int64, status int) error {
	d, err := s.store.MeasureDetail(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	return c.JSON(status, s.toMeasureJSON(u, d))
}

func (s *Server) apiGetMeasure(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.writeMeasure(c, u, id, http.StatusOK)
}

type updateMeasureRequest struct {
	Title      *string `json:"title"`
	Summary    *string `json:"summary"`
	Body       *string `json:"body"`
	Pillar     *string `json:"pillar"`
	Axis       *string `json:"axis"`
	Visibility *string `json:"visibility"`
	Revision   int     `json:"revision"`
}

func (s *Server) apiUpdateMeasure(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req updateMeasureRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.store.UpdateMeasure(c.Request().Context(), u, id, models.MeasureChange(req)); err != nil {
		return err
	}
	return s.writeMeasure(c, u, id, http.StatusOK)
}

// decodeOptionalJSON reads a JSON body that may be left out entirely (the
// workflow actions need none).
func decodeOptionalJSON(c echo.Context, v any) error {
	r := c.Request()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return models.Errorf(models.ETooLarge, "The request is too large.")
		}
		return models.CodedError(models.EMalformed, "malformed", "The request could not be read.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeJSON(c, v)
}

type transitionRequest struct {
	Revision int `json:"revision"`
}

// apiTransition serves submit, withdraw and amend: no body needed; an
// optional {revision} guards against acting on a text one has not seen.
func (s *Server) apiTransition(t models.Transition) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var req transitionRequest
		if err := decodeOptionalJSON(c, &req); err != nil {
			return err
		}
		if _, err := s.store.TransitionMeasure(c.Request().Context(), u, id, t, req.Revision); err != nil {
			return err
		}
		return s.writeMeasure(c, u, id, http.StatusOK)
	}
}

type reviewRequest struct {
	Decision string `json:"decision"`
	Note     string `json:"note"`
	Revision int    `json:"revision"`
}

func (s *Server) apiReviewMeasure(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, m, err := s.store.ReviewMeasure(c.Request().Context(), u, id, models.ReviewInput(req))
	if err != nil {
		return err
	}
	out := struct {
		reviewJSON
		Measure models.MeasureItem `json:"measure"`
	}{toReviewJSON(*r), m.Item()}
	return c.JSON(http.StatusCreated, out)
}

type editorRequest struct {
	UserID int64 `json:"user_id"`
}

func (s *Server) apiAddEditor(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req editorRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	added, err := s.store.AddEditor(c.Request().Context(), u, id, req.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": toUserRef(added)})
}

func (s *Server) apiRemoveEditor(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	uid, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := s.store.RemoveEditor(c.Request().Context(), u, id, uid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiCosponsor(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.Cosponsor(c.Request().Context(), u, id); err != nil {
		return err
	}
	return s.writeMeasure(c, u, id, http.StatusCreated)
}

func (s *Server) apiUncosponsor(c echo.Context) error {
	return userIDAction(c, "id", s.store.Uncosponsor)
}

type revisionJSON struct {
	Number    int           `json:"number"`
	Title     string        `json:"title"`
	Summary   string        `json:"summary"`
	Pillar    string        `json:"pillar"`
	Axis      *string       `json:"axis"`
	Status    string        `json:"status"`
	Reason    string        `json:"reason"`
	Authors   []userRefJSON `json:"authors"`
	CreatedAt string        `json:"created_at"`
	Body      *string       `json:"body,omitempty"`
	BodyHTML  *string       `json:"body_html,omitempty"`
}

func toRevisionJSON(r *models.Revision, users map[int64]*models.User) revisionJSON {
	out := revisionJSON{Number: r.Number, Title: r.Title, Summary: r.Summary, Pillar: r.Pillar, Axis: r.Axis, Status: r.Status,
		Reason: r.Reason, Authors: []userRefJSON{}, CreatedAt: jsonTime(r.CreatedAt)}
	for _, id := range r.Authors() {
		if u := users[id]; u != nil {
			out.Authors = append(out.Authors, toUserRef(u))
		}
	}
	return out
}

// revisionAuthors loads the people named by a set of revisions.
func (s *Server) revisionAuthors(c echo.Context, rs []models.Revision) (map[int64]*models.User, error) {
	var ids []int64
	for i := range rs {
		ids = append(ids, rs[i].Authors()...)
	}
	return s.store.UsersByIDs(c.Request().Context(), ids)
}

func (s *Server) apiListRevisions(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.store.ListRevisions(c.Request().Context(), u, id, c.QueryParam("cursor"), int(min(limit, 1000)))
	if err != nil {
		return err
	}
	users, err := s.revisionAuthors(c, page.Items)
	if err != nil {
		return err
	}
	out := list[revisionJSON]{Items: []revisionJSON{}, NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, toRevisionJSON(&page.Items[i], users))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetRevision(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := pathID(c, "n")
	if err != nil {
		return err
	}
	r, err := s.store.RevisionByNumber(c.Request().Context(), u, id, int(min(n, 1<<30)))
	if err != nil {
		return err
	}
	users, err := s.revisionAuthors(c, []models.Revision{*r})
	if err != nil {
		return err
	}
	out := toRevisionJSON(r, users)
	html := s.renderBody(r.Body)
	out.Body, out.BodyHTML = &r.Body, &html
	return c.JSON(http.StatusOK, out)
}

// diffRange reads ?from=&to=; by default the current revision against the
// one before it.
func (s *Server) diffRange(c echo.Context, u *models.User, id int64) (int, int, error) {
	from, err := queryInt(c, "from")
	if err != nil {
		return 0, 0, err
	}
	to, err := queryInt(c, "to")
	if err != nil {
		return 0, 0, err
	}
	if to == 0 {
		m, err := s.store.MeasureByID(c.Request().Context(), u, id)
		if err != nil {
			return 0, 0, err
		}
		to = int64(m.Revision)
	}
	if from == 0 {
		from = max(to-1, 1)
	}
	return int(min(from, 1<<30)), int(min(to, 1<<30)), nil
}

type diffJSON struct {
	From    int                `json:"from"`
	To      int                `json:"to"`
	Title   models.FieldChange `json:"title"`
	Summary models.FieldChange `json:"summary"`
	Pillar  models.FieldChange `json:"pillar"`
	Axis    models.FieldChange `json:"axis"`
	Hunks   []models.Hunk      `json:"hunks"`
}

func (s *Server) apiDiff(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	from, to, err := s.diffRange(c, u, id)
	if err != nil {
		return err
	}
	d, err := s.store.DiffRevisions(c.Request().Context(), u, id, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, diffJSON{From: from, To: to, Title: d.Title, Summary: d.Summary, Pillar: d.Pillar, Axis: d.Axis, Hunks: d.Body})
}

type previewRequest struct {
	Body string `json:"body"`
}

// apiPreview renders Markdown for the editor's preview pane, with the same
// renderer and sanitiser as the measure page.
func (s *Server) apiPreview(c echo.Context) error {
	var req previewRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Body) > models.MaxBodyBytes {
		return &models.Error{Kind: models.ETooLarge, Code: "body_too_large", Message: "The text is too long: " +
			strconv.Itoa(models.MaxBodyBytes/1024) + " KB at most."}
	}
	return c.JSON(http.StatusOK, map[string]string{"html": markdown.Render(req.Body)})
}
