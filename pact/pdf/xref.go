package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// document is a PDF read through its classic cross-reference tables
// (PDF 1.7 §7.5.4), newest section first, so that an object redefined by an
// incremental update is read in its latest version.
type document struct {
	b         []byte
	trailer   pdfDict // the newest trailer
	startxref int     // where the newest cross-reference section begins
	entries   map[int]xrefEntry
}

type xrefEntry struct {
	offset, gen int
	inUse       bool
}

// Limits against hostile or broken files: they bound the work, not what
// a real Pact document needs.
const (
	maxXRefSections  = 1000
	maxObjectNumber  = 8 << 20
	maxRefChain      = 16
	maxEmbeddedBytes = 64 << 20 // all the attachments of a file together
)

var errXRefStream = errors.New("pdf: cross-reference streams (PDF 1.5) are not supported")

func readDocument(b []byte) (*document, error) {
	start, err := findStartXRef(b)
	if err != nil {
		return nil, err
	}
	d := &document{b: b, startxref: start, entries: map[int]xrefEntry{}}
	seen := map[int]bool{}
	for off := start; ; {
		if seen[off] || len(seen) >= maxXRefSections {
			return nil, fmt.Errorf("pdf: cross-reference sections loop at byte %d", off)
		}
		seen[off] = true
		trailer, err := d.readXRefSection(off)
		if err != nil {
			return nil, err
		}
		if d.trailer == nil {
			d.trailer = trailer
		}
		prev, ok := trailer["Prev"]
		if !ok {
			break
		}
		p, ok := prev.(int)
		if !ok {
			return nil, errors.New("pdf: trailer /Prev is not an offset")
		}
		off = p
	}
	if _, ok := d.trailer["Root"].(pdfRef); !ok {
		return nil, errors.New("pdf: trailer has no /Root reference")
	}
	return d, nil
}

// findStartXRef reads the offset after the last "startxref" keyword.
func findStartXRef(b []byte) (int, error) {
	tail := b
	if len(tail) > 4096 {
		tail = tail[len(tail)-4096:]
	}
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, errors.New("pdf: no startxref: not a PDF, or truncated")
	}
	l := lexer{b: b, pos: len(b) - len(tail) + i + len("startxref")}
	off, err := l.integer()
	if err != nil {
		return 0, fmt.Errorf("pdf: startxref: %w", err)
	}
	if off >= len(b) {
		return 0, fmt.Errorf("pdf: startxref %d beyond the end of the file", off)
	}
	return off, nil
}

// readXRefSection reads the table at off into d.entries (keeping entries a
// newer section already gave) and returns the section's trailer.
func (d *document) readXRefSection(off int) (pdfDict, error) {
	if off < 0 || off >= len(d.b) {
		return nil, fmt.Errorf("pdf: cross-reference offset %d out of range", off)
	}
	l := lexer{b: d.b, pos: off}
	l.skipSpace()
	if word := l.regular(); string(word) != "xref" {
		if _, err := strconv.Atoi(string(word)); err == nil {
			return nil, errXRefStream
		}
		return nil, syntaxError(off, "no xref table where startxref points")
	}
	for {
		l.skipSpace()
		save := l.pos
		if string(l.regular()) == "trailer" {
			break
		}
		l.pos = save
		first, err := l.integer()
		if err != nil {
			return nil, err
		}
		count, err := l.integer()
		if err != nil {
			return nil, err
		}
		// An entry takes 20 bytes: refuse counts the file cannot hold.
		if count > (len(d.b)-l.pos)/18 || first+count > maxObjectNumber {
			return nil, syntaxError(l.pos, "cross-reference subsection too large")
		}
		for i := range count {
			offset, err := l.integer()
			if err != nil {
				return nil, err
			}
			gen, err := l.integer()
			if err != nil {
				return nil, err
			}
			l.skipSpace()
			at := l.pos
			kind := string(l.regular())
			if kind != "n" && kind != "f" {
				return nil, syntaxError(at, "cross-reference entry is neither n nor f")
			}
			if _, known := d.entries[first+i]; !known {
				d.entries[first+i] = xrefEntry{offset: offset, gen: gen, inUse: kind == "n"}
			}
		}
	}
	v, err := l.value(0)
	if err != nil {
		return nil, fmt.Errorf("pdf: trailer: %w", err)
	}
	trailer, ok := v.(pdfDict)
	if !ok {
		return nil, syntaxError(l.pos, "trailer is not a dictionary")
	}
	return trailer, nil
}

// object reads indirect object ref; a missing or free object is null.
func (d *document) object(ref pdfRef) (any, error) {
	return d.objectAt(ref, 0)
}

func (d *document) objectAt(ref pdfRef, depth int) (any, error) {
	e, ok := d.entries[ref.num]
	if !ok || !e.inUse || e.gen != ref.gen {
		return nil, nil
	}
	if e.offset < 0 || e.offset >= len(d.b) {
		return nil, fmt.Errorf("pdf: object %d at offset %d out of range", ref.num, e.offset)
	}
	l := lexer{b: d.b, pos: e.offset}
	num, err := l.integer()
	if err != nil {
		return nil, err
	}
	gen, err := l.integer()
	if err != nil {
		return nil, err
	}
	if num != ref.num || gen != ref.gen {
		return nil, fmt.Errorf("pdf: object %d %d R: found %d %d obj at its offset", ref.num, ref.gen, num, gen)
	}
	if err := l.keyword("obj"); err != nil {
		return nil, err
	}
	v, err := l.value(0)
	if err != nil {
		return nil, err
	}
	dict, isDict := v.(pdfDict)
	if !isDict {
		return v, nil
	}
	l.skipSpace()
	if !bytes.HasPrefix(d.b[l.pos:], []byte("stream")) {
		return dict, nil
	}
	l.pos += len("stream")
	// The keyword is followed by CRLF or LF (§7.3.8.1).
	if bytes.HasPrefix(d.b[l.pos:], []byte("\r\n")) {
		l.pos += 2
	} else if l.pos < len(d.b) && d.b[l.pos] == '\n' {
		l.pos++
	}
	raw, err := d.streamData(dict, l.pos, depth)
	if err != nil {
		return nil, fmt.Errorf("pdf: object %d: %w", ref.num, err)
	}
	return pdfStream{dict: dict, raw: raw}, nil
}

// streamData cuts a stream's bytes by its /Length (which may be indirect).
func (d *document) streamData(dict pdfDict, start, depth int) ([]byte, error) {
	if depth >= maxRefChain {
		return nil, errors.New("stream length refers too deep")
	}
	length := dict["Length"]
	if ref, ok := length.(pdfRef); ok {
		v, err := d.objectAt(ref, depth+1)
		if err != nil {
			return nil, err
		}
		length = v
	}
	n, ok := length.(int)
	if !ok || n < 0 || n > len(d.b)-start {
		return nil, errors.New("stream /Length missing or out of range")
	}
	return d.b[start : start+n], nil
}

// resolve follows references until it reaches a direct value.
func (d *document) resolve(v any) (any, error) {
	for range maxRefChain {
		ref, ok := v.(pdfRef)
		if !ok {
			return v, nil
		}
		var err error
		if v, err = d.object(ref); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("pdf: references chain too long")
}

func (d *document) dict(v any) (pdfDict, error) {
	v, err := d.resolve(v)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case pdfDict:
		return v, nil
	case pdfStream:
		return v.dict, nil
	}
	return nil, fmt.Errorf("pdf: want a dictionary, got %T", v)
}

func (d *document) array(v any) (pdfArray, error) {
	v, err := d.resolve(v)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case pdfArray:
		return v, nil
	}
	return nil, fmt.Errorf("pdf: want an array, got %T", v)
}

// catalog returns the document catalog and its reference.
func (d *document) catalog() (pdfDict, pdfRef, error) {
	root := d.trailer["Root"].(pdfRef) // checked by readDocument
	cat, err := d.dict(root)
	if err != nil {
		return nil, root, fmt.Errorf("pdf: catalog: %w", err)
	}
	if cat == nil {
		return nil, root, errors.New("pdf: the catalog is missing")
	}
	return cat, root, nil
}

// decode returns a stream's data, undoing its filter (none or Flate, the
// ones Attach writes), if it is at most limit bytes long.
func decode(s pdfStream, limit int) ([]byte, error) {
	filter := s.dict["Filter"]
	if arr, ok := filter.(pdfArray); ok {
		switch len(arr) {
		case 0:
			filter = nil
		case 1:
			filter = arr[0]
		default:
			return nil, errors.New("pdf: chained stream filters are not supported")
		}
	}
	var out []byte
	switch filter {
	case nil:
		out = s.raw
	case pdfName("FlateDecode"):
		if s.dict["DecodeParms"] != nil {
			return nil, errors.New("pdf: Flate predictors are not supported")
		}
		zr, err := zlib.NewReader(bytes.NewReader(s.raw))
		if err != nil {
			return nil, fmt.Errorf("pdf: inflate: %w", err)
		}
		if out, err = io.ReadAll(io.LimitReader(zr, int64(limit)+1)); err != nil {
			return nil, fmt.Errorf("pdf: inflate: %w", err)
		}
	default:
		return nil, fmt.Errorf("pdf: stream filter %v is not supported", filter)
	}
	if len(out) > limit {
		return nil, fmt.Errorf("pdf: embedded files larger than %d MiB in all", maxEmbeddedBytes>>20)
	}
	return out, nil
}
