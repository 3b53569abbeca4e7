package server

import (
	"net/url"
	"strings"
)

// localPath is the one judge of every redirect target taken from a request
// (next=, the language switch, the moderation queue): it answers a path on
// this site, or "/".
//
// The value is judged as the browser will read it, not as written: the URL
// standard drops tabs and newlines anywhere, trims control characters and
// spaces at both ends, and reads a backslash as a slash, so "/\t/evil",
// " //evil" and "/\evil" all name another host. What is left must be a path
// that begins with exactly one slash, with no scheme, host or user, and
// whose decoded form does not begin with two slashes either (an encoded
// "%2F" that some later step might decode). The answer is the cleaned,
// re-encoded form, so the Location header never carries what was dropped.
func localPath(raw string) string {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, raw)
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.ReplaceAll(s, `\`, "/")
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return "/"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if strings.HasPrefix(u.Path, "//") || strings.ContainsAny(u.Path, "\\\x00") {
		return "/"
	}
	out := u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\t\r\n ") {
		return "/"
	}
	return out
}
