package models_test

import (
	"context"
	"errors"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
)

// TestStore_CommentLifecycle goes through a comment's life at the store:
// who may post on a draft, edit and delete, report, and what moderators
// hide, restore and dismiss; each refusal with its kind.
func TestStore_CommentLifecycle(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			author := mustUser(t, s, models.RoleMember, "apebi")
			colleague := mustUser(t, s, models.RoleMember, "apebi")
			outsider := mustUser(t, s, models.RoleMember, "ausim")
			mod := mustUser(t, s, models.RoleModerator, "mnc")
			m, err := s.CreateMeasure(ctx, author, models.NewMeasure{Title: "Cloud souverain", Summary: "s", Body: "Le cloud marocain.", Pillar: "enablers"})
			if err != nil {
				t.Fatal(err)
			}
			kind := func(err error) string { return models.ErrorKind(err) }

			// A draft seen by its federation only: others cannot comment or read.
			if _, err := s.CreateComment(ctx, outsider, m.ID, models.NewComment{Body: "Je passe."}); kind(err) != models.ENotFound {
				t.Errorf("an outsider comments on a draft: %v", err)
			}
			c, err := s.CreateComment(ctx, colleague, m.ID, models.NewComment{Body: "  Bonne idée.\r\n"})
			if err != nil {
				t.Fatal(err)
			}
			if c.Body != "Bonne idée." || c.Author.ID != colleague.ID {
				t.Errorf("comment as stored: %q by %d", c.Body, c.Author.ID)
			}
			if _, err := s.CreateComment(ctx, colleague, m.ID, models.NewComment{Body: " \n "}); kind(err) != models.EInvalid {
				t.Errorf("an empty comment: %v", err)
			}
			parent := c.ID
			reply, err := s.CreateComment(ctx, author, m.ID, models.NewComment{Body: "Merci.", ParentID: &parent})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CommentByID(ctx, outsider, c.ID); kind(err) != models.ENotFound {
				t.Errorf("an outsider reads a draft's comment: %v", err)
			}

			// Only its author edits; the author or a moderator deletes.
			if _, err := s.EditComment(ctx, author, c.ID, "Réécrit."); kind(err) != models.EForbidden {
				t.Errorf("someone else edits: %v", err)
			}
			if v, err := s.EditComment(ctx, colleague, c.ID, "Très bonne idée."); err != nil || v.Body != "Très bonne idée." {
				t.Fatalf("the author edits: %v", err)
			}
			if err := s.DeleteComment(ctx, author, c.ID); kind(err) != models.EForbidden {
				t.Errorf("someone else deletes: %v", err)
			}

			// Reports, then a moderator's decisions.
			if _, err := s.ReportComment(ctx, colleague, c.ID, "spam"); kind(err) != models.EForbidden {
				t.Errorf("reporting one's own comment: %v", err)
			}
			if _, err := s.ReportComment(ctx, author, c.ID, "Hors sujet"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReportComment(ctx, author, c.ID, "Encore"); !hasCode(err, "already_reported") {
				t.Errorf("reporting twice: %v", err)
			}
			if _, err := s.HideComment(ctx, author, c.ID, "non"); kind(err) != models.EForbidden {
				t.Errorf("a member hides: %v", err)
			}
			q, err := s.ModerationQueue(ctx, mod, models.ModerationFilter{Show: "reported"})
			if err != nil || len(q.Items) != 1 || q.Items[0].Comment.ID != c.ID || len(q.Items[0].Reports) != 1 {
				t.Fatalf("queue: %+v, %v", q.Items, err)
			}
			if _, err := s.HideComment(ctx, mod, c.ID, "Propos hors sujet"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.HideComment(ctx, mod, c.ID, "Encore"); !hasCode(err, "already_hidden") {
				t.Errorf("hiding twice: %v", err)
			}
			if v, err := s.CommentByID(ctx, author, c.ID); err != nil || !v.Redacted || v.Body == "Très bonne idée." {
				t.Errorf("a hidden comment shows its words to a member: %+v, %v", v, err)
			}
			if v, err := s.CommentByID(ctx, mod, c.ID); err != nil || v.Body != "Très bonne idée." {
				t.Errorf("the moderator reads the hidden words: %+v, %v", v, err)
			}
			if _, err := s.RestoreComment(ctx, mod, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RestoreComment(ctx, mod, c.ID); !hasCode(err, "not_hidden") {
				t.Errorf("restoring a visible comment: %v", err)
			}
			// Hiding settled the reports; a new one is dismissed.
			if _, err := s.DismissReports(ctx, mod, c.ID); !hasCode(err, "no_open_reports") {
				t.Errorf("reports left open after hiding: %v", err)
			}
			third := mustUser(t, s, models.RoleMember, "apebi")
			if _, err := s.ReportComment(ctx, third, c.ID, "Toujours hors sujet"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DismissReports(ctx, mod, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DismissReports(ctx, mod, c.ID); !hasCode(err, "no_open_reports") {
				t.Errorf("dismissing twice: %v", err)
			}

			// The reply survives its parent's deletion, which the thread shows.
			if err := s.DeleteComment(ctx, colleague, c.ID); err != nil {
				t.Fatal(err)
			}
			th, err := s.CommentThread(ctx, author, m.Access())
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, v := range th.General() {
				for _, r := range v.Replies {
					found = found || r.ID == reply.ID
				}
			}
			if !found {
				t.Errorf("the reply is gone with its parent")
			}
		})
	}
}

func hasCode(err error, code string) bool {
	var me *models.Error
	return errors.As(err, &me) && me.Code == code
}
