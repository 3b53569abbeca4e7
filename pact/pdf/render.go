package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"time"

	canvaspdf "github.com/tdewolff/canvas/renderers/pdf"

	"pacte/pact"
)

// Renderer makes the PDF of the Pact. It holds the parsed fonts, so build
// one at start (NewRenderer) and use it for every document; Render may be
// called from several goroutines at once.
type Renderer struct {
	tf  *typefaces
	loc *time.Location
}

// NewRenderer parses the embedded fonts (tens of milliseconds).
func NewRenderer() (*Renderer, error) {
	tf, err := loadTypefaces()
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		// The server embeds tzdata; a test binary may not. Morocco keeps
		// UTC+1 but during Ramadan, close enough for a date.
		loc = time.FixedZone("+01", 3600)
	}
	return &Renderer{tf: tf, loc: loc}, nil
}

// Render is NewRenderer().Render(doc), for a one-off document: it parses
// the fonts each time.
func Render(doc *pact.Document) ([]byte, error) {
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	return r.Render(doc)
}

// Colours of the document.
var (
	textColor    = color.RGBA{0x1c, 0x1f, 0x24, 0xff}
	primaryColor = color.RGBA{0x0b, 0x3d, 0x6b, 0xff}
	mutedColor   = color.RGBA{0x5b, 0x63, 0x6e, 0xff}
	codeColor    = color.RGBA{0x3a, 0x2e, 0x5c, 0xff}
	ruleColor    = color.RGBA{0xc8, 0xcd, 0xd4, 0xff}
	summaryFill  = color.RGBA{0xea, 0xf1, 0xf8, 0xff}
	codeFill     = color.RGBA{0xf2, 0xf3, 0xf5, 0xff}
	quoteFill    = color.RGBA{0xf7, 0xf5, 0xee, 0xff}
	tableFill    = color.RGBA{0xf4, 0xf6, 0xf9, 0xff}
	white        = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// Text styles; sizes in points.
var (
	bodyStyle   = style{size: 10, color: textColor}
	metaStyle   = style{size: 8.5, color: mutedColor}
	tableStyle  = style{size: 9, color: textColor}
	codeStyle   = style{size: 8.5, mono: true, color: codeColor}
	footerStyle = style{size: 8, color: mutedColor}
)

func headingStyle(level int) style {
	size := []float64{13, 12, 11}[min(max(level, 1), 3)-1]
	return style{size: size, bold: true, color: primaryColor}
}

func with(st style, f func(*style)) style {
	f(&st)
	return st
}

// Render makes the PDF of doc: a cover, the contents, the measures by
// pillar and axis, and an annex of fingerprints; A4, in doc.Lang's
// direction. Any failure, even a panic in a library, comes back as an error.
func (r *Renderer) Render(doc *pact.Document) (pdf []byte, err error) {
	if doc == nil {
		return nil, errors.New("pdf: no document")
	}
	defer func() {
		if p := recover(); p != nil {
			pdf, err = nil, fmt.Errorf("pdf: render: %v", p)
		}
	}()
	rtl := doc.Lang == "ar"
	d := &docBuilder{s: newSetter(r.tf.own(), rtl), markdown: newMarkdown(), doc: doc, loc: r.loc, colon: ": "}
	if doc.Lang == "fr" {
		d.colon = "\u00a0: " // French sets a space before the colon
	}

	// The contents' length does not depend on its page numbers, so it is
	// laid out first; the measures follow it.
	measures := doc.Measures()
	d.contents()
	contents := d.take()
	if err := d.measures(); err != nil {
		return nil, err
	}
	if len(measures) > 0 {
		d.annex(measures)
	}
	flow := d.take()
	if err := layOut(d.s, contents); err != nil {
		return nil, err
	}
	if err := layOut(d.s, flow); err != nil {
		return nil, err
	}
	var contentPages [][]fragment
	if len(contents) > 0 {
		contentPages = paginate(contents)
	}
	flowPages := paginate(flow)
	first := 2 + len(contentPages) // the cover is page 1
	for _, e := range d.entries {
		e.page += first
	}
	total := first - 1 + len(flowPages)
	d.pageNumbers(contents)
	if err := splitText(d.s, contentPages); err != nil {
		return nil, err
	}
	if err := splitText(d.s, flowPages); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	// Uncompressed: compressAndFinish deflates on all CPUs.
	out := canvaspdf.New(&buf, pageWidth, pageHeight, &canvaspdf.Options{SubsetFonts: true})
	// SetLang is left out: this canvas writes the creator as /Lang. The
	// language goes into the catalog below.
	out.SetInfo(doc.Labels.Title, doc.Labels.Subtitle, "", doc.Issuer, "Pacte")
	p := &painter{r: out, rtl: rtl}
	d.cover(p, len(measures))
	footer := d.footerTitle()
	page := 1
	for _, frags := range append(contentPages, flowPages...) {
		page++
		out.NewPage(pageWidth, pageHeight)
		for i := range frags {
			p.fragment(&frags[i])
		}
		d.footer(p, footer, page, total)
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("pdf: write: %w", err)
	}
	catalog := pdfDict{}
	if doc.Lang != "" {
		catalog["Lang"] = textString(doc.Lang)
	}
	if rtl {
		// Viewers show facing pages right to left, as an Arabic book.
		catalog["ViewerPreferences"] = pdfDict{"Direction": pdfName("R2L")}
	}
	return compressAndFinish(buf.Bytes(), catalog)
}
