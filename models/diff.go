package models

import (
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Diff operations, as the API names them.
const (
	OpEqual  = "equal"
	OpInsert = "insert"
	OpDelete = "delete"
)

// Hunk is one run of text that is the same in both versions, or only in the
// new one (insert), or only in the old one (delete). Concatenating the equal
// and delete hunks gives the old text; equal and insert, the new one.
type Hunk struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

func newDMP() *diffmatchpatch.DiffMatchPatch {
	dmp := diffmatchpatch.New()
	// A bound on the worst case (two unrelated 200 KB texts); the answer is
	// then still correct, only less minimal.
	dmp.DiffTimeout = 2 * time.Second
	return dmp
}

func opName(t diffmatchpatch.Operation) string {
	switch t {
	case diffmatchpatch.DiffInsert:
		return OpInsert
	case diffmatchpatch.DiffDelete:
		return OpDelete
	}
	return OpEqual
}

// DiffText compares two texts, line by line first and then within changed
// lines, cleaned up so that the hunks fall on word boundaries people read.
func DiffText(a, b string) []Hunk {
	dmp := newDMP()
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMain(a, b, true))
	out := make([]Hunk, 0, len(diffs))
	for _, d := range diffs {
		if d.Text == "" {
			continue
		}
		out = append(out, Hunk{Op: opName(d.Type), Text: d.Text})
	}
	return out
}

// DiffSegment is a piece of one side of a side-by-side row.
type DiffSegment struct {
	Op   string
	Text string
}

// DiffRow is one line of the side-by-side view: the old line on the left,
// the new one on the right, with changed words marked on changed lines.
type DiffRow struct {
	Kind    string // equal | changed | removed | added
	LeftNo  int    // line number in the old text, 0 when none
	RightNo int    // line number in the new text, 0 when none
	Left    []DiffSegment
	Right   []DiffSegment
}

// splitLines splits the whole lines of a line-mode diff chunk.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// SideBySide aligns two texts line by line for a two-column view: equal
// lines face each other, and a block of removed lines is paired with the
// block of added lines that replaced it, words marked within each pair.
func SideBySide(a, b string) []DiffRow {
	dmp := newDMP()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	var rows []DiffRow
	ln, rn := 0, 0
	for i := 0; i < len(diffs); i++ {
		d := diffs[i]
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			for _, l := range splitLines(d.Text) {
				ln++
				rn++
				rows = append(rows, DiffRow{Kind: "equal", LeftNo: ln, RightNo: rn,
					Left: []DiffSegment{{OpEqual, l}}, Right: []DiffSegment{{OpEqual, l}}})
			}
		default:
			var del, ins []string
			if d.Type == diffmatchpatch.DiffDelete {
				del = splitLines(d.Text)
			} else {
				ins = splitLines(d.Text)
			}
			// A replacement is a delete next to an insert, in either order.
			if i+1 < len(diffs) && diffs[i+1].Type != diffmatchpatch.DiffEqual && diffs[i+1].Type != d.Type {
				i++
				if diffs[i].Type == diffmatchpatch.DiffDelete {
					del = splitLines(diffs[i].Text)
				} else {
					ins = splitLines(diffs[i].Text)
				}
			}
			for k := 0; k < len(del) || k < len(ins); k++ {
				switch {
				case k < len(del) && k < len(ins):
					ln++
					rn++
					left, right := wordDiff(dmp, del[k], ins[k])
					rows = append(rows, DiffRow{Kind: "changed", LeftNo: ln, RightNo: rn, Left: left, Right: right})
				case k < len(del):
					ln++
					rows = append(rows, DiffRow{Kind: "removed", LeftNo: ln, Left: []DiffSegment{{OpDelete, del[k]}}})
				default:
					rn++
					rows = append(rows, DiffRow{Kind: "added", RightNo: rn, Right: []DiffSegment{{OpInsert, ins[k]}}})
				}
			}
		}
	}
	return rows
}

// wordDiff marks what changed between an old and a new line.
func wordDiff(dmp *diffmatchpatch.DiffMatchPatch, a, b string) (left, right []DiffSegment) {
	for _, d := range dmp.DiffCleanupSemantic(dmp.DiffMain(a, b, false)) {
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			left = append(left, DiffSegment{OpEqual, d.Text})
			right = append(right, DiffSegment{OpEqual, d.Text})
		case diffmatchpatch.DiffDelete:
			left = append(left, DiffSegment{OpDelete, d.Text})
		case diffmatchpatch.DiffInsert:
			right = append(right, DiffSegment{OpInsert, d.Text})
		}
	}
	return left, right
}
