// Package fonts holds the typefaces the Pact's documents are set in,
// embedded so that a PDF looks the same on every server:
//
//   - Noto Sans, regular and bold: Latin with French accents.
//   - Noto Sans Arabic, regular and bold: drawn as the Arabic companion of
//     Noto Sans (same weights, x-height and colour on the page), with full
//     OpenType shaping (joining forms, lam-alef, mark positioning). Unlike
//     Noto Naskh Arabic, its cmap maps every joined form and the lam-alef
//     ligatures from the Presentation Forms, so text copied or extracted
//     from the PDF stays Arabic.
//   - DejaVu Sans Mono: code, fingerprints, and the last resort for symbols
//     (arrows, box drawing) the other faces lack.
//
// Licences: OFL-Noto.txt (SIL Open Font License 1.1) and LICENSE-DejaVu.txt
// (Bitstream Vera licence), which travel with the fonts.
package fonts

import _ "embed"

// The font files, as shipped by Debian (fonts-noto-core 20201225,
// fonts-dejavu-core). Callers must not modify them.
var (
	//go:embed NotoSans-Regular.ttf
	SansRegular []byte
	//go:embed NotoSans-Bold.ttf
	SansBold []byte
	//go:embed NotoSansArabic-Regular.ttf
	ArabicRegular []byte
	//go:embed NotoSansArabic-Bold.ttf
	ArabicBold []byte
	//go:embed DejaVuSansMono.ttf
	Mono []byte
)

// The licences, embedded with the fonts so that a binary that carries the
// fonts carries them too (both licences ask for it).
var (
	//go:embed OFL-Noto.txt
	NotoLicence string
	//go:embed LICENSE-DejaVu.txt
	DejaVuLicence string
)
