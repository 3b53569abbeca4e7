package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
)

// bodyChanged runs inside the transaction of every change to a measure's
// text outside the co-editor (an edit through the API or a form, or a
// workflow step that restores the published text), after the row is
// updated and before commit: the change enters the co-editing log, so that
// the live editors' document follows.
func (tx *Tx) bodyChanged(before, after *Measure, actor *User) error {
	_, err := tx.AppendServerChange(after.ID, before.Body, after.Body, actor)
	return err
}

// StaleRevision is the 409 of an edit or review made on an old revision.
func StaleRevision(current int) *Error {
	return CodedError(EConflict, "stale_revision",
		fmt.Sprintf("This measure has changed since you opened it: it is now at revision %d. Reload it, then make your change again.", current))
}

// UpdateMeasure applies an edit by one of the measure's editors, checking
// that they edited the current revision. It is the one way the REST API and
// the edit form change a measure's text; each effective change saves a new
// revision and emits measure.updated and measure.revision_saved.
func (s *Store) UpdateMeasure(ctx context.Context, actor *User, id int64, ch MeasureChange) (*Measure, error) {
	if ch.Body != nil {
		b := normalizeText(*ch.Body)
		ch.Body = &b
		if err := checkBody(FieldErrors{}, b); err != nil {
			return nil, err
		}
	}
	// collab.go: co-edits not yet in a revision are saved as one first, so
	// that a text edit made on an older revision is refused as stale.
	if err := s.FoldCollabBeforeEdit(ctx, id, ch.Body); err != nil {
		return nil, err
	}
	var out *Measure
	err := s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasureFor(actor, ActEditMeasure, id)
		if err != nil {
			return err
		}
		if ch.Revision <= 0 {
			return (FieldErrors{"revision": "Send the number of the revision you edited."}).Err()
		}
		if ch.Revision != m.Revision {
			return StaleRevision(m.Revision)
		}
		if err := tx.CheckCollabFolded(m.ID, ch.Body); err != nil { // collab.go
			return err
		}
		before := *m
		changed, err := applyMeasureChange(m, ch, func(fe FieldErrors, pillar, axis string) error {
			return checkTaxonomy(tx.DB, fe, pillar, axis)
		})
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			out = m
			return nil
		}
		now := s.stamp()
		m.Revision++
		m.UpdatedAt = now
		res := tx.Model(&Measure{}).Where("id = ? AND revision = ?", id, ch.Revision).Updates(map[string]any{
			"title": m.Title, "summary": m.Summary, "body": m.Body, "pillar": m.Pillar, "axis": m.Axis,
			"visibility": m.Visibility, "revision": m.Revision, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return StaleRevision(m.Revision - 1) // never on a locked row; the guard stays for safety
		}
		mentioned := []int64{}
		if before.Body != m.Body {
			if mentioned, err = tx.checkMentions(id, "body", &before.Body, m.Body); err != nil {
				return err
			}
		}
		reason := revisionReason(changed)
		// The co-editing log first, so that the revision records the co-editing version
		// that holds this change.
		if before.Body != m.Body {
			if err := tx.bodyChanged(&before, m, actor); err != nil {
				return err
			}
		}
		if err := tx.insertRevision(m, reason, []int64{actor.ID}, now); err != nil {
			return err
		}
		if _, err := tx.Emit(MeasureTopic(id), "measure.updated", actor, id, 0,
			map[string]any{"measure": m.Item(), "fields": changed, "mentioned": mentioned}); err != nil {
			return err
		}
		if _, err := tx.Emit(MeasureTopic(id), "measure.revision_saved", actor, id, 0,
			map[string]any{"revision": m.Revision, "reason": reason, "measure": m.Item()}); err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyMeasureChange applies an edit to m in memory and names the fields
// it changed, in a fixed order. Each field sent is cleaned and checked;
// taxonomy checks a pillar and axis against the reference data. On an
// error m is left as it was. It reads and writes nothing else, so its rules
// are table-tested without a database.
func applyMeasureChange(m *Measure, ch MeasureChange, taxonomy func(fe FieldErrors, pillar, axis string) error) ([]string, error) {
	next := *m
	fe := FieldErrors{}
	var changed []string
	if ch.Title != nil {
		t := strings.TrimSpace(normalizeText(*ch.Title))
		checkTitle(fe, t)
		if t != next.Title {
			next.Title, changed = t, append(changed, "title")
		}
	}
	if ch.Summary != nil {
		t := strings.TrimSpace(normalizeText(*ch.Summary))
		checkSummary(fe, t)
		if t != next.Summary {
			next.Summary, changed = t, append(changed, "summary")
		}
	}
	if ch.Body != nil {
		b := normalizeText(*ch.Body)
		if err := checkBody(fe, b); err != nil {
			return nil, err
		}
		if b != next.Body {
			next.Body, changed = b, append(changed, "body")
		}
	}
	if ch.Pillar != nil || ch.Axis != nil {
		pillar, axis := next.Pillar, next.AxisKey()
		if ch.Pillar != nil {
			pillar = strings.TrimSpace(*ch.Pillar)
		}
		if ch.Axis != nil {
			axis = strings.TrimSpace(*ch.Axis)
		}
		if err := taxonomy(fe, pillar, axis); err != nil {
			return nil, err
		}
		if pillar != next.Pillar {
			next.Pillar, changed = pillar, append(changed, "pillar")
		}
		if axis != next.AxisKey() {
			next.Axis, changed = optString(axis), append(changed, "axis")
		}
	}
	if ch.Visibility != nil {
		switch *ch.Visibility {
		case VisibilityPlatform:
			if next.Visibility != VisibilityPlatform {
				next.Visibility, changed = VisibilityPlatform, append(changed, "visibility")
			}
		case VisibilityFederation:
			if next.Visibility != VisibilityFederation {
				fe.Add("visibility", "A measure opened to the platform cannot be closed again.")
			}
		default:
			fe.Add("visibility", "Visibility is federation or platform.")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	*m = next
	return changed, nil
}

// revisionReason is why an edit's revision is saved: opening the measure
// to the platform, when that is all it did, or an edit.
func revisionReason(changed []string) string {
	if len(changed) == 1 && changed[0] == "visibility" {
		return RevisionOpened
	}
	return RevisionEdit
}

var transitionAction = map[Transition]Action{
	TransSubmit:   ActSubmitMeasure,
	TransWithdraw: ActWithdrawMeasure,
	TransAmend:    ActAmendMeasure,
	TransRestore:  ActRestoreMeasure,
}

// TransitionMeasure submits, withdraws or amends a measure for one of its
// editors. revision, when not 0, is the revision the person saw: a submit
// of a text that has changed since is refused.
func (s *Store) TransitionMeasure(ctx context.Context, actor *User, id int64, t Transition, revision int) (*Measure, error) {
	act, ok := transitionAction[t]
	if !ok {
		return nil, CodedError(EMalformed, "unknown_transition", "Unknown action.")
	}
	var out *Measure
	err := s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasureFor(actor, act, id)
		if err != nil {
			return err
		}
		if revision != 0 && revision != m.Revision {
			return StaleRevision(m.Revision)
		}
		if t == TransSubmit {
			fe := FieldErrors{}
			checkTitle(fe, m.Title)
			checkSummary(fe, m.Summary)
			if strings.TrimSpace(m.Body) == "" {
				fe.Add("body", "Write the text of the measure before submitting it.")
			}
			if err := fe.Err(); err != nil {
				return err
			}
		}
		next, err := NextStatus(m.Status, t, m.Amending())
		if err != nil {
			return err
		}
		if err := tx.applyTransition(m, actor, t, next, 0, nil); err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyTransition moves a locked measure to its next status and saves the
// revision that records the step. approved is the revision a review
// approved (0 otherwise). extra joins the status_changed payload.
func (tx *Tx) applyTransition(m *Measure, actor *User, t Transition, next string, approved int, extra map[string]any) error {
	if EditableStatus(m.Status) {
		// Co-edits not yet in a revision are saved first, under their own
		// authors, so that the step's revision holds nothing unattributed.
		n, folded, err := tx.FoldCollab(m.ID)
		if err != nil {
			return err
		}
		if folded {
			m.Revision = n
		}
	}
	before := *m
	now := tx.store.stamp()
	from := m.Status
	m.Status = next
	m.Revision++
	m.UpdatedAt = now
	updates := map[string]any{"status": next, "revision": m.Revision, "updated_at": now}
	switch {
	case t == TransSubmit:
		// Submitting opens the measure to the whole platform, reviewers included.
		m.Visibility, m.SubmittedOnce = VisibilityPlatform, true
		updates["visibility"], updates["submitted_once"] = m.Visibility, true
	case t == TransApprove:
		m.PublishedRevision, m.ApprovedAt = &approved, &now
		updates["published_revision"], updates["approved_at"] = approved, now
		if m.PublishedAt != nil {
			// An approved amendment of a published measure: the public
			// text changes with it.
			m.PublicChangedAt = &now
			updates["public_changed_at"] = now
		}
	case before.Amending() && next == StatusApproved:
		// An amendment withdrawn or rejected: the published text is the
		// measure's text again.
		var pub Revision
		if err := tx.Where("measure_id = ? AND number = ?", m.ID, *m.PublishedRevision).Take(&pub).Error; err != nil {
			return err
		}
		m.Title, m.Summary, m.Body, m.Pillar, m.Axis = pub.Title, pub.Summary, pub.Body, pub.Pillar, pub.Axis
		updates["title"], updates["summary"], updates["body"], updates["pillar"], updates["axis"] = m.Title, m.Summary, m.Body, m.Pillar, m.Axis
	}
	res := tx.Model(&Measure{}).Where("id = ? AND revision = ?", m.ID, before.Revision).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return StaleRevision(before.Revision)
	}
	if before.Body != m.Body {
		if err := tx.bodyChanged(&before, m, actor); err != nil {
			return err
		}
	}
	if err := tx.insertRevision(m, string(t), []int64{actor.ID}, now); err != nil {
		return err
	}
	data := map[string]any{"from": from, "to": next, "transition": string(t), "revision": m.Revision, "measure": m.Item()}
	for k, v := range extra {
		data[k] = v
	}
	if _, err := tx.Emit(MeasureTopic(m.ID), "measure.status_changed", actor, m.ID, 0, data); err != nil {
		return err
	}
	_, err := tx.Emit(MeasureTopic(m.ID), "measure.revision_saved", actor, m.ID, 0,
		map[string]any{"revision": m.Revision, "reason": string(t), "measure": m.Item()})
	return err
}

// ReviewInput is a reviewer's decision on the revision they read.
type ReviewInput struct {
	Decision string
	Note     string
	Revision int
}

// ReviewMeasure records a reviewer's decision and moves the measure on. The
// review names the revision it was made on and is refused when that is not
// the current one: nobody approves a text they have not read.
func (s *Store) ReviewMeasure(ctx context.Context, actor *User, id int64, in ReviewInput) (*Review, *Measure, error) {
	in.Note = strings.TrimSpace(normalizeText(in.Note))
	var review *Review
	var out *Measure
	err := s.Write(ctx, func(tx *Tx) error {
		t, ok := DecisionTransition(in.Decision)
		m, err := tx.lockMeasureForForm(actor, ActReviewMeasure, id, func(fe FieldErrors) {
			if !ok {
				fe.Add("decision", "Choose approved, changes_requested or rejected.")
			}
			if (in.Decision == DecisionChangesRequested || in.Decision == DecisionRejected) && in.Note == "" {
				fe.Add("note", "Give the reason: the editors need to know what to change or why the measure is rejected.")
			}
			checkNote(fe, in.Note, MaxReviewNote)
			if in.Revision <= 0 {
				fe.Add("revision", "Send the number of the revision you reviewed.")
			}
		})
		if err != nil {
			return err
		}
		if in.Revision != m.Revision {
			return StaleRevision(m.Revision)
		}
		next, err := NextStatus(m.Status, t, m.Amending())
		if err != nil {
			return err
		}
		review = &Review{MeasureID: id, ReviewerID: actor.ID, Decision: in.Decision, Note: in.Note, Revision: in.Revision, CreatedAt: s.stamp()}
		if err := tx.Create(review).Error; err != nil {
			return err
		}
		review.Reviewer = actor
		if _, err := tx.Emit(MeasureTopic(id), "review.created", actor, id, 0, map[string]any{"review": map[string]any{
			"id": review.ID, "decision": review.Decision, "note": review.Note, "revision": review.Revision,
			"reviewer": map[string]any{"id": actor.ID, "name": actor.Name, "organization_id": actor.OrganizationID}}}); err != nil {
			return err
		}
		if err := tx.applyTransition(m, actor, t, next, in.Revision, map[string]any{"review_id": review.ID, "decision": in.Decision}); err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return review, out, nil
}

// lockMeasureForForm locks the measure for a step that comes with a form
// (a review, a publication) and answers in the order a person can act on:
// who may (404, 403), then what they sent (fields reports 422), then the
// measure's state (409), so that a missing note is reported as such
// whatever the state.
func (tx *Tx) lockMeasureForForm(actor *User, act Action, id int64, fields func(FieldErrors)) (*Measure, error) {
	m, err := tx.lockMeasure(id)
	if err != nil {
		return nil, err
	}
	stateErr := CheckMeasure(actor, act, m.Access())
	if stateErr != nil && ErrorKind(stateErr) != EConflict {
		return nil, stateErr
	}
	fe := FieldErrors{}
	fields(fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if stateErr != nil {
		return nil, stateErr
	}
	return m, nil
}

// checkNote checks a workflow step's note (a review's, a publication's):
// at most max characters of valid text.
func checkNote(fe FieldErrors, note string, max int) {
	switch {
	case utf8.RuneCountInString(note) > max:
		fe.Add("note", fmt.Sprintf("The note is too long (%d characters at most).", max))
	case strings.Contains(note, "\x00") || !utf8.ValidString(note):
		fe.Add("note", "The note is not valid text.")
	}
}

// userRef is how events name a person.
func userRef(u *User) map[string]any {
	return map[string]any{"id": u.ID, "name": u.Name, "organization_id": u.OrganizationID}
}

// AddEditor lets an editor bring in another member, from any federation.
func (s *Store) AddEditor(ctx context.Context, actor *User, id, userID int64) (*User, error) {
	var target User
	err := s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasureFor(actor, ActManageEditors, id)
		if err != nil {
			return err
		}
		err = tx.Where("id = ?", userID).Take(&target).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (!target.Active() || target.Role != RoleMember || target.OrgID() == 0)) {
			return (FieldErrors{"user_id": "Only active members of a federation can be editors."}).Err()
		} else if err != nil {
			return err
		}
		if m.IsEditorID(userID) {
			return CodedError(EConflict, "already_editor", target.Name+" already edits this measure.")
		}
		if err := tx.Exec("INSERT INTO measure_editors (measure_id, user_id, added_by, created_at) VALUES (?, ?, ?, ?)",
			id, userID, actor.ID, s.Now()).Error; err != nil {
			return err
		}
		if err := tx.follow(userID, id); err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(id), "editor.added", actor, id, userID, map[string]any{"user": userRef(&target)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &target, nil
}

// RemoveEditor takes an editor off a measure. CheckRemoveEditor says who
// may: the lead federation's editors, moderators and admins, and never the
// lead federation's last editor.
func (s *Store) RemoveEditor(ctx context.Context, actor *User, id, userID int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasure(id)
		if err != nil {
			return err
		}
		var editors []EditorRef
		if err := tx.Raw(`SELECT u.id AS id, COALESCE(u.organization_id, 0) AS org_id FROM measure_editors e
			JOIN users u ON u.id = e.user_id WHERE e.measure_id = ? ORDER BY u.id`, id).Scan(&editors).Error; err != nil {
			return err
		}
		if err := CheckRemoveEditor(actor, m.Access(), editors, userID); err != nil {
			return err
		}
		var target User
		if err := tx.Where("id = ?", userID).Take(&target).Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM measure_editors WHERE measure_id = ? AND user_id = ?", id, userID).Error; err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(id), "editor.removed", actor, id, userID, map[string]any{"user": userRef(&target)})
		return err
	})
}

// IsEditorID reports whether the user edits the measure.
func (m *Measure) IsEditorID(userID int64) bool { return m.Access().IsEditor(&User{ID: userID}) }

// Cosponsor signs the actor's federation up as a co-sponsor.
func (s *Store) Cosponsor(ctx context.Context, actor *User, id int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasureFor(actor, ActCosponsor, id)
		if err != nil {
			return err
		}
		c := Cosponsor{MeasureID: id, OrganizationID: actor.OrgID(), UserID: actor.ID, CreatedAt: s.Now()}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(id), "cosponsor.added", actor, id, 0,
			map[string]any{"organization_id": c.OrganizationID, "user": userRef(actor), "published_at": m.Item().PublishedAt})
		return err
	})
}

// Uncosponsor takes the actor's federation's co-sponsorship back.
func (s *Store) Uncosponsor(ctx context.Context, actor *User, id int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockMeasureFor(actor, ActUncosponsor, id)
		if err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM measure_cosponsors WHERE measure_id = ? AND organization_id = ?", id, actor.OrgID()).Error; err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(id), "cosponsor.removed", actor, id, 0,
			map[string]any{"organization_id": actor.OrgID(), "user": userRef(actor), "published_at": m.Item().PublishedAt})
		return err
	})
}
