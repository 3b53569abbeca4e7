package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// The PDF object model (PDF 1.7 §7.3), just enough to read a catalog, a
// trailer, a name tree and a stream, and to write them back. Attach and
// Attachments read files from outside, so the parser checks every bound
// and returns errors instead of panicking.

type (
	pdfName   string
	pdfString string // raw bytes, as decoded from a literal or hex string
	pdfArray  []any
	pdfDict   map[pdfName]any
	pdfRef    struct{ num, gen int }
	pdfStream struct {
		dict pdfDict
		raw  []byte // the bytes between "stream" and "endstream", still encoded
	}
	pdfKeyword string // obj, endobj, R, stream, xref, trailer…
)

// A value is nil (null), bool, int, float64 or one of the types above.

const maxNesting = 64 // arrays and dictionaries deeper than this are refused

var errSyntax = errors.New("pdf: syntax error")

func syntaxError(pos int, what string) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, pos, what)
}

// lexer reads PDF tokens from b, starting at pos.
type lexer struct {
	b   []byte
	pos int
}

func isWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case isWhite(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// regular reads a run of regular characters (a number or a keyword).
func (l *lexer) regular() []byte {
	start := l.pos
	for l.pos < len(l.b) && !isWhite(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		l.pos++
	}
	return l.b[start:l.pos]
}

// value parses one direct or indirect-reference value.
func (l *lexer) value(depth int) (any, error) {
	if depth > maxNesting {
		return nil, syntaxError(l.pos, "nested too deeply")
	}
	l.skipSpace()
	if l.pos >= len(l.b) {
		return nil, syntaxError(l.pos, "unexpected end of data")
	}
	start := l.pos
	switch c := l.b[l.pos]; c {
	case '/':
		return l.name()
	case '(':
		return l.literalString()
	case '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			return l.dict(depth)
		}
		return l.hexString()
	case '[':
		l.pos++
		var arr pdfArray
		for {
			l.skipSpace()
			if l.pos >= len(l.b) {
				return nil, syntaxError(start, "unterminated array")
			}
			if l.b[l.pos] == ']' {
				l.pos++
				return arr, nil
			}
			v, err := l.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
	case ')', '>', ']', '{', '}':
		return nil, syntaxError(l.pos, fmt.Sprintf("unexpected %q", c))
	}
	word := l.regular()
	if len(word) == 0 {
		return nil, syntaxError(start, "empty token")
	}
	switch string(word) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if n, err := strconv.Atoi(string(word)); err == nil {
		// "num gen R" is a reference; look ahead without consuming.
		save := l.pos
		l.skipSpace()
		if gen, err := strconv.Atoi(string(l.regular())); err == nil && n >= 0 && gen >= 0 {
			l.skipSpace()
			if kw := l.regular(); string(kw) == "R" {
				return pdfRef{n, gen}, nil
			}
		}
		l.pos = save
		return n, nil
	}
	if f, err := strconv.ParseFloat(string(word), 64); err == nil {
		return f, nil
	}
	return pdfKeyword(word), nil
}

func (l *lexer) dict(depth int) (any, error) {
	start := l.pos
	l.pos += 2
	d := pdfDict{}
	for {
		l.skipSpace()
		if l.pos+1 >= len(l.b) {
			return nil, syntaxError(start, "unterminated dictionary")
		}
		if l.b[l.pos] == '>' && l.b[l.pos+1] == '>' {
			l.pos += 2
			return d, nil
		}
		k, err := l.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(pdfName)
		if !ok {
			return nil, syntaxError(l.pos, "dictionary key is not a name")
		}
		v, err := l.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, isKW := v.(pdfKeyword); isKW {
			return nil, syntaxError(l.pos, "keyword as dictionary value")
		}
		d[key] = v
	}
}

func (l *lexer) name() (any, error) {
	l.pos++ // '/'
	var out []byte
	for l.pos < len(l.b) && !isWhite(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		c := l.b[l.pos]
		if c == '#' && l.pos+2 < len(l.b) {
			if v, err := strconv.ParseUint(string(l.b[l.pos+1:l.pos+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				l.pos += 3
				continue
			}
		}
		out = append(out, c)
		l.pos++
	}
	return pdfName(out), nil
}

func (l *lexer) literalString() (any, error) {
	start := l.pos
	l.pos++ // '('
	var out []byte
	open := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			open++
		case ')':
			open--
			if open == 0 {
				return pdfString(out), nil
			}
		case '\\':
			if l.pos >= len(l.b) {
				return nil, syntaxError(start, "unterminated string")
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; i++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and unknown escapes: the character itself
				}
			}
		}
		out = append(out, c)
	}
	return nil, syntaxError(start, "unterminated string")
}

func (l *lexer) hexString() (any, error) {
	start := l.pos
	l.pos++ // '<'
	var out []byte
	half, odd := byte(0), false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		var v byte
		switch {
		case c == '>':
			if odd {
				out = append(out, half<<4)
			}
			return pdfString(out), nil
		case isWhite(c):
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return nil, syntaxError(l.pos-1, "bad hex digit")
		}
		if odd {
			out = append(out, half<<4|v)
		} else {
			half = v
		}
		odd = !odd
	}
	return nil, syntaxError(start, "unterminated hex string")
}

// keyword reads the next token and checks it is the keyword want.
func (l *lexer) keyword(want string) error {
	l.skipSpace()
	at := l.pos
	if got := l.regular(); string(got) != want {
		return syntaxError(at, fmt.Sprintf("want %q, got %q", want, truncate(got, 20)))
	}
	return nil
}

// integer reads the next token as a non-negative integer.
func (l *lexer) integer() (int, error) {
	l.skipSpace()
	at := l.pos
	n, err := strconv.Atoi(string(l.regular()))
	if err != nil || n < 0 {
		return 0, syntaxError(at, "want a non-negative integer")
	}
	return n, nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// writeValue serialises v. Strings are written in hex, so that no byte of
// them needs escaping; dictionary keys are sorted so output is stable.
func writeValue(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case int:
		buf.WriteString(strconv.Itoa(v))
	case float64:
		buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case pdfName:
		writeName(buf, v)
	case pdfString:
		fmt.Fprintf(buf, "<%x>", string(v))
	case pdfRef:
		fmt.Fprintf(buf, "%d %d R", v.num, v.gen)
	case pdfArray:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(' ')
			}
			if err := writeValue(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case pdfDict:
		buf.WriteString("<<")
		for _, k := range sortedKeys(v) {
			writeName(buf, k)
			buf.WriteByte(' ')
			if err := writeValue(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteString(">>")
	default:
		return fmt.Errorf("pdf: cannot write a %T", v)
	}
	return nil
}

func writeName(buf *bytes.Buffer, n pdfName) {
	buf.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < '!' || c > '~' || c == '#' || isDelim(c) {
			fmt.Fprintf(buf, "#%02X", c)
		} else {
			buf.WriteByte(c)
		}
	}
}

func sortedKeys(d pdfDict) []pdfName {
	return slices.Sorted(maps.Keys(d))
}
