package models_test

import (
	"testing"

	"pacte/models"
)

// TestWorkflow_Transitions is the docs/DESIGN.md diagram as a table: every
// transition from every status, legal or not.
func TestWorkflow_Transitions(t *testing.T) {
	const x = "" // illegal
	table := map[models.Transition]map[string]string{
		models.TransSubmit: {
			"draft": "in_review", "changes_requested": "in_review",
			"in_review": x, "approved": x, "rejected": x, "withdrawn": x},
		models.TransWithdraw: {
			"draft": "withdrawn", "changes_requested": "withdrawn", "in_review": "withdrawn",
			"approved": x, "rejected": x, "withdrawn": x},
		models.TransApprove: {
			"in_review": "approved",
			"draft":     x, "changes_requested": x, "approved": x, "rejected": x, "withdrawn": x},
		models.TransRequestChanges: {
			"in_review": "changes_requested",
			"draft":     x, "changes_requested": x, "approved": x, "rejected": x, "withdrawn": x},
		models.TransReject: {
			"in_review": "rejected",
			"draft":     x, "changes_requested": x, "approved": x, "rejected": x, "withdrawn": x},
		models.TransAmend: {
			"approved": "draft",
			"draft":    x, "in_review": x, "changes_requested": x, "rejected": x, "withdrawn": x},
	}
	for tr, rows := range table {
		if len(rows) != len(models.MeasureStatuses) {
			t.Fatalf("%s: table covers %d statuses, want all %d", tr, len(rows), len(models.MeasureStatuses))
		}
		for from, want := range rows {
			got, err := models.NextStatus(from, tr, false)
			if want == x {
				if err == nil {
					t.Errorf("%s from %s: allowed (→ %s), want refused", tr, from, got)
				} else if models.ErrorKind(err) != models.EConflict || err.(*models.Error).Code != "illegal_transition" {
					t.Errorf("%s from %s: error %v, want 409 illegal_transition", tr, from, err)
				} else if msg := err.(*models.Error).Message; len(msg) < 20 {
					t.Errorf("%s from %s: message %q says too little", tr, from, msg)
				}
				continue
			}
			if err != nil || got != want {
				t.Errorf("%s from %s: %q %v, want %q", tr, from, got, err, want)
			}
			if models.CanTransition(from, tr) != true {
				t.Errorf("CanTransition(%s, %s) false", from, tr)
			}
		}
	}
	if _, err := models.NextStatus("draft", "publish", false); models.ErrorKind(err) != models.EMalformed {
		t.Errorf("unknown transition: %v", err)
	}
}

// TestWorkflow_Amendment: abandoning or rejecting an amendment returns the
// measure to approved; approving it approves; the rest is the diagram.
func TestWorkflow_Amendment(t *testing.T) {
	cases := []struct {
		from string
		tr   models.Transition
		want string
	}{
		{"draft", models.TransWithdraw, "approved"},
		{"changes_requested", models.TransWithdraw, "approved"},
		{"in_review", models.TransWithdraw, "approved"},
		{"in_review", models.TransReject, "approved"},
		{"in_review", models.TransApprove, "approved"},
		{"in_review", models.TransRequestChanges, "changes_requested"},
		{"draft", models.TransSubmit, "in_review"},
	}
	for _, c := range cases {
		if got, err := models.NextStatus(c.from, c.tr, true); err != nil || got != c.want {
			t.Errorf("amendment %s from %s: %q %v, want %q", c.tr, c.from, got, err, c.want)
		}
	}
	if _, err := models.NextStatus("approved", models.TransWithdraw, true); err == nil {
		t.Error("withdrawing an approved measure is allowed")
	}
}

func TestWorkflow_Decisions(t *testing.T) {
	for d, want := range map[string]models.Transition{"approved": models.TransApprove, "changes_requested": models.TransRequestChanges, "rejected": models.TransReject} {
		if got, ok := models.DecisionTransition(d); !ok || got != want {
			t.Errorf("decision %s → %s", d, got)
		}
	}
	for _, d := range []string{"", "approve", "APPROVED", "withdrawn"} {
		if _, ok := models.DecisionTransition(d); ok {
			t.Errorf("decision %q accepted", d)
		}
	}
	for _, st := range models.MeasureStatuses {
		if models.EditableStatus(st) != (st == "draft" || st == "changes_requested") {
			t.Errorf("EditableStatus(%s)", st)
		}
	}
}
