package collab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxLength bounds every length in a parsed ChangeSet, and the total old
// and new lengths. It is far above any real document (CodeMirror itself
// would choke first) but keeps all sums safely inside an int, even on
// 32-bit platforms, whatever a client sends.
const MaxLength = 1 << 30

// ParseChangeSet reads the JSON that CodeMirror's ChangeSet.toJSON()
// produces. It is stricter than CodeMirror's fromJSON, because the input
// comes from the network: lengths must be plain non-negative integers no
// larger than MaxLength, nested arrays must start with such a length and
// hold only strings after it, and strings must be valid Unicode (no
// unpaired surrogate escapes, no invalid UTF-8). Every refusal wraps
// ErrMalformed. Whether the changes fit a document is checked later, by
// Apply.
func ParseChangeSet(raw json.RawMessage) (ChangeSet, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ChangeSet{}, malformed("empty input, want a JSON array")
	}
	if !utf8.Valid(raw) {
		return ChangeSet{}, malformed("input is not valid UTF-8")
	}
	if raw[0] != '[' {
		return ChangeSet{}, malformed("want a JSON array, got %s", kindOf(raw))
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return ChangeSet{}, malformed("invalid JSON: %v", err)
	}
	sections := make([]section, 0, len(parts))
	oldTotal, newTotal := 0, 0
	for i, part := range parts {
		s, err := parsePart(bytes.TrimSpace(part))
		if err != nil {
			return ChangeSet{}, fmt.Errorf("%w: element %d: %w", ErrMalformed, i, err)
		}
		oldTotal += s.old
		if s.keep {
			newTotal += s.old
		} else {
			newTotal += len(s.text)
		}
		if oldTotal > MaxLength || newTotal > MaxLength {
			return ChangeSet{}, malformed("element %d: total length exceeds %d", i, MaxLength)
		}
		sections = append(sections, s)
	}
	return ChangeSet{sections: sections}, nil
}

// parsePart reads one element: a kept length, [deleted length], or
// [replaced length, line, line...].
func parsePart(part []byte) (section, error) {
	switch {
	case len(part) > 0 && (part[0] == '-' || part[0] >= '0' && part[0] <= '9'):
		n, err := parseLength(part)
		return section{old: n, keep: true}, err
	case len(part) > 0 && part[0] == '[':
		return parseReplacement(part)
	}
	return section{}, fmt.Errorf("want a number or an array, got %s", kindOf(part))
}

// parseReplacement reads [n] or [n, "line", ...]; lines are joined with
// "\n" as CodeMirror's Text does.
func parseReplacement(part []byte) (section, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(part, &elems); err != nil {
		return section{}, fmt.Errorf("invalid nested array: %v", err)
	}
	if len(elems) == 0 {
		return section{}, fmt.Errorf("empty nested array, want [length, lines...]")
	}
	first := bytes.TrimSpace(elems[0])
	if len(first) == 0 || first[0] != '-' && (first[0] < '0' || first[0] > '9') {
		return section{}, fmt.Errorf("nested array must start with a length, got %s", kindOf(first))
	}
	n, err := parseLength(first)
	if err != nil {
		return section{}, err
	}
	var text []uint16
	for j, e := range elems[1:] {
		e = bytes.TrimSpace(e)
		if len(e) == 0 || e[0] != '"' {
			return section{}, fmt.Errorf("inserted line %d: want a string, got %s", j, kindOf(e))
		}
		if err := checkSurrogateEscapes(e); err != nil {
			return section{}, fmt.Errorf("inserted line %d: %w", j, err)
		}
		var line string
		if err := json.Unmarshal(e, &line); err != nil {
			return section{}, fmt.Errorf("inserted line %d: %v", j, err)
		}
		if j > 0 {
			text = append(text, '\n')
		}
		text = appendEncoded(text, line)
		if len(text) > MaxLength {
			return section{}, fmt.Errorf("inserted text longer than %d units", MaxLength)
		}
	}
	return section{old: n, text: text}, nil
}

// parseLength reads a JSON number that must be a plain non-negative
// integer no larger than MaxLength. Forms such as 1.0 or 1e2, which a
// JavaScript client never produces for integers, are refused too.
func parseLength(num []byte) (int, error) {
	s := string(num)
	if s[0] == '-' {
		return 0, fmt.Errorf("negative length %s", s)
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("length %s is not an integer", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > MaxLength {
		return 0, fmt.Errorf("length %s is larger than %d", s, MaxLength)
	}
	return n, nil
}

// checkSurrogateEscapes refuses a JSON string literal whose \u escapes
// contain an unpaired surrogate. JavaScript's JSON.stringify writes lone
// surrogates that way, and Go would silently turn them into U+FFFD, so
// the server text would drift from the client's. lit must be a
// syntactically valid string literal.
func checkSurrogateEscapes(lit []byte) error {
	pendingHigh := false
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			if pendingHigh {
				return fmt.Errorf("%w: unpaired high surrogate escape", ErrInvalidText)
			}
			continue
		}
		i++
		if i >= len(lit) || lit[i] != 'u' {
			if pendingHigh {
				return fmt.Errorf("%w: unpaired high surrogate escape", ErrInvalidText)
			}
			continue
		}
		if i+4 >= len(lit) {
			return fmt.Errorf("truncated \\u escape")
		}
		v, err := strconv.ParseUint(string(lit[i+1:i+5]), 16, 16)
		if err != nil {
			return fmt.Errorf("bad \\u escape %q", lit[i+1:i+5])
		}
		i += 4
		u := uint16(v)
		switch {
		case pendingHigh && isLow(u):
			pendingHigh = false
		case pendingHigh || isLow(u):
			return fmt.Errorf("%w: unpaired surrogate escape", ErrInvalidText)
		case isHigh(u):
			pendingHigh = true
		}
	}
	if pendingHigh {
		return fmt.Errorf("%w: unpaired high surrogate escape", ErrInvalidText)
	}
	return nil
}

// kindOf names the JSON type of a raw value, for error messages.
func kindOf(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return "invalid JSON"
}

// malformed builds an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// UnmarshalJSON lets a ChangeSet be a field of a decoded struct; it
// applies the same checks as ParseChangeSet.
func (cs *ChangeSet) UnmarshalJSON(data []byte) error {
	parsed, err := ParseChangeSet(data)
	if err != nil {
		return err
	}
	*cs = parsed
	return nil
}
