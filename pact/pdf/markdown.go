package pdf

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// newMarkdown is the parser for measure bodies: CommonMark with GitHub's
// tables, strikethrough, autolinks and task lists, as the portal shows
// them (markdown.Render). Raw HTML is kept as text: a PDF runs nothing.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.GFM))
}

// Indents and gaps of a measure's body, in mm.
const (
	listIndent = 6.0
	paraGap    = 2.2
	codePad    = 2.0
)

// bodyBuilder turns a Markdown body into blocks.
type bodyBuilder struct {
	d      *docBuilder
	source []byte
	quote  int // how deep in block quotes
}

// opts are the options of a paragraph at indent: inside a quote, it sits
// on a tinted ground.
func (bb *bodyBuilder) opts(indent float64, o blockOpts) blockOpts {
	o.indent = indent
	if bb.quote > 0 {
		o.fill, o.pad = quoteFill, 2
	}
	return o
}

// body appends the blocks of a measure's body.
func (d *docBuilder) body(md string) {
	src := []byte(md)
	root := d.markdown.Parser().Parse(text.NewReader(src))
	bb := &bodyBuilder{d: d, source: src}
	bb.blocks(root, 0)
}

func (bb *bodyBuilder) blocks(parent ast.Node, indent float64) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		bb.block(n, indent)
	}
}

func (bb *bodyBuilder) block(n ast.Node, indent float64) {
	d := bb.d
	switch n := n.(type) {
	case *ast.Heading:
		st := headingStyle(n.Level)
		d.para(bb.inlines(n, st), bb.opts(indent, blockOpts{before: 3.5, after: 1.2, keep: true}))
	case *ast.Paragraph:
		d.para(bb.inlines(n, bodyStyle), bb.opts(indent, blockOpts{after: paraGap}))
	case *ast.TextBlock: // an item of a tight list
		d.para(bb.inlines(n, bodyStyle), bb.opts(indent, blockOpts{after: 0.8}))
	case *ast.List:
		bb.list(n, indent)
	case *ast.Blockquote:
		bb.quote++
		bb.blocks(n, indent)
		bb.quote--
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		d.code(bb.lines(n), indent)
	case *ast.HTMLBlock:
		d.code(bb.lines(n), indent)
	case *ast.ThematicBreak:
		d.add(&block{rule: true, height: 4, indent: indent, width: contentWidth - indent, after: paraGap})
	case *east.Table:
		bb.table(n, indent)
	default:
		if n.HasChildren() {
			bb.blocks(n, indent)
		}
	}
}

// lines is the text of a code or HTML block, line by line as written.
func (bb *bodyBuilder) lines(n ast.Node) string {
	var b strings.Builder
	l := n.Lines()
	for i := 0; i < l.Len(); i++ {
		seg := l.At(i)
		b.Write(seg.Value(bb.source))
	}
	if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
		b.Write(h.ClosureLine.Value(bb.source))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (bb *bodyBuilder) list(l *ast.List, indent float64) {
	number := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "•"
		if l.IsOrdered() {
			marker = strconv.Itoa(number) + string(l.Marker)
			number++
		}
		first := len(bb.d.blocks)
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			bb.block(c, indent+listIndent)
		}
		if first < len(bb.d.blocks) {
			b := bb.d.blocks[first]
			if b.para != nil {
				b.marker = bb.d.cell(paragraph{{text: marker, style: bodyStyle}}, listIndent)
			}
		}
	}
	if _, nested := l.Parent().(*ast.ListItem); !nested && len(bb.d.blocks) > 0 {
		bb.d.blocks[len(bb.d.blocks)-1].after = paraGap
	}
}

// table sets a table as rows of equal columns, the header in bold; very
// wide tables become one paragraph per row, "header: value" for each cell.
func (bb *bodyBuilder) table(t *east.Table, indent float64) {
	var rows [][]paragraph
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		st := tableStyle
		if _, header := r.(*east.TableHeader); header {
			st.bold = true
		}
		var cells []paragraph
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			cells = append(cells, bb.inlines(c, st))
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		return
	}
	width := contentWidth - indent
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	if width/float64(cols) < 22 {
		bb.tableAsText(rows, indent)
		return
	}
	colWidth := width / float64(cols)
	for i, r := range rows {
		b := &block{indent: indent, width: width, pad: 1.2}
		if i%2 == 0 {
			b.fill = tableFill
		}
		for j, c := range r {
			b.row = append(b.row, bb.d.cellAt(c, float64(j)*colWidth+1.5, colWidth-3))
		}
		bb.d.add(b)
	}
	bb.d.blocks[len(bb.d.blocks)-1].after = paraGap
}

func (bb *bodyBuilder) tableAsText(rows [][]paragraph, indent float64) {
	header := rows[0]
	for _, r := range rows[1:] {
		var p paragraph
		for j, c := range r {
			if j > 0 {
				p = append(p, span{text: "\n", style: tableStyle})
			}
			if j < len(header) {
				for _, s := range header[j] {
					s.style.bold = true
					p = append(p, s)
				}
				p = append(p, span{text: bb.d.colon, style: tableStyle})
			}
			p = append(p, c...)
		}
		bb.d.para(p, blockOpts{indent: indent, after: paraGap, fill: tableFill, pad: 1.5})
	}
}

// inlines flattens the inline content of n into styled spans. Links are
// their text; images their description.
func (bb *bodyBuilder) inlines(n ast.Node, st style) paragraph {
	var p paragraph
	var walk func(n ast.Node, st style)
	walk = func(n ast.Node, st style) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				p = append(p, span{text: string(c.Value(bb.source)), style: st})
				switch {
				case c.HardLineBreak():
					p = append(p, span{text: "\n", style: st})
				case c.SoftLineBreak():
					p = append(p, span{text: " ", style: st})
				}
			case *ast.String:
				p = append(p, span{text: string(c.Value), style: st})
			case *ast.CodeSpan:
				code := st
				code.mono = true
				code.color = codeColor
				walk(c, code)
			case *ast.Emphasis:
				em := st
				if c.Level >= 2 {
					em.bold = true
				} else {
					em.italic = true
				}
				walk(c, em)
			case *ast.AutoLink:
				p = append(p, span{text: string(c.URL(bb.source)), style: st})
			case *ast.RawHTML:
				segs := c.Segments
				for i := 0; i < segs.Len(); i++ {
					seg := segs.At(i)
					p = append(p, span{text: string(seg.Value(bb.source)), style: st})
				}
			case *east.TaskCheckBox:
				box := "☐ "
				if c.IsChecked {
					box = "☑ "
				}
				p = append(p, span{text: box, style: st})
			default: // links, images, strikethrough: their text
				walk(c, st)
			}
		}
	}
	walk(n, st)
	return p
}
