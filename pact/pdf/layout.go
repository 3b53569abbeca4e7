package pdf

import (
	"fmt"
	"image/color"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tdewolff/canvas"
)

// Page geometry, in millimetres: A4.
const (
	pageWidth, pageHeight = 210.0, 297.0
	marginX               = 22.0
	marginTop             = 22.0
	marginBottom          = 24.0 // the footer sits in it
	contentWidth          = pageWidth - 2*marginX
	flowBottom            = pageHeight - marginBottom
)

// block is a unit of the page flow: a paragraph, which may break across
// pages between lines, or a row of cells or a rule, which never break.
// Offsets are from the start side of the content box (the right in
// Arabic), so a builder never thinks about direction.
type block struct {
	para  *prepared
	align canvas.TextAlign
	text  *canvas.Text // para laid out whole
	lines []lineBox

	row    []*cell // cells side by side
	rule   bool
	height float64 // of a row or a rule

	marker        *cell // a list's bullet or number, before the first line
	indent, width float64
	before, after float64
	pad           float64    // between the background's edge and the text
	fill          color.RGBA // the background; transparent for none
	keep          bool       // on the same page as the start of the next block
	newPage       bool
	entry         *tocEntry // learns the page the block starts on
}

// cell is text in a box of its own: a table cell, a list marker, a page
// number. x is from the start side of its block.
type cell struct {
	para     *prepared
	x, width float64
	align    canvas.TextAlign
	text     *canvas.Text
}

func (b *block) textWidth() float64 { return b.width - 2*b.pad }

// fullHeight is the height the block takes when it is not broken.
func (b *block) fullHeight() float64 {
	if b.para == nil {
		return b.height
	}
	return b.linesHeight(0, len(b.lines)) + 2*b.pad
}

func (b *block) linesHeight(from, to int) float64 {
	if to <= from {
		return 0
	}
	return b.lines[to-1].bottom - b.lines[from].top
}

// headHeight is what must fit at the foot of a page for a heading kept
// with this block not to be left alone there: two lines of a paragraph.
func (b *block) headHeight() float64 {
	if b.para == nil {
		return b.height
	}
	return b.linesHeight(0, min(2, len(b.lines))) + 2*b.pad
}

// layOut sets every paragraph and cell of blocks, on all CPUs: shaping is
// most of a render's time, and paragraphs do not depend on each other.
func layOut(s *setter, blocks []*block) error {
	type job struct {
		b *block
		c *cell
	}
	var jobs []job
	for _, b := range blocks {
		if b.para != nil {
			jobs = append(jobs, job{b: b})
		}
		if b.marker != nil {
			jobs = append(jobs, job{c: b.marker})
		}
		for _, c := range b.row {
			jobs = append(jobs, job{c: c})
		}
	}
	err := parallel(len(jobs), func(i int) {
		j := jobs[i]
		if j.c != nil {
			if j.c.para != nil {
				j.c.text, _ = s.set(j.c.para, 0, len(j.c.para.text), j.c.width, j.c.align)
			}
			return
		}
		b := j.b
		var shift int
		b.text, shift = s.set(b.para, 0, len(b.para.text), b.textWidth(), b.align)
		b.lines = lines(b.text, 0, shift)
	})
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if b.para != nil && len(b.lines) == 0 {
			b.para, b.text, b.height = nil, nil, 0 // nothing drawable was left
		}
		if len(b.row) > 0 {
			h := 0.0
			for _, c := range b.row {
				if c.text != nil {
					h = max(h, c.text.Height)
				}
			}
			b.height = h + 2*b.pad
		}
	}
	return nil
}

// parallel runs job(0) … job(n-1) on all CPUs. A panic in a job (canvas
// has a few on input it does not expect) becomes an error.
func parallel(n int, job func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("pdf: layout: %v", p)
					}
					mu.Unlock()
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				job(i)
			}
		}()
	}
	wg.Wait()
	return first
}

// fragment is the part of a block on one page.
type fragment struct {
	b        *block
	from, to int     // lines [from, to) of a paragraph
	y        float64 // its top, in mm down from the top of the page
	text     *canvas.Text
}

func (f *fragment) height() float64 {
	if f.b.para == nil {
		return f.b.height
	}
	return f.b.linesHeight(f.from, f.to) + 2*f.b.pad
}

// paginate places blocks on pages, from the top of the first. Paragraphs
// break between lines; a block marked keep goes to the next page rather
// than end one.
func paginate(blocks []*block) [][]fragment {
	var pages [][]fragment
	var cur []fragment
	y := marginTop
	newPage := func() {
		pages = append(pages, cur)
		cur, y = nil, marginTop
	}
	for i, b := range blocks {
		if b.para == nil && b.height == 0 && !b.rule {
			continue
		}
		if b.newPage && len(cur) > 0 {
			newPage()
		}
		if len(cur) > 0 {
			y += b.before
		}
		if need := keepHeight(blocks, i); len(cur) > 0 && y+need > flowBottom && need <= flowBottom-marginTop {
			newPage()
		}
		if b.entry != nil {
			b.entry.page = len(pages) // an index for now; the caller adds the offset
		}
		if b.para == nil {
			if y+b.height > flowBottom && len(cur) > 0 {
				newPage()
				if b.entry != nil {
					b.entry.page = len(pages)
				}
			}
			cur = append(cur, fragment{b: b, y: y})
			y += b.height + b.after
			continue
		}
		n := len(b.lines)
		for k := 0; k < n; {
			avail := flowBottom - y - 2*b.pad
			j := k
			for j < n && b.linesHeight(k, j+1) <= avail {
				j++
			}
			if j < n && len(cur) > 0 {
				// No line alone on either side of a break: a short
				// paragraph goes over whole (which also spares laying it
				// out again in parts), a long one leaves two lines.
				switch {
				case k == 0 && (n <= 4 || j < 2):
					j = k
				case n-j < 2:
					j = n - 2
				}
				if j-k < 2 {
					j = k
				}
			}
			for j > k && j < n && b.lines[j].start < 0 {
				j-- // break only where a line's text is known to start
			}
			if j == k {
				if len(cur) > 0 {
					newPage()
					if k == 0 && b.entry != nil {
						b.entry.page = len(pages)
					}
					continue
				}
				j = k + 1 // taller than a page: set it anyway
				for j < n && b.lines[j].start < 0 {
					j++
				}
			}
			cur = append(cur, fragment{b: b, from: k, to: j, y: y})
			y += b.linesHeight(k, j) + 2*b.pad
			if k = j; k < n {
				newPage()
			}
		}
		y += b.after
	}
	if len(cur) > 0 || len(pages) == 0 {
		pages = append(pages, cur)
	}
	return pages
}

// keepHeight is the room block i needs at the foot of a page: itself and
// the blocks it is kept with, up to the head of the first one not kept.
func keepHeight(blocks []*block, i int) float64 {
	need := 0.0
	for j := i; j < len(blocks); j++ {
		b := blocks[j]
		if j > i {
			need += b.before
		}
		if !b.keep || j == len(blocks)-1 {
			if j == i {
				return b.headHeight()
			}
			return need + b.headHeight()
		}
		need += b.fullHeight() + b.after
	}
	return need
}

// splitText lays out the fragments that hold part of a paragraph: the
// part from the start of its first line to the start of the line after.
func splitText(s *setter, pages [][]fragment) error {
	var parts []*fragment
	for _, p := range pages {
		for i := range p {
			if f := &p[i]; f.b.para != nil && (f.from > 0 || f.to < len(f.b.lines)) {
				parts = append(parts, f)
			}
		}
	}
	return parallel(len(parts), func(i int) {
		f := parts[i]
		from, to := f.b.lines[f.from].start, len(f.b.para.text)
		if f.to < len(f.b.lines) {
			to = f.b.lines[f.to].start
		}
		f.text, _ = s.set(f.b.para, from, to, f.b.textWidth(), f.b.align)
	})
}

// painter draws on the pages of a PDF, in mm from the top left of the
// page, mirroring offsets for right-to-left documents.
type painter struct {
	r   canvas.Renderer
	rtl bool
}

// boxX is the left edge of a box indent mm from the start side of the
// content box.
func (p *painter) boxX(indent, width float64) float64 {
	if p.rtl {
		return marginX + contentWidth - indent - width
	}
	return marginX + indent
}

func (p *painter) text(t *canvas.Text, x, y float64) {
	if t != nil && !t.Empty() {
		p.r.RenderText(t, canvas.Identity.Translate(x, pageHeight-y))
	}
}

func (p *painter) rect(x, y, w, h float64, fill color.RGBA) {
	st := canvas.DefaultStyle
	st.Fill = canvas.Paint{Color: fill}
	p.r.RenderPath(canvas.Rectangle(w, h), st, canvas.Identity.Translate(x, pageHeight-y-h))
}

func (p *painter) hline(x, y, w, thickness float64, col color.RGBA) {
	p.rect(x, y-thickness/2, w, thickness, col)
}

func (p *painter) fragment(f *fragment) {
	b := f.b
	x := p.boxX(b.indent, b.width)
	h := f.height()
	if b.fill.A > 0 {
		p.rect(x, f.y, b.width, h, b.fill)
	}
	switch {
	case b.rule:
		p.hline(x, f.y+b.height/2, b.width, 0.3, ruleColor)
	case b.para == nil:
		for _, c := range b.row {
			cx := x + c.x
			if p.rtl {
				cx = x + b.width - c.x - c.width
			}
			p.text(c.text, cx, f.y+b.pad)
		}
	default:
		t := f.text
		if t == nil {
			t = b.text
		}
		p.text(t, x+b.pad, f.y+b.pad)
		if m := b.marker; m != nil && f.from == 0 && m.text != nil {
			mx := x - m.width
			if p.rtl {
				mx = x + b.width
			}
			// line the marker's baseline up with the first line's
			dy := firstBaseline(t) - firstBaseline(m.text)
			p.text(m.text, mx, f.y+b.pad+dy)
		}
	}
}

func firstBaseline(t *canvas.Text) float64 {
	y, found := 0.0, false
	t.WalkLines(func(ly float64, _ []canvas.TextSpan) {
		if !found {
			y, found = -ly, true
		}
	})
	return y
}
