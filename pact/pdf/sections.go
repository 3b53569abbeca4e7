package pdf

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"

	"github.com/tdewolff/canvas"
	"github.com/yuin/goldmark"

	"pacte/pact"
)

// docBuilder lays out one document: the blocks of the current flow, and
// the contents' entries that learn their page.
type docBuilder struct {
	s        *setter
	markdown goldmark.Markdown
	doc      *pact.Document
	loc      *time.Location
	colon    string // between a label and its value
	blocks   []*block
	entries  []*tocEntry
}

// tocEntry is a line of the contents: a pillar (0), an axis (1) or a
// measure (2), and the page it starts on.
type tocEntry struct {
	level int
	label string
	page  int
}

type blockOpts struct {
	indent, before, after, pad float64
	keep, newPage              bool
	fill                       color.RGBA
	entry                      *tocEntry
}

func (d *docBuilder) add(b *block) { d.blocks = append(d.blocks, b) }

// take returns the blocks built so far and starts a new flow.
func (d *docBuilder) take() []*block {
	b := d.blocks
	d.blocks = nil
	return b
}

func (d *docBuilder) align() canvas.TextAlign {
	if d.s.rtl {
		return canvas.Right
	}
	return canvas.Left
}

func (d *docBuilder) endAlign() canvas.TextAlign {
	if d.s.rtl {
		return canvas.Left
	}
	return canvas.Right
}

// para adds a paragraph (several blocks when it is huge).
func (d *docBuilder) para(p paragraph, o blockOpts) {
	width := contentWidth - o.indent
	chunks := d.s.prepare(p, width-2*o.pad)
	if len(chunks) == 0 && o.entry != nil {
		chunks = d.s.prepare(paragraph{{text: "—", style: bodyStyle}}, width)
	}
	for i := range chunks {
		b := &block{para: &chunks[i], align: d.align(), indent: o.indent, width: width, pad: o.pad, fill: o.fill, keep: o.keep}
		if i == 0 {
			b.before, b.newPage, b.entry = o.before, o.newPage, o.entry
		}
		if i == len(chunks)-1 {
			b.after = o.after
		}
		d.add(b)
	}
}

// code adds a code block: monospace, on a tinted ground, left to right
// whatever the document's direction.
func (d *docBuilder) code(src string, indent float64) {
	width := contentWidth - indent
	chunks := d.s.prepare(paragraph{{text: src, style: codeStyle}}, width-2*codePad)
	for i := range chunks {
		chunks[i].rtl = false
		b := &block{para: &chunks[i], align: canvas.Left, indent: indent, width: width, pad: codePad, fill: codeFill}
		if i == len(chunks)-1 {
			b.after = paraGap
		}
		d.add(b)
	}
}

func (d *docBuilder) cell(p paragraph, width float64) *cell {
	return d.cellAt(p, 0, width)
}

func (d *docBuilder) cellAt(p paragraph, x, width float64) *cell {
	c := &cell{x: x, width: width, align: d.align()}
	if chunks := d.s.prepare(p, width); len(chunks) > 0 {
		c.para = &chunks[0] // a cell is short; a huge one is cut
	}
	return c
}

func (d *docBuilder) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return pact.FormatDate(t, d.loc, d.doc.Lang)
}

// sprintf fills a label's verbs; a translation that lost them still reads.
func sprintf(format string, args ...any) string {
	s := fmt.Sprintf(format, args...)
	if strings.Contains(s, "%!") {
		return strings.TrimSpace(strings.ReplaceAll(format, "%", "") + " " + fmt.Sprint(args...))
	}
	return s
}

func (d *docBuilder) measureTitle(m pact.Measure) string {
	return sprintf(d.doc.Labels.MeasureNumber, m.ID) + " — " + m.Title
}

// cover draws page 1: title, subtitle, how many measures, when, by whom.
func (d *docBuilder) cover(p *painter, measures int) {
	l := d.doc.Labels
	p.rect(0, 0, pageWidth, 112, primaryColor)
	y := 46.0
	put := func(s string, st style, gap float64) {
		if s == "" {
			return
		}
		chunks := d.s.prepare(paragraph{{text: s, style: st}}, contentWidth)
		for i := range chunks {
			t, _ := d.s.set(&chunks[i], 0, len(chunks[i].text), contentWidth, d.align())
			p.text(t, marginX, y)
			y += t.Height
		}
		y += gap
	}
	put(l.Title, style{size: 30, bold: true, color: white}, 6)
	put(l.Subtitle, style{size: 13, color: white}, 0)
	y = 132
	put(l.MeasureCount, style{size: 16, bold: true, color: primaryColor}, 4)
	put(sprintf(l.Generated, d.date(d.doc.GeneratedAt)), style{size: 11, color: mutedColor}, 0)
	if measures == 0 {
		y += 10
		put(l.Empty, style{size: 11, color: textColor}, 0)
	}
	y = pageHeight - 40
	p.hline(marginX, y, contentWidth, 0.4, ruleColor)
	y += 5
	put(d.doc.Issuer, style{size: 10, color: mutedColor}, 0)
}

// footerTitle is the document's title as the foot of each page shows it.
func (d *docBuilder) footerTitle() *canvas.Text {
	return d.line(d.doc.Labels.Title, footerStyle, d.align())
}

// footer draws the title and "Page x of y" at the foot of every page but
// the cover.
func (d *docBuilder) footer(p *painter, title *canvas.Text, page, total int) {
	y := pageHeight - marginBottom + 10
	p.hline(marginX, y-2.5, contentWidth, 0.25, ruleColor)
	p.text(title, marginX, y)
	p.text(d.line(sprintf(d.doc.Labels.Page, page, total), footerStyle, d.endAlign()), marginX, y)
}

// line lays out a short text across the content box.
func (d *docBuilder) line(s string, st style, align canvas.TextAlign) *canvas.Text {
	chunks := d.s.prepare(paragraph{{text: s, style: st}}, contentWidth)
	if len(chunks) == 0 {
		return nil
	}
	t, _ := d.s.set(&chunks[0], 0, len(chunks[0].text), contentWidth, align)
	return t
}

// contents adds the table of contents: its entries are made as the
// measures are (d.measures), so this only reserves them.
func (d *docBuilder) contents() {
	if len(d.doc.Measures()) == 0 {
		return
	}
	d.para(paragraph{{text: d.doc.Labels.Contents, style: style{size: 18, bold: true, color: primaryColor}}}, blockOpts{after: 6})
	for _, p := range d.doc.Pillars {
		d.entry(0, p.Name, p.Key)
		for _, a := range p.Axes {
			name := a.Name
			if a.Key == "" {
				name = ""
			}
			d.entry(1, name, d.doc.Labels.NoAxis)
			for _, m := range a.Measures {
				d.entry(2, d.measureTitle(m), "")
			}
		}
	}
	d.entry(0, d.doc.Labels.Annex, "")
}

const pageNumberWidth = 12.0

// entry adds a line of the contents, named name (or fallback).
func (d *docBuilder) entry(level int, name, fallback string) {
	if strings.TrimSpace(name) == "" {
		name = fallback
	}
	e := &tocEntry{level: level, label: name}
	d.entries = append(d.entries, e)
	st := []style{
		{size: 11, bold: true, color: primaryColor},
		{size: 10, bold: true, color: textColor},
		{size: 9.5, color: textColor},
	}[level]
	indent := float64(level) * 5
	b := &block{indent: 0, width: contentWidth, before: []float64{4, 1.5, 0.6}[level], keep: level < 2}
	b.row = []*cell{d.cellAt(paragraph{{text: name, style: st}}, indent, contentWidth-indent-pageNumberWidth-3)}
	d.add(b)
}

// pageNumbers fills the contents' page numbers, once pages are known.
func (d *docBuilder) pageNumbers(contents []*block) {
	i := 0
	for _, b := range contents {
		if len(b.row) == 0 || i >= len(d.entries) {
			continue
		}
		e := d.entries[i]
		i++
		st := style{size: 9.5, color: textColor, bold: e.level < 2}
		c := d.cellAt(paragraph{{text: strconv.Itoa(e.page), style: st}}, contentWidth-pageNumberWidth, pageNumberWidth)
		c.align = d.endAlign()
		if c.para != nil {
			c.text, _ = d.s.set(c.para, 0, len(c.para.text), c.width, c.align)
		}
		b.row = append(b.row, c)
	}
}

// measures adds the measures, pillar by pillar and axis by axis; the
// contents' entries (made in the same order) learn their pages.
func (d *docBuilder) measures() error {
	l := d.doc.Labels
	var jobs []measureJob
	next := 0
	entry := func() *tocEntry {
		if next >= len(d.entries) {
			return nil
		}
		next++
		return d.entries[next-1]
	}
	if len(d.doc.Measures()) == 0 {
		d.para(paragraph{{text: l.Empty, style: with(bodyStyle, func(s *style) { s.size = 12 })}}, blockOpts{})
		return nil
	}
	for _, p := range d.doc.Pillars {
		name := p.Name
		if name == "" {
			name = p.Key
		}
		d.para(paragraph{{text: name, style: style{size: 18, bold: true, color: primaryColor}}},
			blockOpts{newPage: true, after: 5, keep: true, entry: entry()})
		for _, a := range p.Axes {
			name := a.Name
			if a.Key == "" || name == "" {
				name = l.NoAxis
			}
			d.para(paragraph{{text: name, style: style{size: 14, bold: true, color: textColor}}},
				blockOpts{before: 7, after: 2, keep: true, entry: entry()})
			d.add(&block{rule: true, height: 1, width: contentWidth, after: 2, keep: true})
			for _, m := range a.Measures {
				jobs = append(jobs, measureJob{m: m, entry: entry(), at: len(d.blocks)})
			}
		}
	}
	// Parsing bodies and choosing fonts is a tenth of a render: measures
	// are built side by side, each with a builder of its own.
	err := parallel(len(jobs), func(i int) {
		sub := &docBuilder{s: newSetter(d.s.tf, d.s.rtl), markdown: d.markdown, doc: d.doc, loc: d.loc, colon: d.colon}
		sub.measure(jobs[i].m, jobs[i].entry)
		jobs[i].blocks = sub.blocks
	})
	if err != nil {
		return err
	}
	var all []*block
	from := 0
	for _, j := range jobs {
		all = append(all, d.blocks[from:j.at]...)
		all = append(all, j.blocks...)
		from = j.at
	}
	d.blocks = append(all, d.blocks[from:]...)
	return nil
}

// measureJob is a measure to build, and where its blocks go.
type measureJob struct {
	m      pact.Measure
	entry  *tocEntry
	at     int // index in the flow before which its blocks go
	blocks []*block
}

func (d *docBuilder) measure(m pact.Measure, e *tocEntry) {
	l := d.doc.Labels
	d.para(paragraph{{text: d.measureTitle(m), style: style{size: 12.5, bold: true, color: primaryColor}}},
		blockOpts{before: 8, after: 1.8, keep: true, entry: e})

	label := with(metaStyle, func(s *style) { s.bold = true })
	meta := func(name, value string) paragraph {
		return paragraph{{text: name + d.colon, style: label}, {text: value, style: metaStyle}}
	}
	var lines []paragraph
	lines = append(lines, meta(l.Lead, m.Lead.Name))
	co := l.NoCosponsors
	if len(m.Cosponsors) > 0 {
		var names []string
		for _, c := range m.Cosponsors {
			names = append(names, c.Name)
		}
		co = strings.Join(names, " · ")
	}
	lines = append(lines, meta(l.Cosponsors, co))
	var when paragraph
	for _, kv := range [][2]string{{l.Approved, d.date(m.ApprovedAt)}, {l.Published, d.date(m.PublishedAt)}, {l.Revision, strconv.Itoa(m.Revision)}} {
		if kv[1] == "" {
			continue
		}
		if len(when) > 0 {
			when = append(when, span{text: "   ·   ", style: metaStyle})
		}
		when = append(when, meta(kv[0], kv[1])...)
	}
	lines = append(lines, when)
	if m.URL != "" {
		lines = append(lines, paragraph{{text: m.URL, style: metaStyle}})
	}
	var all paragraph
	for i, p := range lines {
		if i > 0 {
			all = append(all, span{text: "\n", style: metaStyle})
		}
		all = append(all, p...)
	}
	d.para(all, blockOpts{after: 3, keep: true})

	if strings.TrimSpace(m.Summary) != "" {
		d.para(paragraph{{text: m.Summary, style: with(bodyStyle, func(s *style) { s.size = 10.5 })}},
			blockOpts{after: 3.5, pad: 3, fill: summaryFill, keep: true})
	}
	d.body(m.Body)
}

// annex adds, for each measure, its approved revision and the SHA-256 of
// its text, which the signed manifest attached to the file repeats.
func (d *docBuilder) annex(measures []pact.Measure) {
	l := d.doc.Labels
	var e *tocEntry
	if len(d.entries) > 0 {
		e = d.entries[len(d.entries)-1]
	}
	d.para(paragraph{{text: l.Annex, style: style{size: 18, bold: true, color: primaryColor}}},
		blockOpts{newPage: true, after: 4, entry: e})
	d.para(paragraph{{text: l.AnnexIntro, style: bodyStyle}}, blockOpts{after: 5})
	mono := with(codeStyle, func(s *style) { s.size = 8; s.color = textColor })
	for _, m := range measures {
		p := paragraph{
			{text: d.measureTitle(m), style: with(bodyStyle, func(s *style) { s.bold = true; s.size = 9.5 })},
			{text: "\n", style: metaStyle},
			{text: l.Revision + d.colon, style: with(metaStyle, func(s *style) { s.bold = true })},
			{text: strconv.Itoa(m.Revision) + "   ·   ", style: metaStyle},
			{text: l.Fingerprint + d.colon, style: with(metaStyle, func(s *style) { s.bold = true })},
			{text: "\n", style: metaStyle},
			{text: m.SHA256, style: mono},
		}
		d.para(p, blockOpts{after: 3.2})
	}
}
