package server

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"pacte/markdown"
	"pacte/models"
)

// Anchored comments quote the Markdown source of a measure, while readers
// see it rendered. To show which words a comment is about, markAnchors wraps
// the quoted words of the rendered (already sanitised) body in
// <mark data-anchor-for="<comment id>">. It works on the parsed tree and
// only ever splits text nodes and adds <mark> elements carrying numbers:
// no text from people is turned into markup here.

// anchorMark is one quote to find.
type anchorMark struct {
	CommentID int64
	Quote     string
	// Pos is where the quote starts, as a fraction of the body's length; it
	// picks between several places that say the same words.
	Pos float64
}

// anchorMarks lists the quotes of a thread's anchored comments (detached
// ones quote words that are gone, so they mark nothing).
func anchorMarks(t *models.CommentThread, bodyLen int) []anchorMark {
	var out []anchorMark
	for _, v := range t.Anchored() {
		a := v.Anchor()
		if a.Detached {
			continue
		}
		pos := 0.0
		if bodyLen > 0 {
			pos = float64(a.From) / float64(bodyLen)
		}
		out = append(out, anchorMark{CommentID: v.ID, Quote: a.Quote, Pos: pos})
	}
	return out
}

// markAnchors returns bodyHTML with every quote it can find marked. A quote
// it cannot find (the rendering changed the words too much) is left out: the
// comment still shows its quote beside the text.
func markAnchors(bodyHTML string, marks []anchorMark) string {
	if len(marks) == 0 {
		return bodyHTML
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(bodyHTML), root)
	if err != nil {
		return bodyHTML
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	changed := false
	for _, m := range marks {
		for _, needle := range quoteForms(m.Quote) {
			if markOnce(root, needle, m) {
				changed = true
				break
			}
		}
	}
	if !changed {
		return bodyHTML
	}
	var buf bytes.Buffer
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		if err := html.Render(&buf, n); err != nil {
			return bodyHTML
		}
	}
	return buf.String()
}

// quoteForms are the ways the quoted words may read once rendered: the
// quote's own rendering (Markdown syntax gone), the raw words, and the words
// without emphasis and heading marks (a quote that cuts a **bold** in half).
func quoteForms(quote string) []string {
	var out []string
	add := func(s string) {
		s = collapseSpace(s)
		if utf8.RuneCountInString(s) < 2 {
			return
		}
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	add(textOf(markdown.Render(quote)))
	add(quote)
	add(strings.Map(func(r rune) rune {
		if strings.ContainsRune("*_`#>~", r) {
			return -1
		}
		return r
	}, quote))
	return out
}

// textOf is the text content of an HTML fragment.
func textOf(fragment string) string {
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return b.String()
}

// collapseSpace trims s and turns every run of white space into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// textPos is where one byte of the flattened text came from.
type textPos struct {
	node *html.Node
	off  int
}

// markOnce finds needle in the text of root (white space collapsed) and
// marks the occurrence closest to m.Pos. It reports whether it found one.
func markOnce(root *html.Node, needle string, m anchorMark) bool {
	var flat []byte
	var from []textPos
	lastSpace := true
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			for i := 0; i < len(n.Data); {
				r, size := utf8.DecodeRuneInString(n.Data[i:])
				if unicode.IsSpace(r) {
					if !lastSpace {
						flat = append(flat, ' ')
						from = append(from, textPos{n, i})
						lastSpace = true
					}
				} else {
					for k := 0; k < size; k++ {
						flat = append(flat, n.Data[i+k])
						from = append(from, textPos{n, i + k})
					}
					lastSpace = false
				}
				i += size
			}
			return
		}
		if n.Type == html.ElementNode && isBlock(n.DataAtom) && !lastSpace {
			// Block boundaries read as a space, as the browser shows them.
			flat = append(flat, ' ')
			from = append(from, textPos{nil, 0})
			lastSpace = true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	text := string(flat)
	best, bestDist := -1, math.Inf(1)
	for start := 0; ; {
		i := strings.Index(text[start:], needle)
		if i < 0 {
			break
		}
		at := start + i
		d := math.Abs(float64(at)/float64(max(len(text), 1)) - m.Pos)
		if d < bestDist {
			best, bestDist = at, d
		}
		start = at + 1
	}
	if best < 0 {
		return false
	}
	// The byte ranges to wrap, per text node, in document order.
	type span struct {
		node       *html.Node
		start, end int
	}
	var spans []span
	for i := best; i < best+len(needle); i++ {
		p := from[i]
		if p.node == nil {
			continue
		}
		if k := len(spans) - 1; k >= 0 && spans[k].node == p.node {
			spans[k].end = p.off + 1
			continue
		}
		spans = append(spans, span{p.node, p.off, p.off + 1})
	}
	first := true
	for _, sp := range spans {
		// A collapsed space maps to the first byte of its run; extend a span
		// to the end of a multi-byte character it ends in.
		for sp.end < len(sp.node.Data) && !utf8.RuneStart(sp.node.Data[sp.end]) {
			sp.end++
		}
		if strings.TrimSpace(sp.node.Data[sp.start:sp.end]) == "" {
			continue
		}
		wrapText(sp.node, sp.start, sp.end, m.CommentID, first)
		first = false
	}
	return !first
}

// wrapText splits a text node around [start, end) and wraps the middle in a
// mark for the comment.
func wrapText(n *html.Node, start, end int, commentID int64, withID bool) {
	parent := n.Parent
	before, middle, after := n.Data[:start], n.Data[start:end], n.Data[end:]
	id := strconv.FormatInt(commentID, 10)
	mark := &html.Node{Type: html.ElementNode, Data: "mark", DataAtom: atom.Mark,
		Attr: []html.Attribute{{Key: "class", Val: "comment-anchor"}, {Key: "data-anchor-for", Val: id}}}
	if withID {
		mark.Attr = append(mark.Attr, html.Attribute{Key: "id", Val: "anchor-" + id})
	}
	mark.AppendChild(&html.Node{Type: html.TextNode, Data: middle})
	if before != "" {
		parent.InsertBefore(&html.Node{Type: html.TextNode, Data: before}, n)
	}
	parent.InsertBefore(mark, n)
	if after != "" {
		parent.InsertBefore(&html.Node{Type: html.TextNode, Data: after}, n)
	}
	parent.RemoveChild(n)
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Blockquote, atom.Pre, atom.Table, atom.Tr, atom.Td, atom.Th,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Br, atom.Hr, atom.Dl, atom.Dt, atom.Dd:
		return true
	}
	return false
}
