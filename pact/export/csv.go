package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"pacte/pact"
)

// utf8BOM starts the CSV so that Excel reads it as UTF-8 (Arabic included).
const utf8BOM = "\uFEFF"

// CSV writes one row per measure under the Columns header: UTF-8 with a
// BOM, CRLF line ends, RFC 4180 quoting. Its manifest is served apart
// (WriteManifest). Line breaks inside a text are written CRLF too, which
// the fingerprint ignores (pact.TextHash).
func CSV(w io.Writer, doc *pact.Document) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Columns()); err != nil {
		return err
	}
	for _, m := range doc.Measures() {
		rec := record(m)
		for i, v := range rec {
			rec[i] = csvEscape(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvEscape keeps a spreadsheet from running a cell as a formula: a cell
// that starts with = + - @, a tab or a carriage return gets a leading
// apostrophe, and so does one that starts with an apostrophe, so that
// reading drops exactly one and gets the text back. The line breaks are
// made "\n" first because encoding/csv, writing CRLF, would drop a lone
// "\r" (the fingerprint reads "\r" as "\n": nothing is lost).
func csvEscape(s string) string {
	if strings.Contains(s, "\r") {
		s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	}
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvUnescape(s string) string { return strings.TrimPrefix(s, "'") }

// ReadCSV reads the measures of a CSV export (its manifest comes apart:
// ReadManifest). Columns it does not know are ignored.
func ReadCSV(r io.Reader) ([]Row, error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, []byte(utf8BOM)) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("not a CSV file: %w", err)
	}
	t, err := newTable(header)
	if err != nil {
		return nil, fmt.Errorf("not a Pacte CSV export: %w", err)
	}
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not a readable CSV file: %w", err)
		}
		row, err := t.row(rec, line, csvUnescape)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
}
