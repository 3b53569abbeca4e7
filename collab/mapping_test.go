package collab

import "testing"

// TestMapPos_CodeMirror ports the simple-mode cases of CodeMirror's own
// mapPos tests (test/test-change.ts), in its "len" / "len:ins" notation.
func TestMapPos_CodeMirror(t *testing.T) {
	type c struct{ pos, want, assoc int }
	cases := []struct {
		name, spec string
		cases      []c
	}{
		{"through an insertion", "4 0:2 4",
			[]c{{0, 0, -1}, {4, 4, -1}, {4, 6, 1}, {5, 7, -1}, {8, 10, -1}}},
		{"through a deletion", "4 4:0 4",
			[]c{{0, 0, -1}, {4, 4, -1}, {5, 4, -1}, {7, 4, -1}, {8, 4, -1}, {9, 5, -1}, {12, 8, -1}}},
		{"through multiple insertions", "0:2 2 0:2 2 0:2",
			[]c{{0, 0, -1}, {0, 2, 1}, {1, 3, -1}, {2, 4, -1}, {2, 6, 1}, {3, 7, -1}, {4, 8, -1}, {4, 10, 1}}},
		{"through multiple deletions", "2:0 2 2:0 2 2:0",
			[]c{{0, 0, -1}, {1, 0, -1}, {2, 0, -1}, {3, 1, -1}, {4, 2, -1}, {5, 2, -1}, {6, 2, -1},
				{7, 3, -1}, {8, 4, -1}, {9, 4, -1}, {10, 4, -1}}},
		{"through mixed edits", "2 0:2 2:0 0:2 2 2:0 0:2",
			[]c{{0, 0, -1}, {2, 2, -1}, {2, 4, 1}, {3, 4, -1}, {4, 4, -1}, {4, 6, 1}, {5, 7, -1},
				{6, 8, -1}, {7, 8, -1}, {8, 8, -1}, {8, 10, 1}}},
		{"stays on its own side of replacements", "2 2:2 2",
			[]c{{2, 2, 1}, {2, 2, -1}, {3, 2, -1}, {3, 4, 1}, {4, 4, 1}, {4, 4, -1}}},
		{"insertions around replacements", "0:1 2:2 0:1",
			[]c{{0, 0, -1}, {0, 1, 1}, {1, 1, -1}, {1, 3, 1}, {2, 3, -1}, {2, 4, 1}}},
		{"stays in between replacements", "2:2 2:2",
			[]c{{2, 2, -1}, {2, 2, 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := desc(t, tc.spec)
			for _, k := range tc.cases {
				if got := cs.MapPos(k.pos, k.assoc); got != k.want {
					t.Errorf("MapPos(%d, %d) = %d, want %d", k.pos, k.assoc, got, k.want)
				}
			}
		})
	}
}

func TestMapPos_Clamped(t *testing.T) {
	cs := mustParse(t, `[2,[0,"xy"],2]`) // 4 -> 6
	if got := cs.MapPos(-3, 1); got != 0 {
		t.Errorf("MapPos(-3) = %d, want 0", got)
	}
	if got := cs.MapPos(99, -1); got != 6 {
		t.Errorf("MapPos(99) = %d, want 6", got)
	}
	if got := (ChangeSet{}).MapPos(5, 1); got != 0 {
		t.Errorf("zero ChangeSet MapPos = %d, want 0", got)
	}
}

func TestMapPos_Emoji(t *testing.T) {
	// "a👍🏽b": deleting the emoji moves b from 5 to 1.
	cs := mustParse(t, `[1,[4],1]`)
	if got := cs.MapPos(5, -1); got != 1 {
		t.Errorf("MapPos(5) = %d, want 1", got)
	}
}

func TestMapRange(t *testing.T) {
	const doc = "say hello world" // anchor "hello" = [4, 9)
	cases := []struct {
		name, doc, changes string
		from, to           int
		wantFrom, wantTo   int
		wantDeleted        bool
	}{
		{"no change", doc, `[15]`, 4, 9, 4, 9, false},
		{"insert before", doc, `[4,[0,"big "],11]`, 4, 9, 8, 13, false},
		{"insert at start stays outside", doc, `[4,[0,"X"],11]`, 4, 9, 5, 10, false},
		{"insert at end stays outside", doc, `[9,[0,"o"],6]`, 4, 9, 4, 9, false},
		{"insert inside grows", doc, `[6,[0,"XX"],9]`, 4, 9, 4, 11, false},
		{"insert after", doc, `[15,[0,"!"]]`, 4, 9, 4, 9, false},
		{"delete before", doc, `[[4],11]`, 4, 9, 0, 5, false},
		{"partial delete at start", doc, `[4,[3],8]`, 4, 9, 4, 6, false},
		{"partial delete at end", doc, `[7,[5],3]`, 4, 9, 4, 7, false},
		{"overlapping replace", doc, `[2,[4,"__"],9]`, 4, 9, 4, 7, false},
		{"words deleted", doc, `[4,[6],5]`, 4, 9, 4, 4, true},
		{"words replaced", doc, `[4,[5,"bye"],6]`, 4, 9, 4, 4, true},
		{"deleted in pieces", doc, `[4,[2],[3],6]`, 4, 9, 4, 4, true},
		{"deleted around", doc, `[2,[10],3]`, 4, 9, 2, 2, true},
		{"whole doc deleted", doc, `[[15]]`, 4, 9, 0, 0, true},
		{"whole doc replaced", doc, `[[15,"new"]]`, 4, 9, 0, 0, true},
		{"one kept unit survives", doc, `[4,[4],7]`, 4, 9, 4, 5, false},
		{"reversed is swapped", doc, `[15]`, 9, 4, 4, 9, false},
		{"clamped", doc, `[[0,"ab"],15]`, -5, 100, 2, 17, false},
		{"empty span kept", doc, `[4,[0,"X"],11]`, 4, 4, 4, 4, false},
		{"empty span at deletion edge", doc, `[4,[5],6]`, 4, 4, 4, 4, false},
		{"empty span inside deletion", doc, `[4,[5],6]`, 6, 6, 4, 4, true},
		{"arabic word after insertion", "مرحبا بالعالم", `[6,[0,"يا "],7]`, 6, 13, 9, 16, false},
		{"arabic word deleted", "مرحبا بالعالم", `[5,[8]]`, 6, 13, 5, 5, true},
		{"after emoji deletion", "I 👍🏽 this", `[2,[5],4]`, 7, 11, 2, 6, false},
		{"emoji anchor replaced", "I 👍🏽 this", `[2,[4,"🇲🇦"],5]`, 2, 6, 2, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustParse(t, tc.changes)
			if cs.Length() != UTF16Len(tc.doc) {
				t.Fatalf("bad test: changes cover %d, doc has %d", cs.Length(), UTF16Len(tc.doc))
			}
			f, to, del := cs.MapRange(tc.from, tc.to)
			if f != tc.wantFrom || to != tc.wantTo || del != tc.wantDeleted {
				t.Errorf("MapRange(%d, %d) = %d, %d, %v; want %d, %d, %v",
					tc.from, tc.to, f, to, del, tc.wantFrom, tc.wantTo, tc.wantDeleted)
			}
		})
	}
}

func TestMapRange_FollowsText(t *testing.T) {
	// The anchored text is still found at the mapped range.
	doc := NewDoc("Le café 👍🏽 est prêt")
	from, to := 8, 12 // 👍🏽
	cs := mustParse(t, `[3,[4,"thé"],1,[0,"très "],13]`)
	next, err := cs.Apply(doc)
	if err != nil {
		t.Fatal(err)
	}
	f, e, del := cs.MapRange(from, to)
	got, ok := next.Slice(f, e)
	if del || !ok || got != "👍🏽" {
		t.Errorf("mapped range holds %q (ok=%v, deleted=%v), want 👍🏽", got, ok, del)
	}
}
