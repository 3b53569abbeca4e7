package collab

import "testing"

func TestInvert_RestoresDocument(t *testing.T) {
	cases := []struct{ name, doc, changes string }{
		{"insert", "0123456789", `[5,[0,"hi"],5]`},
		{"delete", "0123456789", `[1,[8],1]`},
		{"replace and insert", "0123456789", `[5,[0,"hi"],3,[2]]`},
		{"empty doc", "", `[[0,"new","lines"]]`},
		{"delete everything", "gone", `[[4]]`},
		{"no-op parts", "ab", `[0,[0],1,[0,""],1]`},
		{"arabic", "مرحبا بالعالم", `[6,[7,"صديقي"]]`},
		{"french", "événement", `[[1,"E"],8]`},
		{"emoji", "a👍🏽b🇲🇦", `[1,[4,"🇲🇦"],1,[4,"👍🏽"]]`},
		{"multi-line deletion", "a\nb\nc", `[1,[3],1]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := NewDoc(tc.doc)
			cs := mustParse(t, tc.changes)
			next, err := cs.Apply(doc)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := cs.Invert(doc)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Length() != next.Len() || inv.NewLength() != doc.Len() {
				t.Errorf("inverse lengths %d -> %d, want %d -> %d",
					inv.Length(), inv.NewLength(), next.Len(), doc.Len())
			}
			back, err := inv.Apply(next)
			if err != nil {
				t.Fatal(err)
			}
			if back.String() != tc.doc {
				t.Errorf("inverse gives %q, want %q", back.String(), tc.doc)
			}
		})
	}
}

func TestInvert_JSON(t *testing.T) {
	// Same shape as CodeMirror's invert: sections swap, deleted text
	// comes back as inserted text.
	cs := mustParse(t, `[5,[0,"hi"],3,[2]]`)
	inv, err := cs.Invert(NewDoc("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := inv.MarshalJSON()
	if want := `[5,[2],3,[0,"89"]]`; string(got) != want {
		t.Errorf("inverse = %s, want %s", got, want)
	}
}

func TestInvert_DoesNotAliasDocument(t *testing.T) {
	// Composing the inverse with more text must never write into the
	// original document's storage.
	doc := NewDoc("abcdef")
	cs := mustParse(t, `[[2],4]`)
	inv, err := cs.Invert(doc)
	if err != nil {
		t.Fatal(err)
	}
	more := mustParse(t, `[2,[0,"XYZ"],4]`)
	if _, err := inv.Compose(more); err != nil {
		t.Fatal(err)
	}
	if doc.String() != "abcdef" {
		t.Errorf("document changed to %q", doc.String())
	}
}
