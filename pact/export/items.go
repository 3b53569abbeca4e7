// Package export writes the published Pact as open data (JSON, CSV, XLSX,
// and the PDF's attachment) with its signed manifest, and reads those files
// back for `pacte verify`. docs/exports.md documents every column.
package export

import (
	"time"

	"pacte/markdown"
	"pacte/pact"
)

// Item is one published measure as the JSON export and
// GET /api/v1/public/measures give it.
type Item struct {
	ID               int64               `json:"id"`
	Title            string              `json:"title"`
	Summary          string              `json:"summary"`
	Body             string              `json:"body"` // Markdown
	BodyHTML         string              `json:"body_html"`
	Pillar           string              `json:"pillar"`
	PillarName       string              `json:"pillar_name"`
	Axis             string              `json:"axis"`
	AxisName         string              `json:"axis_name"`
	LeadOrganization pact.Organization   `json:"lead_organization"`
	Cosponsors       []pact.Organization `json:"cosponsors"`
	Revision         int                 `json:"revision"`
	SHA256           string              `json:"sha256"`
	ApprovedAt       time.Time           `json:"approved_at"`
	PublishedAt      time.Time           `json:"published_at"`
	URL              string              `json:"url"`
}

// Items lists the document's measures in document order (pillar, axis).
// The fingerprint is computed from the text shown, as the manifest's is.
func Items(doc *pact.Document) []Item {
	items := []Item{}
	for _, m := range doc.Measures() {
		cos := m.Cosponsors
		if cos == nil {
			cos = []pact.Organization{}
		}
		items = append(items, Item{ID: m.ID, Title: m.Title, Summary: m.Summary, Body: m.Body,
			BodyHTML: markdown.Render(m.Body), Pillar: m.Pillar, PillarName: m.PillarName, Axis: m.Axis,
			AxisName: m.AxisName, LeadOrganization: m.Lead, Cosponsors: cos, Revision: m.Revision,
			SHA256: pact.TextHash(m.Title, m.Summary, m.Body), ApprovedAt: m.ApprovedAt.UTC(),
			PublishedAt: m.PublishedAt.UTC(), URL: m.URL})
	}
	return items
}
