package models

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestApplyMeasureChange is the table of an edit's rules, without a
// database: what changes, what is refused, and that a refused edit leaves
// the measure as it was.
func TestApplyMeasureChange(t *testing.T) {
	str := func(s string) *string { return &s }
	base := func() Measure {
		return Measure{Title: "Former 50 000 jeunes", Summary: "Des bootcamps.", Body: "## Objectif\n\nTexte.",
			Pillar: "digital_economy", Axis: str("youth_training"), Visibility: VisibilityFederation}
	}
	// The reference data: two pillars, an axis in the first only.
	taxonomy := func(fe FieldErrors, pillar, axis string) error {
		switch {
		case pillar != "digital_economy" && pillar != "public_services":
			fe.Add("pillar", "Unknown pillar.")
		case axis != "" && !(pillar == "digital_economy" && (axis == "youth_training" || axis == "sme_digitalisation")):
			fe.Add("axis", "This axis is not in this pillar.")
		}
		return nil
	}
	cases := []struct {
		name    string
		ch      MeasureChange
		changed []string
		fields  []string // refused, with errors on these fields
		code    string   // refused with this code (not a field error)
		check   func(t *testing.T, m Measure)
	}{
		{name: "nothing sent", ch: MeasureChange{}},
		{name: "same values", ch: MeasureChange{Title: str("  Former 50 000 jeunes "), Body: str("## Objectif\r\n\r\nTexte.")}},
		{name: "title trimmed", ch: MeasureChange{Title: str("  Former 100 000 jeunes\t")}, changed: []string{"title"},
			check: func(t *testing.T, m Measure) {
				if m.Title != "Former 100 000 jeunes" {
					t.Errorf("title %q", m.Title)
				}
			}},
		{name: "body line breaks", ch: MeasureChange{Body: str("A\r\nB\rC")}, changed: []string{"body"},
			check: func(t *testing.T, m Measure) {
				if m.Body != "A\nB\nC" {
					t.Errorf("body %q", m.Body)
				}
			}},
		{name: "fields in order", ch: MeasureChange{Visibility: str(VisibilityPlatform), Body: str("x"), Title: str("T"), Summary: str("S")},
			changed: []string{"title", "summary", "body", "visibility"}},
		{name: "blank title", ch: MeasureChange{Title: str(" \u00a0 "), Summary: str("Autre.")}, fields: []string{"title"}},
		{name: "two-line title", ch: MeasureChange{Title: str("a\nb")}, fields: []string{"title"}},
		{name: "long title", ch: MeasureChange{Title: str(strings.Repeat("é", MaxTitleLen+1))}, fields: []string{"title"}},
		{name: "blank summary", ch: MeasureChange{Summary: str("")}, fields: []string{"summary"}},
		{name: "two fields wrong", ch: MeasureChange{Title: str(""), Summary: str("")}, fields: []string{"summary", "title"}},
		{name: "body too large", ch: MeasureChange{Body: str(strings.Repeat("a", MaxBodyBytes+1))}, code: "body_too_large"},
		{name: "pillar keeps a foreign axis", ch: MeasureChange{Pillar: str("public_services")}, fields: []string{"axis"}},
		{name: "pillar and no axis", ch: MeasureChange{Pillar: str("public_services"), Axis: str("")}, changed: []string{"pillar", "axis"},
			check: func(t *testing.T, m Measure) {
				if m.Axis != nil {
					t.Errorf("axis %q, want none", *m.Axis)
				}
			}},
		{name: "axis only", ch: MeasureChange{Axis: str(" sme_digitalisation ")}, changed: []string{"axis"}},
		{name: "unknown pillar", ch: MeasureChange{Pillar: str("space")}, fields: []string{"pillar"}},
		{name: "opened", ch: MeasureChange{Visibility: str(VisibilityPlatform)}, changed: []string{"visibility"}},
		{name: "closing again", ch: MeasureChange{Visibility: str(VisibilityFederation)}, changed: nil,
			check: func(t *testing.T, m Measure) {}}, // still federation: nothing to do
		{name: "unknown visibility", ch: MeasureChange{Visibility: str("secret")}, fields: []string{"visibility"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			changed, err := applyMeasureChange(&m, tc.ch, taxonomy)
			refused := len(tc.fields) > 0 || tc.code != ""
			if refused {
				var me *Error
				if !errors.As(err, &me) {
					t.Fatalf("accepted (%v), want refused", changed)
				}
				if tc.code != "" && me.Code != tc.code {
					t.Errorf("code %q, want %q", me.Code, tc.code)
				}
				for _, f := range tc.fields {
					if me.Fields[f] == "" {
						t.Errorf("no error on %s: %v", f, me.Fields)
					}
				}
				if len(tc.fields) > 0 && len(me.Fields) != len(tc.fields) {
					t.Errorf("errors on %v, want on %v", me.Fields, tc.fields)
				}
				if !reflect.DeepEqual(m, base()) {
					t.Errorf("a refused edit changed the measure: %+v", m)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(changed, tc.changed) {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}

	// A measure opened to the platform cannot be closed again.
	m := base()
	m.Visibility = VisibilityPlatform
	if _, err := applyMeasureChange(&m, MeasureChange{Visibility: str(VisibilityFederation)}, taxonomy); err == nil {
		t.Error("an open measure was closed again")
	}
	if got := revisionReason([]string{"visibility"}); got != RevisionOpened {
		t.Errorf("reason for opening: %q", got)
	}
	if got := revisionReason([]string{"title", "visibility"}); got != RevisionEdit {
		t.Errorf("reason for an edit that also opens: %q", got)
	}
}
