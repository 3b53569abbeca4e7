package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"pacte/pact"
)

// jsonDocument is the JSON export: the items of the public API and the
// signed manifest, in one file.
type jsonDocument struct {
	Lang        string         `json:"lang"`
	GeneratedAt string         `json:"generated_at"`
	Items       []Item         `json:"items"`
	Manifest    *pact.Manifest `json:"manifest"`
}

// JSON writes the JSON export (/pacte.json, and the PDF's pacte.json) with
// m, the manifest signed for it.
func JSON(w io.Writer, doc *pact.Document, m pact.Manifest) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // body_html stays readable
	enc.SetIndent("", "  ")
	return enc.Encode(jsonDocument{Lang: doc.Lang, GeneratedAt: doc.GeneratedAt.UTC().Format(time.RFC3339),
		Items: Items(doc), Manifest: &m})
}

// WriteManifest writes a manifest on its own, as /pacte.csv.manifest
// serves the CSV's.
func WriteManifest(w io.Writer, m pact.Manifest) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// ReadManifest reads a manifest written by WriteManifest.
func ReadManifest(r io.Reader) (pact.Manifest, error) {
	var m *pact.Manifest
	if err := decodeOne(r, &m); err != nil {
		return pact.Manifest{}, fmt.Errorf("not a manifest: %w", err)
	}
	if m == nil {
		return pact.Manifest{}, errors.New("not a manifest: null")
	}
	return *m, nil
}

// ReadJSON reads the measures and the manifest of a JSON export.
func ReadJSON(r io.Reader) ([]Row, pact.Manifest, error) {
	var doc struct {
		Items []struct {
			ID       *int64  `json:"id"`
			Revision *int    `json:"revision"`
			Title    *string `json:"title"`
			Summary  *string `json:"summary"`
			Body     *string `json:"body"`
		} `json:"items"`
		Manifest *pact.Manifest `json:"manifest"`
	}
	if err := decodeOne(r, &doc); err != nil {
		return nil, pact.Manifest{}, fmt.Errorf("not a Pacte JSON export: %w", err)
	}
	if doc.Items == nil {
		return nil, pact.Manifest{}, errors.New("not a Pacte JSON export: it has no items")
	}
	if doc.Manifest == nil {
		return nil, pact.Manifest{}, errors.New("the file carries no manifest")
	}
	rows := make([]Row, 0, len(doc.Items))
	for i, it := range doc.Items {
		if it.ID == nil || it.Revision == nil || it.Title == nil || it.Summary == nil || it.Body == nil {
			return nil, pact.Manifest{}, fmt.Errorf("item %d lacks one of id, revision, title, summary, body", i+1)
		}
		rows = append(rows, Row{ID: *it.ID, Revision: *it.Revision, Title: *it.Title, Summary: *it.Summary, Body: *it.Body})
	}
	return rows, *doc.Manifest, nil
}

// decodeOne decodes exactly one JSON value: trailing data means the file
// is not what it claims to be.
func decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}
