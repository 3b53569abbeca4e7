package collab

import (
	"encoding/json"
	"testing"
)

func TestMarshalJSON_RoundTrip(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", `[]`, `[]`},
		{"keep", `[5]`, `[5]`},
		{"insert", `[2,[0,"ok"],8]`, `[2,[0,"ok"],8]`},
		{"delete", `[[3],2]`, `[[3],2]`},
		{"lines", `[[1,"a","","b"]]`, `[[1,"a","","b"]]`},
		{"trailing newline", `[[0,"a",""]]`, `[[0,"a",""]]`},
		{"empty line is a deletion", `[[3,""]]`, `[[3]]`},
		{"no-op insertion", `[[0,""]]`, `[[0]]`},
		{"keeps stay unmerged", `[1,2,0]`, `[1,2,0]`},
		{"spacing dropped", ` [ 1 , [ 0 , "x" ] ] `, `[1,[0,"x"]]`},
		{"unicode as is", `[[0,"مرحبا événement 👍🏽🇲🇦"]]`, `[[0,"مرحبا événement 👍🏽🇲🇦"]]`},
		{"escapes decoded", `[[0,"\u00e9\ud83d\udc4d"]]`, `[[0,"é👍"]]`},
		{"html not escaped", `[[0,"<b>&</b>"]]`, `[[0,"<b>&</b>"]]`},
		{"quotes and controls", `[[0,"\"\\\t"]]`, `[[0,"\"\\\t"]]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustParse(t, tc.in)
			// Called directly: json.Marshal would re-escape <, > and & as
			// \u003c etc., which is equivalent JSON.
			got, err := cs.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("Marshal = %s, want %s", got, tc.want)
			}
			again, err := mustParse(t, string(got)).MarshalJSON()
			if err != nil || string(again) != string(got) {
				t.Errorf("second round trip = %s, %v; want %s", again, err, got)
			}
		})
	}
}

func TestChangeSet_ZeroValue(t *testing.T) {
	var cs ChangeSet
	b, err := json.Marshal(cs)
	if err != nil || string(b) != `[]` {
		t.Errorf("Marshal(zero) = %s, %v", b, err)
	}
	if !cs.Empty() || cs.Length() != 0 {
		t.Error("zero ChangeSet should be empty with length 0")
	}
	out, err := cs.Apply(Doc{})
	if err != nil || out.Len() != 0 {
		t.Errorf("Apply(zero, empty doc) = %q, %v", out.String(), err)
	}
}
