package pdf

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/tdewolff/canvas"

	"pacte/pact/fonts"
)

// typefaces are the parsed fonts. They are built once per Renderer and
// only read afterwards, so renders may share them.
type typefaces struct {
	sans, sansBold, arabic, arabicBold, mono *canvas.Font
}

func loadTypefaces() (*typefaces, error) {
	load := func(name string, b []byte, style canvas.FontStyle) (*canvas.Font, error) {
		f, err := canvas.LoadFont(b, 0, style)
		if err != nil {
			return nil, fmt.Errorf("pdf: font %s: %w", name, err)
		}
		return f, nil
	}
	var tf typefaces
	var err error
	if tf.sans, err = load("Noto Sans", fonts.SansRegular, canvas.FontRegular); err != nil {
		return nil, err
	}
	if tf.sansBold, err = load("Noto Sans Bold", fonts.SansBold, canvas.FontBold); err != nil {
		return nil, err
	}
	if tf.arabic, err = load("Noto Sans Arabic", fonts.ArabicRegular, canvas.FontRegular); err != nil {
		return nil, err
	}
	if tf.arabicBold, err = load("Noto Sans Arabic Bold", fonts.ArabicBold, canvas.FontBold); err != nil {
		return nil, err
	}
	if tf.mono, err = load("DejaVu Sans Mono", fonts.Mono, canvas.FontRegular); err != nil {
		return nil, err
	}
	// Noto Sans joins "fi" into one glyph that text extraction gives back
	// as U+FB01: searching the PDF for "fin" would miss it.
	for _, f := range []*canvas.Font{tf.sans, tf.sansBold} {
		f.SetFeatures("-liga")
	}
	for _, f := range []*canvas.Font{tf.arabic, tf.arabicBold} {
		addJoinedForms(f)
		tightenLines(f, 1080, 520)
	}
	return &tf, nil
}

// own gives one render its own copies of the tables that writing a font
// subset changes in place: the subsetter of github.com/tdewolff/font
// "copies" maxp, head, hhea and OS/2 by taking their address, so two
// renders closing at once would write the same structs. The glyph data
// stays shared; it is only read.
func (tf *typefaces) own() *typefaces {
	clone := func(f *canvas.Font) *canvas.Font {
		c, sfnt := *f, *f.SFNT
		maxp, head, hhea := *sfnt.Maxp, *sfnt.Head, *sfnt.Hhea
		sfnt.Maxp, sfnt.Head, sfnt.Hhea = &maxp, &head, &hhea
		if sfnt.OS2 != nil {
			os2 := *sfnt.OS2
			sfnt.OS2 = &os2
		}
		c.SFNT = &sfnt
		return &c
	}
	return &typefaces{
		sans: clone(tf.sans), sansBold: clone(tf.sansBold),
		arabic: clone(tf.arabic), arabicBold: clone(tf.arabicBold),
		mono: clone(tf.mono),
	}
}

// font picks the font for rune r in style st, given the font of the rune
// before (prev, may be nil). Arabic letters always take the Arabic face;
// spaces, digits and punctuation stay in the face of what precedes them
// when it has them, so that a run of Arabic is shaped as one. It returns
// nil when no font has the rune (emoji): the caller drops it.
func (tf *typefaces) font(r rune, st style, prev *canvas.Font) *canvas.Font {
	has := func(f *canvas.Font) bool { return f != nil && f.SFNT.GlyphIndex(r) != 0 }
	arabic, latin := tf.arabic, tf.sans
	if st.bold {
		arabic, latin = tf.arabicBold, tf.sansBold
	}
	if st.mono {
		latin = tf.mono
	}
	switch {
	case unicode.Is(unicode.Arabic, r):
		if has(arabic) {
			return arabic
		}
	case unicode.Is(unicode.Mn, r) || !unicode.IsLetter(r) && !st.mono:
		if (prev == arabic || prev == latin) && has(prev) {
			return prev
		}
	}
	for _, f := range []*canvas.Font{latin, arabic, tf.mono} {
		if has(f) {
			return f
		}
	}
	return nil
}

// joinedForms is a cmap subtable that only answers reverse look-ups. canvas
// writes a PDF's ToUnicode map from the font's cmap; the joined forms of
// Arabic letters that shaping substitutes are not in it as letters, so
// without this table extracted text would be Presentation Forms (or
// nothing). It maps each such glyph back to its letter; lam-alef, one glyph
// for two letters, stays a Presentation Form, which NFKC turns into both.
type joinedForms map[uint16]rune

func (joinedForms) Get(rune) (uint16, bool) { return 0, false }

func (j joinedForms) ToUnicode(glyph uint16) (rune, bool) {
	r, ok := j[glyph]
	return r, ok
}

// addJoinedForms shapes every Arabic letter alone, initial, medial and
// final (joined to tatweels) and puts the glyphs it gets in front of the
// font's cmap for reverse look-ups.
func addJoinedForms(f *canvas.Font) {
	face := f.Face(10, canvas.Black)
	forms := joinedForms{}
	const tatweel = "\u0640"
	for r := rune(0x0620); r <= 0x06FF; r++ {
		if !unicode.IsLetter(r) || r == 0x0640 || f.SFNT.GlyphIndex(r) == 0 {
			continue
		}
		letter := string(r)
		for _, s := range []string{letter, letter + tatweel, tatweel + letter + tatweel, tatweel + letter} {
			at := 0
			if strings.HasPrefix(s, tatweel) {
				at = len(tatweel)
			}
			var ids []uint16
			for _, g := range face.Glyphs(s) {
				if int(g.Cluster) == at {
					ids = append(ids, g.ID)
				}
			}
			if len(ids) == 1 {
				if _, known := forms[ids[0]]; !known {
					forms[ids[0]] = r
				}
			}
		}
	}
	// The subtable type is unexported; growing the slice and assigning
	// into it is how another package can put a table first.
	tables := append(f.SFNT.Cmap.Subtables, nil)
	copy(tables[1:], tables)
	tables[0] = forms
	f.SFNT.Cmap.Subtables = tables
}

// tightenLines sets the ascent and descent canvas spaces lines by (in
// font units). Noto Sans Arabic keeps room for stacked marks, 2.1 em a
// line, which leaves running text looking double-spaced; letters and the
// usual marks fit in less.
func tightenLines(f *canvas.Font, ascent, descent int16) {
	s := f.SFNT
	if s.Hhea != nil {
		s.Hhea.Ascender, s.Hhea.Descender, s.Hhea.LineGap = ascent, -descent, 0
	}
	if s.OS2 != nil {
		s.OS2.STypoAscender, s.OS2.STypoDescender, s.OS2.STypoLineGap = ascent, -descent, 0
		s.OS2.UsWinAscent, s.OS2.UsWinDescent = uint16(ascent), uint16(descent)
	}
}
