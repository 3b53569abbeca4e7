package models

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Erasure under Morocco's law 09-08.
//
// An erased account keeps its row and its id, so that what the person
// wrote keeps an author: comments, revisions, reviews and suggestions stay,
// because they belong to the measures' history, and are shown under a
// stable pseudonym ("Ancien membre n° 7"). Everything that identifies or
// describes the person goes: name, email, password, second factor,
// settings, sessions, tokens, devices, notifications, follows, pending
// links, and their name and email wherever the event log, notifications and
// mail log copied them. The email address is free again: it can be invited
// as a new person. The erasure itself is an event that holds no personal
// data (user.erased, with the id only).

// ErasedName is the pseudonym of an erased account as stored: in French,
// the platform's language. Pages show it in the reader's language
// (server/people.go).
func ErasedName(id int64) string { return "Ancien membre n° " + strconv.FormatInt(id, 10) }

// IsErasedName reports whether a name given for a person id is that
// person's pseudonym (event payloads carry names, not the erased flag).
func IsErasedName(id int64, name string) bool { return id > 0 && name == ErasedName(id) }

// erasedEmail fills the unique email column of an erased account: the
// reserved .invalid domain (RFC 2606) can never be a real address.
func erasedEmail(id int64) string { return "erased-" + strconv.FormatInt(id, 10) + "@erased.invalid" }

// EraseSelf erases the signed-in person's account, after checking their
// password and, when on, their second factor. Wrong answers count against
// the same limits as a sign-in, so a borrowed session cannot guess.
func (s *Store) EraseSelf(ctx context.Context, u *User, password, code, clientIP string) error {
	if u == nil || !u.Active() {
		return Errorf(EUnauthorized, "Please sign in.")
	}
	if err := s.confirmIdentity(ctx, u, password, code, clientIP, u.TOTPEnabled, "password", "totp"); err != nil {
		return err
	}
	return s.erase(ctx, u, u.ID, ActEraseSelf)
}

// EraseUser is an admin erasing another person's account.
func (s *Store) EraseUser(ctx context.Context, actor *User, id int64) error {
	return s.erase(ctx, actor, id, ActEraseUser)
}

// erase does the erasure in one transaction: it happens entirely or not at
// all.
func (s *Store) erase(ctx context.Context, actor *User, id int64, act Action) error {
	return s.Write(ctx, func(tx *Tx) error {
		var u User
		if err := tx.First(&u, id).Error; err != nil {
			return lookupError(err, NotFound("User"))
		}
		if !Can(actor, ActViewUser, &u) {
			return NotFound("User")
		}
		if !Can(actor, act, &u) {
			return Errorf(EForbidden, "Only administrators can erase another person's account; to erase your own, use your profile.")
		}
		if u.Erased() {
			return CodedError(EConflict, "already_erased", "This account has already been erased.")
		}
		if err := tx.keepAnAdmin(&u); err != nil {
			return err
		}
		names, err := tx.namesOf(&u)
		if err != nil {
			return err
		}
		if err := tx.forget(&u); err != nil {
			return err
		}
		rewritten, err := tx.scrubCopies(&u, names)
		if err != nil {
			return err
		}
		measures, err := tx.scrubMeasureMentions(u.ID, actor)
		if err != nil {
			return err
		}
		// The comments and measures whose mentions changed are named so
		// that the search index and the public Pact read them again
		// (server/search_index.go, server/public_pact.go).
		data := map[string]any{"user_id": u.ID}
		if len(rewritten) > 0 {
			data["comment_ids"] = rewritten
		}
		if len(measures) > 0 {
			data["measure_ids"] = measures
		}
		_, err = tx.Emit(UserTopic(u.ID), "user.erased", actor, 0, u.ID, data)
		return err
	})
}

// keepAnAdmin refuses to erase the last active administrator: nobody could
// manage accounts any more. On PostgreSQL the admins' rows are locked, so
// two admins erasing each other at once cannot both succeed.
func (tx *Tx) keepAnAdmin(u *User) error {
	if u.Role != RoleAdmin || u.Status != StatusActive {
		return nil
	}
	var ids []int64
	if err := tx.Model(&User{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("role = ? AND status = ? AND erased_at IS NULL", RoleAdmin, StatusActive).Pluck("id", &ids).Error; err != nil {
		return err
	}
	for _, other := range ids {
		if other != u.ID {
			return nil
		}
	}
	return CodedError(EConflict, "last_admin", "This is the last administrator: give another person the admin role before erasing this account.")
}

// namesOf lists every name the person went by: today's, and those their
// profile changes record, since old events carry the name of their day.
func (tx *Tx) namesOf(u *User) (map[string]bool, error) {
	names := map[string]bool{u.Name: true}
	var payloads []string
	if err := tx.Model(&Event{}).Where("subject_user_id = ? AND type = ?", u.ID, "user.updated").Pluck("payload", &payloads).Error; err != nil {
		return nil, err
	}
	for _, p := range payloads {
		var d struct {
			Changes struct {
				Name *struct{ From, To string } `json:"name"`
			} `json:"changes"`
		}
		if json.Unmarshal([]byte(p), &d) == nil && d.Changes.Name != nil {
			names[d.Changes.Name.From] = true
			names[d.Changes.Name.To] = true
		}
	}
	delete(names, "")
	return names, nil
}

// forget removes the account's personal data and everything that let it
// act: it can no longer sign in, by any means, and its address is free.
func (tx *Tx) forget(u *User) error {
	now := tx.store.Now()
	err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
		"name": ErasedName(u.ID), "email": erasedEmail(u.ID), "status": StatusSuspended,
		"password_hash": "", "totp_secret": "", "totp_enabled": false, "totp_last_step": 0,
		"locale": "fr", "time_zone": DefaultTimeZone, "digest_sent_at": nil,
		"erased_at": now, "updated_at": now,
	}).Error
	if err != nil {
		return err
	}
	if err := endAccess(tx.DB, u.ID, ""); err != nil {
		return err
	}
	for _, table := range []string{"totp_recovery_codes", "pending_logins", "login_devices", "notifications",
		"follows", "notification_settings", "account_links", "invitations"} {
		if err := tx.Exec("DELETE FROM "+table+" WHERE user_id = ?", u.ID).Error; err != nil {
			return err
		}
	}
	acctKey, _ := loginKeys(u.Email, "")
	if err := tx.Exec("DELETE FROM login_failures WHERE key IN ?", []string{acctKey, "pw:" + strconv.FormatInt(u.ID, 10)}).Error; err != nil {
		return err
	}
	return tx.Exec("DELETE FROM reset_requests WHERE email = ?", NormalizeEmail(u.Email)).Error
}

// scrubCopies replaces the person's name and email where other rows copied
// them: event payloads (only the values the audit chain leaves out, so it
// stays intact: personal.go), other people's notifications, mentions in
// comments (whose ids it returns), and the mail log.
func (tx *Tx) scrubCopies(u *User, names map[string]bool) ([]int64, error) {
	pseudonym, pseudoEmail := ErasedName(u.ID), erasedEmail(u.ID)
	idStr := strconv.FormatInt(u.ID, 10)
	// Events that may name the person: a superset, checked exactly below.
	conds := []string{"actor_id = ?", "subject_user_id = ?", "payload LIKE ? ESCAPE '\\'", "payload LIKE ? ESCAPE '\\'", "payload LIKE ? ESCAPE '\\'"}
	args := []any{u.ID, u.ID, containsPattern(u.Email), containsPattern("(user:" + idStr + ")"), containsPattern(`/people/` + idStr + `\"`)}
	for n := range names {
		enc, _ := json.Marshal(n)
		conds = append(conds, "payload LIKE ? ESCAPE '\\'")
		args = append(args, containsPattern(strings.Trim(string(enc), `"`)))
	}
	var after int64
	for {
		var evs []Event
		if err := tx.Where("id > ? AND ("+strings.Join(conds, " OR ")+")", append([]any{after}, args...)...).
			Order("id").Limit(500).Find(&evs).Error; err != nil {
			return nil, err
		}
		for _, ev := range evs {
			out, changed, err := rewritePersonal(ev.Payload, u.ID, names, u.Email, pseudonym, pseudoEmail)
			if err != nil || !changed {
				continue // a payload that is not JSON names nobody
			}
			if err := tx.Model(&Event{}).Where("id = ?", ev.ID).Update("payload", out).Error; err != nil {
				return nil, err
			}
		}
		if len(evs) < 500 {
			break
		}
		after = evs[len(evs)-1].ID
	}
	// Other people's notifications show an excerpt: a name (editor added)
	// or a comment's first words, which may mention the person.
	for n := range names {
		if err := tx.Model(&Notification{}).Where("excerpt = ?", n).Update("excerpt", pseudonym).Error; err != nil {
			return nil, err
		}
		if err := tx.Model(&Notification{}).Where("excerpt LIKE ? ESCAPE '\\'", containsPattern("@"+n)).
			Update("excerpt", gorm.Expr("REPLACE(excerpt, ?, ?)", "@"+n, "@"+pseudonym)).Error; err != nil {
			return nil, err
		}
	}
	rewritten, err := tx.scrubMentions(u.ID, pseudonym)
	if err != nil {
		return nil, err
	}
	return rewritten, tx.Exec("UPDATE mail_log SET to_address = ? WHERE user_id = ? OR to_address = ?", pseudoEmail, u.ID, u.Email).Error
}

// scrubMentions gives the pseudonym to the mentions of the person in
// comments: the mention keeps its id (and its link), not the name typed.
func (tx *Tx) scrubMentions(id int64, pseudonym string) ([]int64, error) {
	idStr := strconv.FormatInt(id, 10)
	var rows []struct {
		ID       int64
		Body     string
		BodyHTML string
	}
	if err := tx.Table("comments").Select("id, body, body_html").
		Where("body LIKE ? ESCAPE '\\'", containsPattern("(user:"+idStr+")")).Find(&rows).Error; err != nil {
		return nil, err
	}
	mention := func(m string) (string, bool) { return pseudonym, m == idStr }
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
		err := tx.Table("comments").Where("id = ?", r.ID).Updates(map[string]any{
			"body": rewriteMentions(r.Body, mention), "body_html": rewriteMentions(r.BodyHTML, mention)}).Error
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// scrubMeasureMentions gives the pseudonym to the mentions of the person
// in measures' texts: the current text changes through the co-editing log,
// as any edit made outside the co-editor does (AppendServerChange), so the
// live editors' documents, anchors and suggestions follow it; the saved
// revisions, the published ones included, are rewritten in place. It
// returns the measures whose text changed.
func (tx *Tx) scrubMeasureMentions(id int64, actor *User) ([]int64, error) {
	idStr := strconv.FormatInt(id, 10)
	pattern := containsPattern("(user:" + idStr + ")")
	pseudonym := ErasedName(id)
	mention := func(m string) (string, bool) { return pseudonym, m == idStr }
	var ids []int64
	if err := tx.Table("measures").Where("body LIKE ? ESCAPE '\\'", pattern).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	changed := make([]int64, 0, len(ids))
	for _, mid := range ids {
		m, err := tx.lockCollabMeasure(mid)
		if err != nil {
			return nil, err
		}
		body := rewriteMentions(m.Body, mention)
		if body == m.Body {
			continue
		}
		if _, err := tx.AppendServerChange(mid, m.Body, body, actor); err != nil {
			return nil, err
		}
		changed = append(changed, mid)
	}
	var revs []struct {
		MeasureID int64
		Number    int
		Body      string
	}
	if err := tx.Table("revisions").Select("measure_id, number, body").Where("body LIKE ? ESCAPE '\\'", pattern).Find(&revs).Error; err != nil {
		return nil, err
	}
	for _, r := range revs {
		if body := rewriteMentions(r.Body, mention); body != r.Body {
			if err := tx.Table("revisions").Where("measure_id = ? AND number = ?", r.MeasureID, r.Number).Update("body", body).Error; err != nil {
				return nil, err
			}
			if !slices.Contains(changed, r.MeasureID) {
				changed = append(changed, r.MeasureID)
			}
		}
	}
	return changed, nil
}

// containsPattern is a LIKE pattern for a substring, wildcards escaped.
func containsPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// PersonJSON is how the API names a person: id and name, and "erased":
// true for an erased account (its name is then the pseudonym).
func PersonJSON(id int64, name string) map[string]any {
	out := map[string]any{"id": id, "name": name}
	if IsErasedName(id, name) {
		out["erased"] = true
	}
	return out
}
