// Package verify checks a published document of the Pact (PDF, CSV, JSON
// or XLSX) against its signed manifest: the signature, the fingerprint of
// every measure's text and, for a PDF, its pages. It is `pacte verify`.
package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"pacte/pact"
	"pacte/pact/export"
)

// Options says where to find what the file does not carry itself.
type Options struct {
	// Manifest is a manifest file to use; a CSV's is otherwise looked for
	// beside it (FILE.manifest), and the other formats carry their own.
	Manifest string
	// Key is the public key: an http(s) URL serving the JSON of
	// /.well-known/pacte-signing-key, or a file holding that JSON or the
	// bare base64 key. Empty: fetched from the manifest's issuer.
	Key string
	// Client fetches the key; nil: one with a 10 s timeout.
	Client *http.Client
}

// Report is what a check found. It is good when Problems is empty.
type Report struct {
	File     string
	Format   string // pdf, csv, json or xlsx
	Measures int    // measures in the file
	Issuer   string
	KeyID    string // the key the signature was checked with
	Problems []string
}

// OK: every measure matches and the signature holds.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// ReadError is a file, manifest or key that could not be read: nothing
// was checked (exit code 2, not 1).
type ReadError struct {
	What string // "the file", "the manifest", "the key"
	Err  error
}

func (e *ReadError) Error() string { return "cannot read " + e.What + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// File checks the document at path. The error is a *ReadError; problems
// found in a readable document are in the report.
func File(ctx context.Context, path string, opts Options) (Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Report{File: path}, &ReadError{"the file", unwrapPath(err)}
	}
	return Check(ctx, path, data, opts)
}

// Check checks data, the content of the document called name.
func Check(ctx context.Context, name string, data []byte, opts Options) (Report, error) {
	r := Report{File: name, Format: Detect(data)}
	rows, m, err := read(r.Format, name, data, opts.Manifest)
	if err != nil {
		return r, err
	}
	r.Measures, r.Issuer = len(rows), m.Issuer
	pub, err := loadKey(ctx, opts, m.Issuer)
	if err != nil {
		return r, err
	}
	r.KeyID = pact.KeyIDOf(pub)

	if err := pact.VerifyManifest(m, pub); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	if m.Format != r.Format {
		r.Problems = append(r.Problems, fmt.Sprintf("the manifest was signed for a %s document, not for this %s file", orNone(m.Format), r.Format))
	}
	if r.Format == "pdf" {
		r.Problems = append(r.Problems, checkPages(data, m)...)
	}
	r.Problems = append(r.Problems, compare(rows, m)...)
	return r, nil
}

// Detect tells the format from the first bytes, not from the file's name.
func Detect(data []byte) string {
	text := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(data, []byte("PK")):
		return "xlsx"
	case bytes.HasPrefix(text, []byte("{")):
		return "json"
	}
	return "csv"
}

func read(format, name string, data []byte, manifestPath string) ([]export.Row, pact.Manifest, error) {
	var (
		rows []export.Row
		m    pact.Manifest
		err  error
	)
	switch format {
	case "pdf":
		rows, m, err = export.ReadPDF(data)
	case "xlsx":
		rows, m, err = export.ReadXLSX(bytes.NewReader(data))
	case "json":
		rows, m, err = export.ReadJSON(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	default:
		rows, err = export.ReadCSV(bytes.NewReader(data))
		if err == nil && manifestPath == "" {
			if manifestPath, err = findManifest(name); err != nil {
				return nil, m, &ReadError{"the manifest", err}
			}
		}
	}
	if err != nil {
		return nil, m, &ReadError{"the file", err}
	}
	if manifestPath != "" {
		raw, err := os.ReadFile(manifestPath)
		if err != nil {
			return nil, m, &ReadError{"the manifest", unwrapPath(err)}
		}
		if m, err = export.ReadManifest(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))); err != nil {
			return nil, m, &ReadError{"the manifest " + manifestPath, err}
		}
	}
	return rows, m, nil
}

// findManifest looks beside a CSV for the manifest served at
// /pacte.csv.manifest, as a browser may have saved it.
func findManifest(csvPath string) (string, error) {
	base := strings.TrimSuffix(csvPath, filepath.Ext(csvPath))
	var tried []string
	for _, p := range []string{csvPath + ".manifest", csvPath + ".manifest.json", base + ".csv.manifest", base + ".csv.manifest.json"} {
		if slices.Contains(tried, p) {
			continue
		}
		tried = append(tried, p)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("a CSV's manifest comes apart (it is served at /pacte.csv.manifest) and none is beside it (%s): give it after the file",
		strings.Join(tried, ", "))
}

// checkPages compares a PDF's pages with the digest the manifest signs,
// and makes sure nothing but the manifest was added after them.
func checkPages(data []byte, m pact.Manifest) []string {
	d := m.Document
	if d == nil {
		return []string{"the manifest does not fingerprint the PDF's pages"}
	}
	if d.Bytes <= 0 || d.Bytes > int64(len(data)) {
		return []string{fmt.Sprintf("the PDF's pages differ from the signed ones: the manifest signs %d bytes of pages, the file has %d bytes", d.Bytes, len(data))}
	}
	sum := sha256.Sum256(data[:d.Bytes])
	if hex.EncodeToString(sum[:]) != d.SHA256 {
		return []string{fmt.Sprintf("the PDF's pages differ from the signed ones: the first %d bytes do not have the signed SHA-256", d.Bytes)}
	}
	if ok, err := export.PDFOnlyAttached(data, d.Bytes); err != nil || !ok {
		return []string{"the PDF was changed after it was signed: after the signed pages it holds more than the update that attaches " +
			export.PDFAttachment + " (a later update can change what the pages show)"}
	}
	return nil
}

// compare recomputes the fingerprint of every measure of the file and
// checks it, and its revision, against the manifest; in id order.
func compare(rows []export.Row, m pact.Manifest) []string {
	signed := map[int64]pact.ManifestMeasure{}
	var problems []string
	for _, mm := range m.Measures {
		if _, dup := signed[mm.ID]; dup {
			problems = append(problems, fmt.Sprintf("the manifest lists measure %d twice", mm.ID))
		}
		signed[mm.ID] = mm
	}
	inFile := map[int64]export.Row{}
	var ids []int64
	for _, row := range rows {
		if _, dup := inFile[row.ID]; dup {
			problems = append(problems, fmt.Sprintf("measure %d appears twice in the file", row.ID))
			continue
		}
		inFile[row.ID] = row
		ids = append(ids, row.ID)
	}
	for id := range signed {
		if _, ok := inFile[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		row, here := inFile[id]
		mm, ok := signed[id]
		switch {
		case !here:
			problems = append(problems, fmt.Sprintf("measure %d (revision %d) is in the signed manifest but missing from the file", id, mm.Revision))
		case !ok:
			problems = append(problems, fmt.Sprintf("measure %d %s (revision %d) is in the file but not in the signed manifest", id, quoteTitle(row.Title), row.Revision))
		default:
			if pact.TextHash(row.Title, row.Summary, row.Body) != mm.SHA256 {
				problems = append(problems, fmt.Sprintf("measure %d %s (revision %d): its text differs from the signed one", id, quoteTitle(row.Title), mm.Revision))
			}
			if row.Revision != mm.Revision {
				problems = append(problems, fmt.Sprintf("measure %d %s: the file says revision %d, the signed manifest revision %d", id, quoteTitle(row.Title), row.Revision, mm.Revision))
			}
		}
	}
	return problems
}

// quoteTitle shows a title from the file, safely and not too long.
func quoteTitle(s string) string {
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return "«" + Printable(s) + "»"
}

// Printable replaces what a terminal would act on rather than show
// (control characters, escapes, bidi overrides): a doctored file could
// use them to hide the lines of the report.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) && r != ' ' {
			return utf8.RuneError
		}
		return r
	}, s)
}

func orNone(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return Printable(s)
}

// unwrapPath drops the "open FILE:" prefix the caller already shows.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
