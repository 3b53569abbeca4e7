package models

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"strconv"
	"strings"
)

// Personal display values in the event log.
//
// An event's payload names people so that the audit trail and live updates
// can say "Nadia approved" without a lookup: a person object carries a
// "name", an invitation an "email", and a comment's text may mention
// someone (@[Nadia](user:7), rendered <a href="/people/7">@Nadia</a>).
// These display values are the only personal data a payload holds, and
// they are exactly what erasure (erasure.go) rewrites to a pseudonym.
//
// The audit hash chain (audit_chain.go) hashes a payload with these values
// blanked, so erasing a person rewrites old events without breaking the
// chain. The trade-off: someone with write access to the database could
// change a display name in an old event unnoticed; every id, type, time,
// text and decision stays covered.

// personalKeys are the object keys whose values are personal display data.
var personalKeys = map[string]bool{"name": true, "email": true}

// mentionMarkdown and mentionHTML find a mention's display text in a body
// and in its rendering (markdown.Render makes the link).
var (
	mentionMarkdown = regexp.MustCompile(`@\[[^\[\]\n]{1,80}\]\(user:([0-9]{1,18})\)`)
	mentionHTML     = regexp.MustCompile(`(<a href="/people/([0-9]{1,18})"[^>]*>)@[^<]*(</a>)`)
)

// BlankPersonal is a payload with its personal display values blanked:
// the part of an event the hash chain covers. It re-encodes
// deterministically (sorted keys, numbers as written).
func BlankPersonal(payload string) ([]byte, error) {
	v, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	v = walkPersonal(v, func(string, any) any { return "" }, func(string) (string, bool) { return "", true })
	return json.Marshal(v)
}

// rewritePersonal replaces, in a payload, the display values that belong
// to one person: the name and email of the objects that are them, names
// equal to one of theirs, and mentions of their id. It reports whether
// anything changed. Only values BlankPersonal blanks are touched.
func rewritePersonal(payload string, id int64, names map[string]bool, email, pseudonym, pseudoEmail string) (string, bool, error) {
	v, err := decodePayload(payload)
	if err != nil {
		return payload, false, err
	}
	idStr := strconv.FormatInt(id, 10)
	changed := false
	v = walkPersonal(v, func(key string, val any) any {
		switch x := val.(type) {
		case string:
			if key == "email" && x != "" && x == email {
				changed = true
				return pseudoEmail
			}
			if key == "name" && names[x] {
				changed = true
				return pseudonym
			}
		case map[string]any:
			// "changes": {"name": {"from": …, "to": …}} of a renamed profile.
			for k, s := range x {
				if str, ok := s.(string); ok && names[str] {
					x[k] = pseudonym
					changed = true
				}
			}
		}
		return val
	}, func(mentionID string) (string, bool) {
		if mentionID == idStr {
			changed = true
			return pseudonym, true
		}
		return "", false
	})
	if !changed {
		return payload, false, nil
	}
	out, err := json.Marshal(v)
	return string(out), true, err
}

func decodePayload(payload string) (any, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(payload)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// walkPersonal visits every personal key's value (key returns its
// replacement) and every mention in every string (mention gets the id and
// returns the new display text, and false to leave it).
func walkPersonal(v any, key func(string, any) any, mention func(id string) (string, bool)) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if personalKeys[k] {
				x[k] = key(k, val)
				continue
			}
			x[k] = walkPersonal(val, key, mention)
		}
		return x
	case []any:
		for i := range x {
			x[i] = walkPersonal(x[i], key, mention)
		}
		return x
	case string:
		return rewriteMentions(x, mention)
	}
	return v
}

// rewriteMentions replaces mention display texts in s.
func rewriteMentions(s string, mention func(id string) (string, bool)) string {
	if !strings.Contains(s, "@") {
		return s
	}
	s = mentionMarkdown.ReplaceAllStringFunc(s, func(m string) string {
		id := mentionMarkdown.FindStringSubmatch(m)[1]
		text, ok := mention(id)
		if !ok {
			return m
		}
		return "@[" + text + "](user:" + id + ")"
	})
	return mentionHTML.ReplaceAllStringFunc(s, func(m string) string {
		g := mentionHTML.FindStringSubmatch(m)
		text, ok := mention(g[2])
		if !ok {
			return m
		}
		return g[1] + "@" + html.EscapeString(text) + g[3]
	})
}
