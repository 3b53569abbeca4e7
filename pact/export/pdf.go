package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"pacte/pact"
	"pacte/pact/pdf"
)

// PDFAttachment is the file a PDF of the Pact carries: its JSON export,
// whose manifest also fingerprints the pages.
const PDFAttachment = "pacte.json"

// PDF attaches the signed JSON export to pages (the rendered PDF of doc)
// in one incremental update, and writes the result. The manifest's
// document digest covers the pages' bytes, which the update leaves as
// they are.
func PDF(w io.Writer, doc *pact.Document, s *pact.Signer, pages []byte) error {
	m := pact.NewManifest(doc, "pdf")
	sum := sha256.Sum256(pages)
	m.Document = &pact.DocumentDigest{Bytes: int64(len(pages)), SHA256: hex.EncodeToString(sum[:])}
	s.Sign(&m)
	var j bytes.Buffer
	if err := JSON(&j, doc, m); err != nil {
		return err
	}
	out, err := pdf.Attach(pages, pdfAttachment(j.Bytes()))
	if err != nil {
		return fmt.Errorf("export: attaching the manifest: %w", err)
	}
	_, err = w.Write(out)
	return err
}

// pdfAttachment describes pacte.json always alike, so that verify can
// make the same update again (PDFOnlyAttached).
func pdfAttachment(data []byte) pdf.File {
	return pdf.File{Name: PDFAttachment, MIME: "application/json", Data: data,
		Description: "The text of every measure and the signed manifest (check with: pacte verify)"}
}

// ReadPDF reads the measures and the manifest from the PDF's pacte.json.
func ReadPDF(file []byte) ([]Row, pact.Manifest, error) {
	data, err := pdfJSON(file)
	if err != nil {
		return nil, pact.Manifest{}, err
	}
	rows, m, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, pact.Manifest{}, fmt.Errorf("its %s: %w", PDFAttachment, err)
	}
	return rows, m, nil
}

func pdfJSON(file []byte) ([]byte, error) {
	files, err := pdf.Attachments(file)
	if err != nil {
		return nil, fmt.Errorf("not a readable PDF: %w", err)
	}
	data, ok := files[PDFAttachment]
	if !ok {
		return nil, errors.New("the PDF carries no " + PDFAttachment + ": it was not made by Pacte, or its attachment was removed")
	}
	return data, nil
}

// PDFOnlyAttached reports whether everything after the first pagesLen
// bytes of file is exactly the update that attaches its pacte.json. A PDF
// reader applies later updates over the pages, so an update added after
// signing could change what the signed pages show while their bytes, and
// so their digest, stay the same.
func PDFOnlyAttached(file []byte, pagesLen int64) (bool, error) {
	if pagesLen < 0 || pagesLen > int64(len(file)) {
		return false, nil
	}
	data, err := pdfJSON(file)
	if err != nil {
		return false, err
	}
	want, err := pdf.Attach(file[:pagesLen], pdfAttachment(data))
	if err != nil {
		return false, nil // the signed bytes alone are not a PDF: not ours
	}
	return bytes.Equal(want, file), nil
}
