package pdf

import (
	"cmp"
	"image/color"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tdewolff/canvas"
	canvastext "github.com/tdewolff/canvas/text"
)

// style is how a run of text looks.
type style struct {
	size               float64 // points
	bold, italic, mono bool
	color              color.RGBA
}

// span is a run of text in one style, in logical (reading) order.
type span struct {
	text  string
	style style
}

// paragraph is text set in one box, ragged on the end side.
type paragraph []span

// prepared is a paragraph ready to lay out: the text that will be drawn
// (runes no font has are gone, long words got break opportunities) and the
// face of each part.
type prepared struct {
	text  string
	parts []facePart
	rtl   bool // the paragraph's base direction
}

type facePart struct {
	end  int // byte offset in text where the part ends
	face *canvas.FontFace
}

// maxChunk bounds the text laid out at once: canvas's rich text costs the
// product of length and face changes, so a huge paragraph is set as
// several (each starts a new line).
const maxChunk = 6000

// setter turns paragraphs into laid-out text for one document. prepare
// keeps the faces it makes, so only one goroutine may call it.
type setter struct {
	tf    *typefaces
	rtl   bool // the document reads right to left
	faces map[faceKey]*canvas.FontFace
}

type faceKey struct {
	font   *canvas.Font
	size   float64
	italic bool
	color  color.RGBA
}

func newSetter(tf *typefaces, rtl bool) *setter {
	return &setter{tf: tf, rtl: rtl, faces: map[faceKey]*canvas.FontFace{}}
}

// arabicScale sets Arabic a little larger: at the same body size its
// letters look smaller than Latin ones.
const arabicScale = 1.08

func (s *setter) face(f *canvas.Font, st style) *canvas.FontFace {
	size, italic := st.size, st.italic
	if f == s.tf.arabic || f == s.tf.arabicBold {
		size *= arabicScale
		italic = false // Arabic has no italic; a slant would only look broken
	}
	k := faceKey{f, size, italic, st.color}
	if face, ok := s.faces[k]; ok {
		return face
	}
	face := f.Face(size, st.color)
	if italic {
		face.FauxItalic = 0.2 // the fonts have no italic; a slant reads as emphasis
	}
	s.faces[k] = face
	return face
}

// prepare chooses a font for each rune and splits the paragraph into
// chunks of at most maxChunk bytes. width is the box's width in mm, used
// to decide which words are too long to stay whole.
func (s *setter) prepare(p paragraph, width float64) []prepared {
	var out []prepared
	var cur prepared
	var b strings.Builder
	var prevFont *canvas.Font
	var prevFace *canvas.FontFace
	flush := func() {
		if prevFace != nil {
			cur.parts = append(cur.parts, facePart{end: b.Len(), face: prevFace})
		}
		if b.Len() > 0 {
			cur.text = b.String()
			cur.rtl = s.baseRTL(cur.text)
			out = append(out, cur)
		}
		cur, prevFace = prepared{}, nil
		b.Reset()
	}
	for _, sp := range p {
		text := sp.text
		if sp.style.mono {
			text = strings.ReplaceAll(text, "\t", "    ")
		}
		text = breakLongWords(text, width, sp.style)
		for _, r := range text {
			switch {
			case r == '\t':
				r = ' '
			case r == '\r' || r == utf8.RuneError:
				continue
			case r == '\n' || r == '\u200B':
			case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r):
				continue // bidi marks, joiners, selectors: ours decide
			}
			f := prevFont
			if r != '\n' && r != '\u200B' || f == nil {
				// breaks have no glyph: they stay with what they follow
				if f = s.tf.font(r, sp.style, prevFont); f == nil && r != '\n' && r != '\u200B' {
					continue // no glyph anywhere (emoji): dropped, not a box
				}
				if f == nil {
					f = s.tf.sans
				}
			}
			face := s.face(f, sp.style)
			if face != prevFace {
				if prevFace != nil {
					cur.parts = append(cur.parts, facePart{end: b.Len(), face: prevFace})
				}
				prevFace = face
			}
			prevFont = f
			b.WriteRune(r)
			if b.Len() >= maxChunk && (r == ' ' || b.Len() >= maxChunk+200) {
				flush()
			}
		}
	}
	flush()
	return out
}

// baseRTL is the paragraph's direction. In a right-to-left document a
// paragraph with any Arabic reads right to left, even when it opens on a
// French acronym; elsewhere the first strong letter decides (Unicode
// bidi rule P2).
func (s *setter) baseRTL(text string) bool {
	if s.rtl {
		return strings.IndexFunc(text, isRTLLetter) >= 0
	}
	rtl, _ := firstStrong(text)
	return rtl
}

func isRTLLetter(r rune) bool {
	return unicode.IsLetter(r) && unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko)
}

// firstStrong tells the direction of the first letter of text.
func firstStrong(text string) (rtl, found bool) {
	for _, r := range text {
		if unicode.IsLetter(r) {
			return isRTLLetter(r), true
		}
	}
	return false, false
}

// breakLongWords puts zero-width break opportunities into words too long
// for the box (URLs, hashes), after URL punctuation or every few letters.
func breakLongWords(s string, width float64, st style) string {
	// An average letter is about half an em; a word longer than the box
	// holds must be broken somewhere.
	em := st.size * 0.3528 // mm
	maxRunes := int(width / (em * 0.62))
	if maxRunes < 8 {
		maxRunes = 8
	}
	words := strings.Fields(s)
	long := false
	for _, w := range words {
		if utf8.RuneCountInString(w) > maxRunes {
			long = true
			break
		}
	}
	if !long {
		return s
	}
	var b strings.Builder
	run := 0
	for _, r := range s {
		b.WriteRune(r)
		if unicode.IsSpace(r) {
			run = 0
			continue
		}
		run++
		if strings.ContainsRune("/.-_?&=#:,;", r) && run > 4 || run >= maxRunes/2 {
			b.WriteRune('\u200B')
			run = 0
		}
	}
	return b.String()
}

// set lays out p.text[from:to] in a box width mm wide. It returns the
// text and the length of the direction mark it put in front (for lines).
// It only reads s's fonts, so goroutines may call it on the same setter.
func (s *setter) set(p *prepared, from, to int, width float64, align canvas.TextAlign) (*canvas.Text, int) {
	first := p.parts[0].face
	rt := canvas.NewRichText(first)
	// canvas takes a paragraph's direction from its first strong letter
	// (left to right when there is none); a mark says it when that letter
	// would say otherwise: an Arabic paragraph opening on a French acronym,
	// or the part of one after a page break.
	shift := 0
	if detected, _ := firstStrong(p.text[from:to]); detected != p.rtl {
		mark := "\u200E"
		if p.rtl {
			mark = "\u200F"
		}
		rt.WriteString(mark)
		shift = len(mark)
	}
	start := 0
	for _, part := range p.parts {
		a, b := max(start, from), min(part.end, to)
		if a < b {
			rt.WriteFace(part.face, p.text[a:b])
		}
		start = part.end
	}
	t := rt.ToText(width, 0, align, canvas.Top, &canvas.TextOptions{Linebreaker: canvas.GreedyLinebreaker{}})
	fixRightToLeft(t)
	return t, shift
}

// fixRightToLeft corrects two slips of this canvas version in mixed and
// right-to-left lines, in place (WalkLines hands out the lines' own spans):
//
//   - it merges the words of a line into one span but keeps them in
//     logical order, each reversed on its own, so a line of Arabic would
//     read its words backwards. With monotone clusters, the visual order of
//     a right-to-left span is its clusters descending.
//   - it reverses runs of even level as if they were odd, so "SHA-256"
//     inside Arabic came out "256SHA-". The spans are placed again by rule
//     L2 of the Unicode bidi algorithm.
func fixRightToLeft(t *canvas.Text) {
	t.WalkLines(func(_ float64, spans []canvas.TextSpan) {
		for _, sp := range spans {
			if sp.Direction == canvastext.RightToLeft {
				slices.SortStableFunc(sp.Glyphs, func(a, b canvastext.Glyph) int { return cmp.Compare(b.Cluster, a.Cluster) })
			}
		}
		reorderSpans(spans)
	})
}

// reorderSpans places a line's spans (in logical order) left to right by
// rule L2: from the highest level to the lowest odd one, reverse every
// run at that level or higher. The line keeps its left edge.
func reorderSpans(spans []canvas.TextSpan) {
	if len(spans) < 2 {
		return
	}
	left, high, low := spans[0].X, 0, 1<<30
	order := make([]int, len(spans))
	for i, sp := range spans {
		order[i] = i
		left = min(left, sp.X)
		high, low = max(high, sp.Level), min(low, sp.Level)
	}
	if low%2 == 0 {
		low++
	}
	for level := high; level >= low; level-- {
		for i := 0; i < len(order); {
			if spans[order[i]].Level < level {
				i++
				continue
			}
			j := i
			for j < len(order) && spans[order[j]].Level >= level {
				j++
			}
			slices.Reverse(order[i:j])
			i = j
		}
	}
	x := left
	for _, i := range order {
		spans[i].X = x
		x += spans[i].Width
	}
}

// lineBox is one laid-out line: its top and bottom (mm, down from the top
// of the text) and where it starts in the prepared text (-1 when unknown,
// an empty line).
type lineBox struct {
	top, bottom float64
	start       int
}

// lines measures t's lines the way canvas places them: top is the
// baseline less the tallest ascent, bottom the baseline plus the deepest
// descent. shift is the length of a direction mark set before the text.
func lines(t *canvas.Text, from int, shift int) []lineBox {
	var out []lineBox
	t.WalkLines(func(y float64, spans []canvas.TextSpan) {
		baseline := -y
		asc, desc := 0.0, 0.0
		start := -1
		for _, sp := range spans {
			m := sp.Face.Metrics()
			asc, desc = max(asc, m.Ascent), max(desc, m.Descent)
			for _, g := range sp.Glyphs {
				if c := int(g.Cluster); start < 0 || c < start {
					start = c
				}
			}
		}
		if start >= 0 {
			start = max(0, start-shift) + from
		}
		out = append(out, lineBox{top: baseline - asc, bottom: baseline + desc, start: start})
	})
	return out
}
