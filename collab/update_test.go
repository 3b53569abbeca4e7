package collab

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestUpdate_WireFormat(t *testing.T) {
	const wire = `{"clientID":"c-42","changes":[2,[0,"ok"],1]}`
	var u Update
	if err := json.Unmarshal([]byte(wire), &u); err != nil {
		t.Fatal(err)
	}
	if u.ClientID != "c-42" || string(u.Changes) != `[2,[0,"ok"],1]` {
		t.Errorf("decoded %+v", u)
	}
	cs, err := u.ChangeSet()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := cs.Apply(NewDoc("abc")); err != nil || out.String() != "abokc" {
		t.Errorf("Apply = %q, %v", out.String(), err)
	}
	back, err := json.Marshal(u)
	if err != nil || string(back) != wire {
		t.Errorf("Marshal = %s, %v; want %s", back, err, wire)
	}
}

func TestUpdate_BadChanges(t *testing.T) {
	for _, wire := range []string{`{"clientID":"c"}`, `{"clientID":"c","changes":null}`, `{"clientID":"c","changes":{}}`} {
		var u Update
		if err := json.Unmarshal([]byte(wire), &u); err != nil {
			t.Fatal(err)
		}
		if _, err := u.ChangeSet(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error = %v, want ErrMalformed", wire, err)
		}
	}
}
