package collab

import (
	"fmt"
	"reflect"
	"testing"
)

func TestChangeSet_Empty(t *testing.T) {
	cases := []struct {
		changes string
		want    bool
	}{
		{`[]`, true}, {`[5]`, true}, {`[0,[0],2,[0,""]]`, true},
		{`[[1]]`, false}, {`[[0,"a"]]`, false}, {`[1,[1,"b"]]`, false},
	}
	for _, tc := range cases {
		if got := mustParse(t, tc.changes).Empty(); got != tc.want {
			t.Errorf("Empty(%s) = %v, want %v", tc.changes, got, tc.want)
		}
	}
}

func TestChangeSet_IterChanges(t *testing.T) {
	cases := []struct {
		changes string
		want    []string
	}{
		// CodeMirror's "can be iterated" example.
		{`[4,[0,"ok"],2,[2],2]`, []string{`4-4 -> 4-6 "ok"`, `6-8 -> 8-8 ""`}},
		{`[[1,"a"],[2,"b"],1]`, []string{`0-3 -> 0-2 "ab"`}},
		{`[1,[0],1]`, nil},
		{`[2,[2,"👍🏽"]]`, []string{`2-4 -> 2-6 "👍🏽"`}},
	}
	for _, tc := range cases {
		var got []string
		mustParse(t, tc.changes).IterChanges(func(fromA, toA, fromB, toB int, ins string) {
			got = append(got, fmt.Sprintf("%d-%d -> %d-%d %q", fromA, toA, fromB, toB, ins))
		})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("IterChanges(%s) = %q, want %q", tc.changes, got, tc.want)
		}
	}
}
