package pact

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// ManifestMeasure is what a manifest vouches for about one measure: which
// approved revision the document holds and the TextHash of its text.
type ManifestMeasure struct {
	ID       int64  `json:"id"`
	Revision int    `json:"revision"`
	SHA256   string `json:"sha256"`
}

// DocumentDigest fingerprints the bytes of a document that are not measure
// text. For a PDF: the bytes of the pages before the incremental update that
// attaches the manifest, so that the pages can be checked too.
type DocumentDigest struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Manifest is the signed statement that goes with every export: who issued
// it, when, and the fingerprint of every measure it holds. The field order
// here is the order of the canonical form (docs/exports.md): do not reorder.
type Manifest struct {
	Issuer      string            `json:"issuer"`
	GeneratedAt string            `json:"generated_at"` // RFC 3339 UTC
	KeyID       string            `json:"key_id"`
	Format      string            `json:"format"` // pdf, csv, json or xlsx
	Lang        string            `json:"lang,omitempty"`
	Document    *DocumentDigest   `json:"document,omitempty"`
	Measures    []ManifestMeasure `json:"measures"` // in id order
	Signature   string            `json:"signature,omitempty"`
}

// NewManifest lists the measures of doc for an export in format. The
// fingerprints are computed from the text itself rather than copied from
// Measure.SHA256: the manifest must vouch for exactly what the file holds.
// It is not signed yet (Signer.Sign).
func NewManifest(doc *Document, format string) Manifest {
	m := Manifest{
		Issuer:      doc.Issuer,
		GeneratedAt: doc.GeneratedAt.UTC().Format(time.RFC3339),
		Format:      format,
		Lang:        doc.Lang,
		Measures:    []ManifestMeasure{},
	}
	for _, ms := range doc.Measures() {
		m.Measures = append(m.Measures, ManifestMeasure{ID: ms.ID, Revision: ms.Revision,
			SHA256: TextHash(ms.Title, ms.Summary, ms.Body)})
	}
	slices.SortStableFunc(m.Measures, func(a, b ManifestMeasure) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return m
}

// Canonical is the exact byte string that is signed: the manifest without
// its signature as compact JSON, fields in struct order, "<", ">" and "&"
// left as they are (no HTML escaping), no trailing newline. A verifier
// rebuilds it from the fields it read, so indentation or field order in a
// file does not matter, only the values.
func (m Manifest) Canonical() []byte {
	m.Signature = ""
	if m.Measures == nil {
		m.Measures = []ManifestMeasure{} // "[]", never "null"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic("pact: a manifest always encodes: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
