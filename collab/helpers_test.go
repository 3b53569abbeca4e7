package collab

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// mustParse parses changes JSON or fails the test.
func mustParse(t testing.TB, changes string) ChangeSet {
	t.Helper()
	cs, err := ParseChangeSet(json.RawMessage(changes))
	if err != nil {
		t.Fatalf("ParseChangeSet(%s): %v", changes, err)
	}
	return cs
}

// mustApply applies changes JSON to text or fails the test.
func mustApply(t testing.TB, text, changes string) string {
	t.Helper()
	out, err := mustParse(t, changes).Apply(NewDoc(text))
	if err != nil {
		t.Fatalf("Apply(%q, %s): %v", text, changes, err)
	}
	return out.String()
}

// desc builds a change set from CodeMirror's test notation, e.g.
// "4 0:2 4": a bare number is kept, "len:ins" replaces len units with ins
// units of filler text. Used to port CodeMirror's own mapping tests.
func desc(t testing.TB, spec string) ChangeSet {
	t.Helper()
	var secs []section
	for _, f := range strings.Fields(spec) {
		old, ins, isChange := strings.Cut(f, ":")
		n, err := strconv.Atoi(old)
		if err != nil {
			t.Fatalf("bad spec %q", spec)
		}
		if !isChange {
			secs = append(secs, section{old: n, keep: true})
			continue
		}
		m, err := strconv.Atoi(ins)
		if err != nil {
			t.Fatalf("bad spec %q", spec)
		}
		secs = append(secs, section{old: n, text: encode(strings.Repeat("x", m))})
	}
	return ChangeSet{sections: secs}
}
