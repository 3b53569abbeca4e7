package models

import (
	"errors"
	"fmt"
	"testing"
)

// TestAuditScan is the audit trail's paging, without a database: batches
// of the log newest first, a reader who sees some events, a page size.
func TestAuditScan(t *testing.T) {
	// The log: ids 1..n; visible tells which the reader sees.
	run := func(n, limit, size, rounds int, before int64, visible func(id int64) bool) (ids []int64, next string) {
		scan := auditScan{limit: limit, before: before}
		for r := 0; r < rounds && !scan.full(); r++ {
			var rows []Event
			top := int64(n)
			if scan.before > 0 {
				top = scan.before - 1
			}
			for id := top; id >= 1 && len(rows) < size; id-- {
				rows = append(rows, Event{ID: id})
			}
			if err := scan.add(rows, size, func(e *Event) (bool, error) { return visible(e.ID), nil }); err != nil {
				t.Fatal(err)
			}
			if scan.exhausted {
				break
			}
		}
		events, next := scan.result()
		for _, e := range events {
			ids = append(ids, e.ID)
		}
		return ids, next
	}
	all := func(int64) bool { return true }
	even := func(id int64) bool { return id%2 == 0 }
	none := func(int64) bool { return false }
	cases := []struct {
		name                  string
		n, limit, size, round int
		before                int64
		visible               func(int64) bool
		want                  string
		next                  int64 // 0: no next page
	}{
		{"everything, one page", 5, 10, 11, 20, 0, all, "[5 4 3 2 1]", 0},
		{"everything, a next page", 5, 2, 3, 20, 0, all, "[5 4]", 4},
		{"exactly a page", 4, 4, 5, 20, 0, all, "[4 3 2 1]", 0},
		{"from a cursor", 5, 2, 3, 20, 4, all, "[3 2]", 2},
		{"half visible, across batches", 20, 3, 4, 20, 0, even, "[20 18 16]", 16},
		{"last visible events", 6, 5, 4, 20, 0, even, "[6 4 2]", 0},
		{"nothing visible", 9, 3, 4, 20, 0, none, "[]", 0},
		{"scan stops early: go on from there", 100, 3, 4, 2, 0, func(id int64) bool { return id < 10 }, "[]", 93},
		{"empty log", 0, 3, 4, 20, 0, all, "[]", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids, next := run(tc.n, tc.limit, tc.size, tc.round, tc.before, tc.visible)
			if got := fmt.Sprint(ids); got != tc.want && !(tc.want == "[]" && len(ids) == 0) {
				t.Errorf("events %s, want %s", got, tc.want)
			}
			want := ""
			if tc.next > 0 {
				want = EncodeCursor(tc.next)
			}
			if next != want {
				t.Errorf("next cursor %q, want %q (%d)", next, want, tc.next)
			}
		})
	}

	// A reader whose visibility cannot be decided gets the error, not a
	// page with holes.
	boom := errors.New("database gone")
	scan := auditScan{limit: 3}
	if err := scan.add([]Event{{ID: 2}, {ID: 1}}, 4, func(*Event) (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("error %v", err)
	}
}
