package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"slices"
	"sync"
)

// compressAndFinish rewrites a PDF that canvas wrote uncompressed: every
// stream without a filter is deflated, on all CPUs, and entries are set in
// the catalog. canvas deflates page by page as it writes, on one CPU, with
// a new compressor for each page; for the 300-measure Pact that was half
// the time of a render. The catalog entries are the ones canvas cannot
// write (its SetLang writes the creator as /Lang).
func compressAndFinish(pdf []byte, catalog pdfDict) ([]byte, error) {
	doc, err := readDocument(pdf)
	if err != nil {
		return nil, err
	}
	_, root, err := doc.catalog()
	if err != nil {
		return nil, err
	}
	nums := make([]int, 0, len(doc.entries))
	for n, e := range doc.entries {
		if e.inUse && n > 0 {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	objects := make([]any, len(nums))
	for i, n := range nums {
		if objects[i], err = doc.object(pdfRef{n, doc.entries[n].gen}); err != nil {
			return nil, err
		}
	}
	i := slices.Index(nums, root.num)
	if i < 0 {
		return nil, fmt.Errorf("pdf: no catalog object %d", root.num)
	}
	if cat, ok := objects[i].(pdfDict); ok {
		for k, v := range catalog {
			cat[k] = v
		}
	}

	var pool sync.Pool
	err = parallel(len(objects), func(i int) {
		s, ok := objects[i].(pdfStream)
		if !ok || s.dict["Filter"] != nil || len(s.raw) < 64 {
			return
		}
		var buf bytes.Buffer
		buf.Grow(len(s.raw) / 3)
		zw, _ := pool.Get().(*zlib.Writer)
		if zw == nil {
			zw, _ = zlib.NewWriterLevel(&buf, flate.DefaultCompression) // a valid level: no error
		} else {
			zw.Reset(&buf)
		}
		zw.Write(s.raw) // to a bytes.Buffer: no error
		zw.Close()
		pool.Put(zw)
		dict := cloneDict(s.dict)
		dict["Filter"] = pdfName("FlateDecode")
		objects[i] = pdfStream{dict: dict, raw: buf.Bytes()}
	})
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	out.Grow(len(pdf) / 3)
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(nums))
	for i, n := range nums {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d %d obj\n", n, doc.entries[n].gen)
		v := objects[i]
		if s, ok := v.(pdfStream); ok {
			s.dict["Length"] = len(s.raw)
			v = s.dict
		}
		if err := writeValue(&out, v); err != nil {
			return nil, err
		}
		if s, ok := objects[i].(pdfStream); ok {
			out.WriteString("\nstream\n")
			out.Write(s.raw)
			out.WriteString("\nendstream")
		}
		out.WriteString("\nendobj\n")
	}
	xref := out.Len()
	size := nums[len(nums)-1] + 1
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", size)
	next := 0
	for n := 1; n < size; n++ {
		if next < len(nums) && nums[next] == n {
			fmt.Fprintf(&out, "%010d %05d n \n", offsets[next], doc.entries[n].gen)
			next++
		} else {
			out.WriteString("0000000000 65535 f \n")
		}
	}
	trailer := pdfDict{"Size": size, "Root": root}
	if info, ok := doc.trailer["Info"]; ok {
		trailer["Info"] = info
	}
	out.WriteString("trailer\n")
	if err := writeValue(&out, trailer); err != nil {
		return nil, err
	}
	fmt.Fprintf(&out, "\nstartxref\n%d\n%%%%EOF\n", xref)
	return out.Bytes(), nil
}
