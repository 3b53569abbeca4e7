// Package pact is the Digital Morocco Pact as the public sees it: the
// approved text of every published measure, grouped by pillar and axis.
// The portal, the documents (PDF, print page) and the open-data exports are
// all made from one Document, so they cannot disagree.
package pact

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Document is the Pact at one moment, in one language.
type Document struct {
	Lang        string // fr, en or ar
	Issuer      string // the installation's base URL, e.g. https://pacte.example.ma
	GeneratedAt time.Time
	Labels      Labels
	// Pillars in taxonomy order; only pillars and axes holding a published
	// measure are listed.
	Pillars []Pillar
}

// Pillar is a pillar of Maroc Digital 2030, named in the document's language.
type Pillar struct {
	Key, Name string
	Axes      []Axis
}

// Axis is an axis of a pillar. Key "" holds the pillar's measures that
// have no axis (they come first).
type Axis struct {
	Key, Name string
	Measures  []Measure
}

// Organization is a federation (or the ministry) as the public sees it.
type Organization struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Measure is one published measure: the text of its approved revision, never
// a later draft.
type Measure struct {
	ID                   int64
	Title, Summary, Body string // Body is Markdown
	Pillar, Axis         string // keys
	PillarName, AxisName string // in the document's language
	Lead                 Organization
	Cosponsors           []Organization
	Revision             int    // the approved revision
	SHA256               string // TextHash(Title, Summary, Body)
	ApprovedAt           time.Time
	PublishedAt          time.Time
	URL                  string // its public page, absolute
}

// Measures lists the document's measures in document order.
func (d *Document) Measures() []Measure {
	var out []Measure
	for _, p := range d.Pillars {
		for _, a := range p.Axes {
			out = append(out, a.Measures...)
		}
	}
	return out
}

// TextHash is the SHA-256 (hex) that manifests give for a measure's
// approved text: title, summary and body, each with "\n" line breaks,
// joined by a blank line ("\n\n"), as UTF-8. A change of one byte in any of
// the three changes it.
func TextHash(title, summary, body string) string {
	h := sha256.New()
	for i, s := range []string{title, summary, body} {
		if i > 0 {
			h.Write([]byte("\n\n"))
		}
		h.Write([]byte(unixLines(s)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func unixLines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
}

// Slug makes the readable part of a public address from a title: Latin
// letters lose their accents, other scripts (Arabic) are kept, everything
// else becomes single dashes. It may be empty; the id alone is the key.
func Slug(title string) string {
	var b strings.Builder
	dash := false
runes:
	for _, r := range norm.NFD.String(strings.ToLower(title)) {
		if b.Len() >= 80 {
			break runes
		}
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: drop it (é → e); Arabic marks go too
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}
