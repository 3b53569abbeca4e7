package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// File is a file embedded in a PDF.
type File struct {
	Name, MIME, Description string
	Data                    []byte
}

// Attach appends an incremental update (PDF 1.7 §7.5.6) that embeds the
// files: an EmbeddedFiles name tree in a new version of the catalog (and
// /AF, the PDF 2.0 and PDF/A-3 list of associated files), each file as an
// /EmbeddedFile stream with a /Filespec. Every byte of pdf before the
// update is kept as it is, so what was signed or hashed stays valid.
// Files already attached are kept; one of the same name is replaced.
func Attach(pdf []byte, files ...File) ([]byte, error) {
	if len(files) == 0 {
		return nil, errors.New("pdf: Attach: no file given")
	}
	seen := map[string]bool{}
	for _, f := range files {
		if f.Name == "" || !utf8.ValidString(f.Name) || strings.ContainsAny(f.Name, "/\\\x00") {
			return nil, fmt.Errorf("pdf: Attach: bad file name %q", f.Name)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("pdf: Attach: %q given twice", f.Name)
		}
		seen[f.Name] = true
	}
	doc, cat, names, specs, err := readAttachments(pdf)
	if err != nil {
		return nil, err
	}
	af, err := doc.array(cat["AF"])
	if err != nil {
		return nil, err
	}
	u, err := newUpdate(doc)
	if err != nil {
		return nil, err
	}

	for _, f := range files {
		spec := u.add(fileSpec(f, u.addStream(embeddedFile(f))))
		if old, ok := specs[f.Name].(pdfRef); ok {
			af = slices.DeleteFunc(slices.Clone(af), func(v any) bool { r, ok := v.(pdfRef); return ok && r == old })
		}
		specs[f.Name] = spec
		af = append(af, spec)
	}

	// One flat leaf is a valid name tree; its keys must be sorted (§7.9.6).
	var keys []pdfString
	byKey := map[pdfString]any{}
	for name, spec := range specs {
		k := textString(name)
		keys = append(keys, k)
		byKey[k] = spec
	}
	slices.Sort(keys)
	tree := pdfArray{}
	for _, k := range keys {
		tree = append(tree, k, byKey[k])
	}
	names = cloneDict(names)
	names["EmbeddedFiles"] = pdfDict{"Names": tree}
	next := cloneDict(cat)
	next["Names"] = names
	next["AF"] = af
	return u.write(next)
}

func embeddedFile(f File) (pdfDict, []byte) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(f.Data) // writes to a bytes.Buffer do not fail
	zw.Close()
	sum := md5.Sum(f.Data) // /CheckSum is MD5 by the standard, not for security
	dict := pdfDict{
		"Type":   pdfName("EmbeddedFile"),
		"Filter": pdfName("FlateDecode"),
		"Params": pdfDict{"Size": len(f.Data), "CheckSum": pdfString(sum[:])},
	}
	if f.MIME != "" {
		dict["Subtype"] = pdfName(f.MIME)
	}
	return dict, z.Bytes()
}

func fileSpec(f File, stream pdfRef) pdfDict {
	spec := pdfDict{
		"Type":           pdfName("Filespec"),
		"F":              textString(f.Name),
		"UF":             textString(f.Name),
		"EF":             pdfDict{"F": stream, "UF": stream},
		"AFRelationship": pdfName("Supplement"),
	}
	if f.Description != "" {
		spec["Desc"] = textString(f.Description)
	}
	return spec
}

// Attachments reads back the embedded files of a PDF made by Attach (name →
// content), also after further incremental updates. A PDF without
// attachments gives an empty map.
func Attachments(pdf []byte) (map[string][]byte, error) {
	doc, _, _, specs, err := readAttachments(pdf)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(specs))
	budget := maxEmbeddedBytes // a bomb, or one stream named a thousand times, stops here
	for name, spec := range specs {
		data, err := doc.fileData(spec, budget)
		if err != nil {
			return nil, fmt.Errorf("pdf: attachment %q: %w", name, err)
		}
		budget -= len(data)
		out[name] = data
	}
	return out, nil
}

// readAttachments reads a PDF down to its embedded files: the document,
// its catalog, the catalog's /Names and the file specifications by name.
func readAttachments(pdf []byte) (*document, pdfDict, pdfDict, map[string]any, error) {
	doc, err := readDocument(pdf)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cat, _, err := doc.catalog()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	names, err := doc.namesDict(cat)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	specs, err := doc.embeddedFiles(names)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return doc, cat, names, specs, nil
}

func (d *document) namesDict(cat pdfDict) (pdfDict, error) {
	names, err := d.dict(cat["Names"])
	if err != nil {
		return nil, fmt.Errorf("pdf: catalog /Names: %w", err)
	}
	if names == nil {
		names = pdfDict{}
	}
	return names, nil
}

// embeddedFiles walks the EmbeddedFiles name tree: name → file
// specification (a reference or a dictionary).
func (d *document) embeddedFiles(names pdfDict) (map[string]any, error) {
	out := map[string]any{}
	seen := map[pdfRef]bool{}
	var walk func(node any, depth int) error
	walk = func(node any, depth int) error {
		if depth > maxNesting {
			return errors.New("pdf: name tree too deep")
		}
		if ref, ok := node.(pdfRef); ok {
			if seen[ref] {
				return errors.New("pdf: name tree loops")
			}
			seen[ref] = true
		}
		n, err := d.dict(node)
		if err != nil || n == nil {
			return err
		}
		leaf, err := d.array(n["Names"])
		if err != nil {
			return err
		}
		if len(leaf)%2 != 0 {
			return errors.New("pdf: name tree leaf has an odd length")
		}
		for i := 0; i < len(leaf); i += 2 {
			key, err := d.resolve(leaf[i])
			if err != nil {
				return err
			}
			k, ok := key.(pdfString)
			if !ok {
				return errors.New("pdf: name tree key is not a string")
			}
			out[decodeText(k)] = leaf[i+1]
		}
		kids, err := d.array(n["Kids"])
		if err != nil {
			return err
		}
		for _, kid := range kids {
			if err := walk(kid, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(names["EmbeddedFiles"], 0); err != nil {
		return nil, err
	}
	return out, nil
}

// fileData reads the content of the file a file specification embeds.
func (d *document) fileData(spec any, limit int) ([]byte, error) {
	fs, err := d.dict(spec)
	if err != nil {
		return nil, err
	}
	if fs == nil {
		return nil, errors.New("no file specification")
	}
	ef, err := d.dict(fs["EF"])
	if err != nil {
		return nil, err
	}
	if ef == nil {
		return nil, errors.New("file specification without /EF")
	}
	ref := ef["UF"]
	if ref == nil {
		ref = ef["F"]
	}
	v, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	s, ok := v.(pdfStream)
	if !ok {
		return nil, errors.New("embedded file is not a stream")
	}
	return decode(s, limit)
}

// textString encodes a PDF text string (§7.9.2.2): ASCII as it is,
// anything else as UTF-16BE with a byte order mark.
func textString(s string) pdfString {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return pdfString(s)
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xFE, 0xFF
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return pdfString(b)
}

// decodeText reads a PDF text string: UTF-16BE or UTF-8 with a byte order
// mark, else PDFDocEncoding, read as Latin-1 (they agree on what Attach
// and ordinary file names use).
func decodeText(s pdfString) string {
	b := []byte(s)
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		u := make([]uint16, 0, (len(b)-2)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
