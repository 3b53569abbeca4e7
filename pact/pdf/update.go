package pdf

import (
	"bytes"
	"fmt"
	"slices"
)

// update is an incremental update (PDF 1.7 §7.5.6): new objects and a new
// version of the catalog, appended after the last byte of the base file
// with their own cross-reference section and trailer. Nothing before it
// changes, so a reader of the old version (or a signature over it) still
// finds it intact.
type update struct {
	doc     *document
	next    int // the next free object number
	objects []newObject
}

type newObject struct {
	num  int
	val  any    // pdfDict, or the dictionary of a stream when data != nil
	data []byte // stream data as written (already encoded)
}

func newUpdate(doc *document) (*update, error) {
	size, ok := doc.trailer["Size"].(int)
	if !ok || size < 1 || size > maxObjectNumber {
		return nil, fmt.Errorf("pdf: trailer /Size missing or out of range")
	}
	return &update{doc: doc, next: size}, nil
}

// add numbers a new object.
func (u *update) add(v any) pdfRef {
	ref := pdfRef{num: u.next}
	u.objects = append(u.objects, newObject{num: u.next, val: v})
	u.next++
	return ref
}

// addStream numbers a new stream; data is written as it is, so dict must
// name its filter.
func (u *update) addStream(dict pdfDict, data []byte) pdfRef {
	dict["Length"] = len(data)
	ref := u.add(dict)
	u.objects[len(u.objects)-1].data = data
	return ref
}

// write returns the base file followed by the update, in which catalog
// replaces the document's catalog.
func (u *update) write(catalog pdfDict) ([]byte, error) {
	_, root, err := u.doc.catalog()
	if err != nil {
		return nil, err
	}
	base := u.doc.b
	var buf bytes.Buffer
	buf.Grow(len(base) + 1024)
	buf.Write(base)
	if len(base) > 0 && base[len(base)-1] != '\n' && base[len(base)-1] != '\r' {
		buf.WriteByte('\n')
	}

	type entry struct{ num, gen, offset int }
	var entries []entry
	writeObject := func(num, gen int, v any, data []byte) error {
		entries = append(entries, entry{num, gen, buf.Len()})
		fmt.Fprintf(&buf, "%d %d obj\n", num, gen)
		if err := writeValue(&buf, v); err != nil {
			return err
		}
		if data != nil {
			buf.WriteString("\nstream\n")
			buf.Write(data)
			buf.WriteString("\nendstream")
		}
		buf.WriteString("\nendobj\n")
		return nil
	}
	if err := writeObject(root.num, root.gen, catalog, nil); err != nil {
		return nil, err
	}
	for _, o := range u.objects {
		if err := writeObject(o.num, 0, o.val, o.data); err != nil {
			return nil, err
		}
	}

	xref := buf.Len()
	slices.SortFunc(entries, func(a, b entry) int { return a.num - b.num })
	buf.WriteString("xref\n")
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].num == entries[j-1].num+1 {
			j++
		}
		fmt.Fprintf(&buf, "%d %d\n", entries[i].num, j-i)
		for _, e := range entries[i:j] {
			fmt.Fprintf(&buf, "%010d %05d n \n", e.offset, e.gen) // 20 bytes each
		}
		i = j
	}

	// The new trailer repeats the previous one's entries (§7.5.6), except
	// those describing the previous section itself.
	trailer := pdfDict{}
	for k, v := range u.doc.trailer {
		if k != "Prev" && k != "XRefStm" {
			trailer[k] = v
		}
	}
	trailer["Size"] = u.next
	trailer["Root"] = root
	trailer["Prev"] = u.doc.startxref
	buf.WriteString("trailer\n")
	if err := writeValue(&buf, trailer); err != nil {
		return nil, err
	}
	fmt.Fprintf(&buf, "\nstartxref\n%d\n%%%%EOF\n", xref)
	return buf.Bytes(), nil
}

// setCatalogEntries appends an update that sets entries of the catalog,
// keeping the others. Render uses it for /Lang, which canvas writes wrong.
func setCatalogEntries(pdf []byte, entries pdfDict) ([]byte, error) {
	doc, err := readDocument(pdf)
	if err != nil {
		return nil, err
	}
	cat, _, err := doc.catalog()
	if err != nil {
		return nil, err
	}
	u, err := newUpdate(doc)
	if err != nil {
		return nil, err
	}
	next := cloneDict(cat)
	for k, v := range entries {
		next[k] = v
	}
	return u.write(next)
}

func cloneDict(d pdfDict) pdfDict {
	out := make(pdfDict, len(d)+2)
	for k, v := range d {
		out[k] = v
	}
	return out
}
