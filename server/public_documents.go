package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/pact"
	"pacte/pact/export"
	"pacte/pact/pdf"
)

// The Pact's documents (docs/API.md "Documents"): PDF, CSV (+ its manifest),
// JSON and XLSX, each with a manifest signed by the installation's key,
// which /.well-known/pacte-signing-key publishes. Like the pages, each is
// made once per state of the public Pact (public_pact.go).

// pagesRenderer lays out the Pact's pages as PDF (package pact/pdf).
type pagesRenderer interface {
	Render(doc *pact.Document) ([]byte, error)
}

// pactDocument makes one document from a consistent snapshot: when the
// published measures changed while it was being made (a PDF takes a
// while), it is made again, so that a measure unpublished meanwhile is not
// in it.
func (s *Server) pactDocument(ctx context.Context, lang string, write func(doc *pact.Document, buf *bytes.Buffer) error) (*pact.Document, []byte, *pactSnapshot, error) {
	snap, err := s.pactSnapshot(ctx)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Read again, not from the shared snapshot: the change may
			// come from another instance and not be heard here yet.
			snap, err = s.loadPactSnapshot(ctx, s.public.version.Load())
		}
		if err != nil {
			return nil, nil, nil, err
		}
		doc := s.doc(snap, lang)
		var buf bytes.Buffer
		if err := write(doc, &buf); err != nil {
			return nil, nil, nil, err
		}
		if s.cfg.DocumentMade != nil {
			s.cfg.DocumentMade()
		}
		same, err := s.stillCurrent(ctx, snap)
		if err != nil {
			return nil, nil, nil, err
		}
		if same || attempt == 3 {
			if !same {
				s.log.Warn("the public Pact kept changing while a document was made", "lang", lang)
			}
			return doc, buf.Bytes(), snap, nil
		}
	}
}

// fileType is a document's media type.
func fileType(format string) string {
	switch format {
	case "pdf":
		return "application/pdf"
	case "csv":
		return "text/csv; charset=utf-8"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/json; charset=utf-8" // json, csv.manifest
}

// pactFile answers one of the documents.
func (s *Server) pactFile(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := publicLang(c)
		return s.servePublic(c, publicKey{route: "file." + format, lang: lang}, s.pactFileBuilder(format, lang))
	}
}

// pactFileBuilder makes one document of the present public Pact.
func (s *Server) pactFileBuilder(format, lang string) func(ctx context.Context) (*built, error) {
	return func(ctx context.Context) (*built, error) {
		if format == "csv.manifest" {
			return s.csvManifest(ctx, lang)
		}
		_, body, snap, err := s.pactDocument(ctx, lang, func(doc *pact.Document, buf *bytes.Buffer) error {
			switch format {
			case "pdf":
				pages, err := s.pdf.Render(doc)
				if err != nil {
					return err
				}
				return export.PDF(buf, doc, s.signer, pages)
			case "csv":
				return export.CSV(buf, doc)
			case "json":
				m := pact.NewManifest(doc, "json")
				s.signer.Sign(&m)
				return export.JSON(buf, doc, m)
			default:
				m := pact.NewManifest(doc, "xlsx")
				s.signer.Sign(&m)
				return export.XLSX(buf, doc, m)
			}
		})
		if err != nil {
			return nil, err
		}
		b := &built{body: body, contentType: fileType(format), lastModified: snap.changed,
			filename: "pacte-" + lang + "." + format}
		if format == "json" {
			b.filename = "" // read in place by scripts and browsers
		}
		return b, nil
	}
}

// warmDocuments makes the Pact's PDFs (seconds each for hundreds of
// measures) in the background once the public Pact has changed, so that
// the next reader does not wait for them. Run by Start, stopped by Close.
//
// The Pact must stay unchanged for Config.PDFAhead first, so that a burst
// of publications costs one making.
func (s *Server) warmDocuments(ctx context.Context) {
	defer close(s.public.done)
	delay := s.cfg.PDFAhead
	if delay == 0 {
		delay = 2 * time.Second
	}
	if delay < 0 {
		<-ctx.Done()
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.public.changed:
		}
		timer := time.NewTimer(delay)
		for settled := false; !settled; {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-s.public.changed:
				timer.Reset(delay)
			case <-timer.C:
				settled = true
			}
		}
		for _, lang := range models.Locales {
			key := publicKey{route: "file.pdf", lang: lang}
			if _, err := s.publicEntry(ctx, key, s.pactFileBuilder("pdf", lang)); err != nil && ctx.Err() == nil {
				s.log.Warn("the Pact's PDF could not be made ahead", "lang", lang, "err", err)
			}
		}
	}
}

// csvManifest is /pacte.csv.manifest: the signed manifest of the CSV of
// the same state and language. The CSV and its manifest are made from the
// same snapshot (the CSV's own entry, made first if need be).
func (s *Server) csvManifest(ctx context.Context, lang string) (*built, error) {
	snap, err := s.pactSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	doc := s.doc(snap, lang)
	m := pact.NewManifest(doc, "csv")
	s.signer.Sign(&m)
	var buf bytes.Buffer
	if err := export.WriteManifest(&buf, m); err != nil {
		return nil, err
	}
	return &built{body: buf.Bytes(), contentType: "application/json; charset=utf-8", lastModified: snap.changed,
		filename: "pacte-" + lang + ".csv.manifest"}, nil
}

// apiPublicMeasures is GET /api/v1/public/measures: the published measures
// as JSON items (the shape of the JSON export's).
func (s *Server) apiPublicMeasures(c echo.Context) error {
	lang := publicLang(c)
	return s.servePublic(c, publicKey{route: "api.public", lang: lang}, func(ctx context.Context) (*built, error) {
		snap, err := s.pactSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(map[string]any{"items": export.Items(s.doc(snap, lang))})
		if err != nil {
			return nil, err
		}
		return &built{body: body, contentType: "application/json; charset=utf-8", lastModified: snap.changed}, nil
	})
}

// signingKey is GET /.well-known/pacte-signing-key.
func (s *Server) signingKey(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.JSON(http.StatusOK, s.signer.PublicKey())
}

// newPDFRenderer loads the PDF renderer's fonts once.
func newPDFRenderer() (pagesRenderer, error) { return pdf.NewRenderer() }
