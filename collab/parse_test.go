package collab

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseChangeSet_Lengths(t *testing.T) {
	cases := []struct {
		name, changes  string
		length, newLen int
	}{
		{"empty", `[]`, 0, 0},
		{"keep", `[5]`, 5, 5},
		{"delete", `[[5]]`, 5, 0},
		{"insert", `[[0,"abc"]]`, 0, 3},
		{"lines joined by newline", `[[0,"ab","cd"]]`, 0, 5},
		{"astral", `[[0,"👍🏽"]]`, 0, 4},
		{"whitespace allowed", " [ 1 , [ 2 , \"x\" ] ]\n", 3, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustParse(t, tc.changes)
			if cs.Length() != tc.length || cs.NewLength() != tc.newLen {
				t.Errorf("Length, NewLength = %d, %d; want %d, %d",
					cs.Length(), cs.NewLength(), tc.length, tc.newLen)
			}
		})
	}
}

func TestParseChangeSet_Malformed(t *testing.T) {
	cases := []struct{ name, changes, wantMsg string }{
		{"empty input", ``, "empty input"},
		{"blank input", "  \n", "empty input"},
		{"null", `null`, "got null"},
		{"object", `{"a":1}`, "got an object"},
		{"string", `"[1]"`, "got a string"},
		{"number", `5`, "got a number"},
		{"boolean", `true`, "got a boolean"},
		{"invalid json", `[1,`, "invalid JSON"},
		{"trailing garbage", `[1] [2]`, "invalid JSON"},
		{"not json", `hello`, "invalid JSON"},
		{"negative", `[-1]`, "negative"},
		{"negative zero", `[-0]`, "negative"},
		{"fraction", `[1.5]`, "not an integer"},
		{"integral fraction", `[1.0]`, "not an integer"},
		{"exponent", `[1e3]`, "not an integer"},
		{"huge", `[1073741825]`, "larger than"},
		{"huger than int64", `[99999999999999999999999]`, "larger than"},
		{"huge total", `[1073741824,1]`, "total length"},
		{"huge new total", `[[0,"ab"],1073741823]`, "total length"},
		{"string element", `["abc"]`, "got a string"},
		{"null element", `[null]`, "got null"},
		{"bool element", `[true]`, "got a boolean"},
		{"object element", `[{"from":0}]`, "got an object"},
		{"empty nested", `[[]]`, "empty nested array"},
		{"nested starts with string", `[["a"]]`, "must start with a length"},
		{"nested starts with array", `[[[1]]]`, "must start with a length"},
		{"nested starts with null", `[[null,"a"]]`, "must start with a length"},
		{"nested negative", `[[-2,"a"]]`, "negative"},
		{"nested fraction", `[[2.5]]`, "not an integer"},
		{"nested huge", `[[1073741825]]`, "larger than"},
		{"number line", `[[0,1]]`, "want a string, got a number"},
		{"null line", `[[0,"a",null]]`, "want a string, got null"},
		{"array line", `[[0,["a"]]]`, "want a string, got an array"},
		{"object line", `[[0,{}]]`, "want a string, got an object"},
		{"lone high surrogate", `[[0,"\ud83d"]]`, "surrogate"},
		{"lone low surrogate", `[[0,"\udc4d"]]`, "surrogate"},
		{"high then letter", `[[0,"\ud83dx"]]`, "surrogate"},
		{"high then high", `[[0,"\ud83d\ud83d"]]`, "surrogate"},
		{"high then escape", `[[0,"\ud83d\n"]]`, "surrogate"},
		{"invalid utf-8", "[[0,\"\xff\"]]", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseChangeSet(json.RawMessage(tc.changes))
			if err == nil {
				t.Fatalf("ParseChangeSet(%s) succeeded, want error", tc.changes)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantMsg)
			}
		})
	}
}

func TestParseChangeSet_LoneSurrogateIsInvalidText(t *testing.T) {
	_, err := ParseChangeSet(json.RawMessage(`[[0,"\ud83d"]]`))
	if !errors.Is(err, ErrInvalidText) {
		t.Errorf("error %v does not wrap ErrInvalidText", err)
	}
}

func TestChangeSet_UnmarshalJSON(t *testing.T) {
	var v struct {
		Changes ChangeSet `json:"changes"`
	}
	if err := json.Unmarshal([]byte(`{"changes":[1,[0,"x"]]}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Changes.Length() != 1 || v.Changes.NewLength() != 2 {
		t.Errorf("lengths = %d, %d", v.Changes.Length(), v.Changes.NewLength())
	}
	err := json.Unmarshal([]byte(`{"changes":[-1]}`), &v)
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("error = %v, want ErrMalformed", err)
	}
}
