package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

type msUserRef struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	OrganizationID *int64 `json:"organization_id"`
	Email          string `json:"email"`
}

type msReview struct {
	ID       int64      `json:"id"`
	Decision string     `json:"decision"`
	Note     string     `json:"note"`
	Revision int        `json:"revision"`
	Reviewer *msUserRef `json:"reviewer"`
}

// msMeasure is GET /api/v1/measures/:id, every field the contract names.
type msMeasure struct {
	ID                 int64       `json:"id"`
	Title              string      `json:"title"`
	Summary            string      `json:"summary"`
	Body               string      `json:"body"`
	BodyHTML           string      `json:"body_html"`
	Status             string      `json:"status"`
	Visibility         string      `json:"visibility"`
	Pillar             string      `json:"pillar"`
	Axis               *string     `json:"axis"`
	LeadOrganizationID int64       `json:"lead_organization_id"`
	CosponsorIDs       []int64     `json:"cosponsor_ids"`
	Revision           int         `json:"revision"`
	PublishedRevision  *int        `json:"published_revision"`
	UpdatedAt          string      `json:"updated_at"`
	Editors            []msUserRef `json:"editors"`
	Reviews            []msReview  `json:"reviews"`
	Published          *struct {
		Revision int    `json:"revision"`
		Title    string `json:"title"`
		Body     string `json:"body"`
		BodyHTML string `json:"body_html"`
	} `json:"published"`
	AvailableActions []string `json:"available_actions"`
}

func (m msMeasure) can(action string) bool {
	for _, a := range m.AvailableActions {
		if a == action {
			return true
		}
	}
	return false
}

// msNewBody is a valid creation request.
func msNewBody(title string) map[string]any {
	return map[string]any{"title": title, "summary": "Résumé de " + title,
		"body": "## " + title + "\n\nPremier paragraphe.\n\n- un\n- deux\n", "pillar": "enablers", "axis": "cloud_computing"}
}

// msCreate creates a measure through the API and fails the test otherwise.
func msCreate(t *testing.T, c *servertest.Client, title string) msMeasure {
	t.Helper()
	var m msMeasure
	r := c.Request("POST", "/api/v1/measures", msNewBody(title))
	if r.Status != 201 {
		t.Fatalf("create %q: %d %s", title, r.Status, r.Body)
	}
	if err := r.JSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func msPath(id int64, rest ...string) string {
	return fmt.Sprintf("/api/v1/measures/%d", id) + strings.Join(rest, "")
}

func msGet(t *testing.T, c *servertest.Client, id int64) msMeasure {
	t.Helper()
	var m msMeasure
	r := c.Request("GET", msPath(id), nil)
	if r.Status != 200 {
		t.Fatalf("GET measure %d: %d %s", id, r.Status, r.Body)
	}
	if err := r.JSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// msDo sends a request, checks the status and decodes the answer.
func msDo(t *testing.T, c *servertest.Client, method, path string, body any, want int, out any) *servertest.Response {
	t.Helper()
	r := c.Request(method, path, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		if err := r.JSON(out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, r.Body)
		}
	}
	return r
}

// msWantError checks a status and an error code.
func msWantError(t *testing.T, r *servertest.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s)", r.Status, status, r.Body)
	}
	if code != "" && r.ErrorCode() != code {
		t.Fatalf("error code %q, want %q (%s)", r.ErrorCode(), code, r.Body)
	}
}

// msHTML loads a page as a browser would.
func msHTML(c *servertest.Client, path string) *servertest.Response {
	c.T.Helper()
	old := c.Headers["Accept"]
	c.Headers["Accept"] = "text/html,application/xhtml+xml"
	defer func() { c.Headers["Accept"] = old }()
	return c.Raw("GET", path, "", nil)
}

// msForm posts an HTML form with the CSRF token as a field.
func msForm(c *servertest.Client, path string, v url.Values) *servertest.Response {
	c.T.Helper()
	token := c.CSRF
	if v == nil {
		v = url.Values{}
	}
	v.Set("csrf_token", token)
	c.CSRF = ""
	defer func() { c.CSRF = token }()
	old := c.Headers["Accept"]
	c.Headers["Accept"] = "text/html,application/xhtml+xml"
	defer func() { c.Headers["Accept"] = old }()
	return c.Raw("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

// msEvents lists the event types written for a measure, in order.
func msEvents(t *testing.T, app *servertest.App, id int64) []string {
	t.Helper()
	var types []string
	if err := app.Store.Read(context.Background()).Model(&models.Event{}).Where("measure_id = ?", id).Order("id").Pluck("type", &types).Error; err != nil {
		t.Fatal(err)
	}
	return types
}

func msCount(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
