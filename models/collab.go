package models

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"pacte/collab"
)

// Co-editing (docs/DESIGN.md "Co-editing"): the database is the one authority for
// each measure's shared text. measures.body is the current text and
// measures.collab_version the number of updates ever accepted for it;
// collab_updates keeps every accepted update under (measure, version), the
// update that turned version v-1 into v being stored as v. A push commits
// the updates, the new text and the new version in one transaction, so an
// acknowledged update survives a crash and versions never have gaps.
// Retention (retention.go) compacts the log: measures.collab_floor is the
// oldest version whose following updates are all still kept; a client at
// an older version is told gone and joins again from the current text.

// Reasons a push is refused, as docs/API.md's collab.rejected spells them. They
// are also the Code of the *Error the store returns.
const (
	CollabStale       = "stale"
	CollabInvalid     = "invalid"
	CollabForbidden   = "forbidden"
	CollabNotEditable = "not_editable"
	CollabGone        = "gone"
)

// Limits on what one push may carry. The websocket frame limit bounds the
// bytes; these bound the work.
const (
	// MaxCollabBatch is the most updates one push may carry (the browser
	// sends at most 100).
	MaxCollabBatch = 500
	// MaxCollabPull is the most updates one answer to a pull carries; a
	// client further behind pulls again.
	MaxCollabPull = 1000
	// maxClientID bounds the clientID of an update.
	maxClientID = 100
	// ServerClientID marks updates the server makes itself (edits through
	// the REST API), which no browser may claim.
	ServerClientID = "server"
)

// CollabCommit is what an accepted push, or a read of the log, gives back.
type CollabCommit struct {
	MeasureID int64
	// From is the version the first update applies to.
	From int64
	// Version is the version after the updates; on a stale push, the
	// current version.
	Version int64
	// Updates are the accepted updates, in order, as stored.
	Updates []collab.Update
	// Doc is the text at Version (set by PushCollab only).
	Doc collab.Doc
	// Access is who may see and edit the measure as the push committed
	// (set by PushCollab only): the co-editing side checks its receivers
	// against it before sending them the updates.
	Access MeasureAccess
}

// collabUpdateRow is one line of collab_updates.
type collabUpdateRow struct {
	MeasureID int64     `gorm:"column:measure_id"`
	Version   int64     `gorm:"column:version"`
	ClientID  string    `gorm:"column:client_id"`
	UserID    *int64    `gorm:"column:user_id"`
	Changes   string    `gorm:"column:changes"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (collabUpdateRow) TableName() string { return "collab_updates" }

// CollabChannel is the PostgreSQL NOTIFY channel on which instances tell
// each other about accepted updates and cursors ("" on SQLite).
func (s *Store) CollabChannel() string {
	if s.Dialect != Postgres {
		return ""
	}
	return s.Channel + "_collab"
}

// PresenceChannel is the PostgreSQL NOTIFY channel on which instances
// announce who is on which page ("" on SQLite).
func (s *Store) PresenceChannel() string {
	if s.Dialect != Postgres {
		return ""
	}
	ch := s.Channel + "_presence"
	if len(ch) > 63 { // PostgreSQL truncates identifiers; pg_notify refuses them
		ch = ch[len(ch)-63:]
	}
	return ch
}

// CollabDoc returns a measure's current text and version.
func (s *Store) CollabDoc(ctx context.Context, measureID int64) (text string, version int64, err error) {
	var row struct {
		Body          string
		CollabVersion int64
	}
	res := s.Read(ctx).Raw("SELECT body, collab_version FROM measures WHERE id = ?", measureID).Scan(&row)
	if res.Error != nil {
		return "", 0, dbError(res.Error)
	}
	if res.RowsAffected == 0 {
		return "", 0, NotFound("Measure")
	}
	return row.Body, row.CollabVersion, nil
}

// CollabVersion returns a measure's current version only, for instances
// checking that they have missed nothing.
func (s *Store) CollabVersion(ctx context.Context, measureID int64) (int64, error) {
	var v []int64
	if err := s.Read(ctx).Raw("SELECT collab_version FROM measures WHERE id = ?", measureID).Scan(&v).Error; err != nil {
		return 0, dbError(err)
	}
	if len(v) == 0 {
		return 0, NotFound("Measure")
	}
	return v[0], nil
}

// CollabAccess is what the websocket side needs to know before letting a
// connection join a measure: whether the person may see it, may push to
// it, and whether its status allows editing at all.
type CollabAccess struct {
	Visible  bool
	Editor   bool
	Editable bool
}

// CollabAccessFor decides what a person may do with a measure's shared text.
// A measure that does not exist is simply not visible.
func (s *Store) CollabAccessFor(ctx context.Context, u *User, measureID int64) (CollabAccess, error) {
	m, err := s.MeasureAccessByID(ctx, measureID)
	if err != nil {
		if ErrorKind(err) == ENotFound {
			return CollabAccess{}, nil
		}
		return CollabAccess{}, err
	}
	a := CollabAccess{Visible: CanSeeMeasure(u, m)}
	if a.Visible {
		a.Editor = Can(u, ActCollabEdit, m)
		a.Editable = EditableStatus(m.Status)
	}
	return a, nil
}

func collabError(kind, code, msg string) *Error { return CodedError(kind, code, msg) }

// checkUpdates parses and validates updates before any transaction is
// opened, so a malformed push costs no database work.
func checkUpdates(updates []collab.Update) ([]collab.ChangeSet, error) {
	if len(updates) == 0 {
		return nil, collabError(EMalformed, CollabInvalid, "A push must carry at least one update.")
	}
	if len(updates) > MaxCollabBatch {
		return nil, collabError(EMalformed, CollabInvalid, fmt.Sprintf("A push may carry at most %d updates.", MaxCollabBatch))
	}
	sets := make([]collab.ChangeSet, len(updates))
	for i, u := range updates {
		if u.ClientID == "" || len(u.ClientID) > maxClientID || u.ClientID == ServerClientID || strings.ContainsAny(u.ClientID, "\x00\r\n") {
			return nil, collabError(EMalformed, CollabInvalid, "An update has a missing or invalid clientID.")
		}
		cs, err := u.ChangeSet()
		if err != nil {
			return nil, collabError(EMalformed, CollabInvalid, "An update's changes are not a valid ChangeSet.")
		}
		// The server's text uses "\n" only; a "\r" typed into it would make
		// the text one unit longer in a browser that loads it later.
		bad := false
		cs.IterChanges(func(_, _, _, _ int, ins string) {
			if strings.ContainsRune(ins, '\r') {
				bad = true
			}
		})
		if bad {
			return nil, collabError(EMalformed, CollabInvalid, "An update inserts a carriage return; line breaks must be \\n.")
		}
		sets[i] = cs
	}
	return sets, nil
}

// collabMeasure is the part of a measure a push reads under lock.
type collabMeasure struct {
	Status             string
	Body               string
	CollabVersion      int64
	CollabFloor        int64
	LeadOrganizationID int64
	Visibility         string
}

// lockCollabMeasure reads a measure's status, text and version, locking its
// row until the transaction ends. On SQLite the transaction already holds
// the database's only write lock (BEGIN IMMEDIATE), which serialises pushes
// just as well.
func (tx *Tx) lockCollabMeasure(measureID int64) (collabMeasure, error) {
	q := "SELECT status, body, collab_version, collab_floor, lead_organization_id, visibility FROM measures WHERE id = ?"
	if tx.store.Dialect == Postgres {
		q += " FOR UPDATE"
	}
	var m collabMeasure
	res := tx.Raw(q, measureID).Scan(&m)
	if res.Error != nil {
		return m, res.Error
	}
	if res.RowsAffected == 0 {
		return m, NotFound("Measure")
	}
	return m, nil
}

// PushCollab accepts a client's updates made on top of version, if version
// is the current one (docs/DESIGN.md "Co-editing"). In one transaction it checks
// that the person is an editor and the measure editable, applies every
// ChangeSet to the text in UTF-16, stores the updates as versions
// version+1…, moves comment anchors along, saves the text and the version
// and, on PostgreSQL, notifies the other instances. Nothing is stored unless
// all of it succeeds.
//
// Refusals are *Error values whose Code is a collab.rejected reason:
// stale (the returned commit's Version is then the current version),
// invalid, forbidden, not_editable, gone (a version the server never had,
// or one older than the compacted log's floor);
// a measure that does not exist is NotFound.
func (s *Store) PushCollab(ctx context.Context, u *User, measureID, version int64, updates []collab.Update) (CollabCommit, error) {
	out := CollabCommit{MeasureID: measureID, From: version, Version: -1}
	sets, err := checkUpdates(updates)
	if err != nil {
		return out, err
	}
	if !u.Active() {
		return out, collabError(EForbidden, CollabForbidden, "You cannot edit this measure.")
	}
	stored := make([]collab.Update, len(updates))
	for i, up := range updates {
		// Stored and relayed exactly as received, minus insignificant
		// whitespace: it is what every browser parses.
		stored[i] = collab.Update{ClientID: up.ClientID, Changes: compactJSON(up.Changes)}
	}
	err = s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockCollabMeasure(measureID)
		if err != nil {
			return err
		}
		var editors []int64
		if err := tx.Table("measure_editors").Where("measure_id = ?", measureID).Pluck("user_id", &editors).Error; err != nil {
			return err
		}
		acc := MeasureAccess{ID: measureID, LeadOrgID: m.LeadOrganizationID, EditorIDs: editors, Visibility: m.Visibility, Status: m.Status}
		if !Can(u, ActCollabEdit, acc) {
			return collabError(EForbidden, CollabForbidden, "Only the measure's editors can change its text.")
		}
		out.Version = m.CollabVersion // told to editors only
		if !EditableStatus(m.Status) {
			return collabError(EConflict, CollabNotEditable, "This measure can no longer be edited.")
		}
		if version != m.CollabVersion {
			if version > m.CollabVersion || version < 0 {
				// The server does not know that version (restored from a
				// backup): the client must start again from the server's text.
				return collabError(EConflict, CollabGone, "That version is not known here; join again.")
			}
			if version < m.CollabFloor {
				// Stale, but a pull could not bring it up to date: say so
				// now rather than after a pull.
				return errCollabCompacted()
			}
			return collabError(EConflict, CollabStale, "Others have changed the text since; pull their changes first.")
		}
		doc := collab.NewDoc(m.Body)
		for _, cs := range sets {
			if doc, err = cs.Apply(doc); err != nil {
				return collabError(EMalformed, CollabInvalid, "An update does not fit the text.")
			}
		}
		text := doc.String()
		if len(text) > MaxBodyBytes { // the limit of every other way to write the text
			return collabError(EMalformed, CollabInvalid, "The text would be too long.")
		}
		if err := tx.Table("measure_cosponsors").Where("measure_id = ?", measureID).Order("organization_id").
			Pluck("organization_id", &acc.CosponsorOrgIDs).Error; err != nil {
			return err
		}
		if err := tx.appendCollab(measureID, version, u, stored, sets, text); err != nil {
			return err
		}
		out.Access = acc
		out.Version = version + int64(len(stored))
		out.Doc = doc
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Updates = stored
	return out, nil
}

// appendCollab stores updates made on top of version, moves the measure's
// comment anchors through them, saves the text and the version, and tells
// the other instances. The caller holds the measure's row lock.
func (tx *Tx) appendCollab(measureID, version int64, u *User, updates []collab.Update, sets []collab.ChangeSet, text string) error {
	now := tx.store.Now()
	var uid *int64
	if u != nil && u.ID != 0 {
		id := u.ID
		uid = &id
	}
	rows := make([]collabUpdateRow, len(updates))
	for i, up := range updates {
		rows[i] = collabUpdateRow{MeasureID: measureID, Version: version + int64(i) + 1, ClientID: up.ClientID,
			UserID: uid, Changes: string(up.Changes), CreatedAt: now}
	}
	if err := tx.Create(&rows).Error; err != nil {
		if IsUniqueViolation(err) {
			// Only possible if someone wrote the log without the row lock.
			return collabError(EConflict, CollabStale, "Others have changed the text since; pull their changes first.")
		}
		return err
	}
	if err := tx.mapAnchors(measureID, sets); err != nil {
		return err
	}
	if err := tx.mapSuggestions(measureID, sets, u); err != nil { // suggestions.go
		return err
	}
	newVersion := version + int64(len(updates))
	if err := tx.Exec("UPDATE measures SET body = ?, collab_version = ?, updated_at = ? WHERE id = ?",
		text, newVersion, now, measureID).Error; err != nil {
		return err
	}
	return tx.notify(tx.store.CollabChannel(), "u:"+strconv.FormatInt(measureID, 10)+":"+strconv.FormatInt(newVersion, 10))
}

// mapAnchors keeps every comment anchored to a span of the measure pointing
// at the same words through the changes; a span whose words are all deleted
// is marked detached (and no longer moved) rather than lost.
func (tx *Tx) mapAnchors(measureID int64, sets []collab.ChangeSet) error {
	var anchors []struct {
		ID         int64
		AnchorFrom int64
		AnchorTo   int64
	}
	if err := tx.Raw(`SELECT id, anchor_from, anchor_to FROM comments
		WHERE measure_id = ? AND anchor_from IS NOT NULL AND anchor_to IS NOT NULL AND anchor_detached = ?`,
		measureID, false).Scan(&anchors).Error; err != nil {
		return err
	}
	for _, a := range anchors {
		from, to, detached := int(a.AnchorFrom), int(a.AnchorTo), false
		for _, cs := range sets {
			if from, to, detached = cs.MapRange(from, to); detached {
				break
			}
		}
		if int64(from) == a.AnchorFrom && int64(to) == a.AnchorTo && !detached {
			continue
		}
		if err := tx.Exec("UPDATE comments SET anchor_from = ?, anchor_to = ?, anchor_detached = ? WHERE id = ?",
			from, to, detached, a.ID).Error; err != nil {
			return err
		}
	}
	return nil
}

// AppendServerChange records an edit of a measure's text made through the
// REST API or a form (PATCH) while others may be co-editing it: the
// difference between oldBody and newBody becomes an update made by the
// server (clientID "server") at the next version, so every editor's text
// follows it, and comment anchors move with it. newBody is saved as the
// measure's body (line breaks normalised), whether or not the caller has
// already written it.
//
// oldBody must be the text at the measure's current version, that is the
// body as read under lock in this same transaction; a stored body that is
// neither oldBody nor newBody is refused rather than silently forked.
// It returns the new version (the current one when the text is unchanged).
func (tx *Tx) AppendServerChange(measureID int64, oldBody, newBody string, u *User) (int64, error) {
	m, err := tx.lockCollabMeasure(measureID)
	if err != nil {
		return 0, err
	}
	newBody = collab.NormalizeLineBreaks(newBody)
	if m.Body != oldBody && m.Body != newBody {
		return 0, fmt.Errorf("co-editing: measure %d changed under a server edit", measureID)
	}
	if oldBody == newBody {
		return m.CollabVersion, nil
	}
	cs := collab.FromDiff(oldBody, newBody)
	changes, err := cs.MarshalJSON()
	if err != nil {
		return 0, err
	}
	up := collab.Update{ClientID: ServerClientID, Changes: changes}
	if err := tx.appendCollab(measureID, m.CollabVersion, u, []collab.Update{up}, []collab.ChangeSet{cs}, newBody); err != nil {
		return 0, err
	}
	return m.CollabVersion + 1, nil
}

// CollabUpdatesSince returns the accepted updates from version on (at most
// MaxCollabPull of them), for a client that pulls. A version past the
// current one, or below the floor of the compacted log, make it gone.
func (s *Store) CollabUpdatesSince(ctx context.Context, measureID, version int64) (CollabCommit, error) {
	out := CollabCommit{MeasureID: measureID, From: version}
	current, floor, err := s.collabBounds(ctx, measureID)
	if err != nil {
		return out, err
	}
	out.Version = current
	if version < 0 || version > current {
		return out, collabError(EConflict, CollabGone, "That version is not known here; join again.")
	}
	if version < floor {
		return out, errCollabCompacted()
	}
	to := min(current, version+MaxCollabPull)
	if to == version {
		return out, nil
	}
	rows, kept, err := collabRows(s.Read(ctx), measureID, version, to)
	if err != nil {
		return out, dbError(err)
	}
	if !kept { // compacted between the two reads
		return out, errCollabCompacted()
	}
	out.Updates = make([]collab.Update, len(rows))
	for i, r := range rows {
		out.Updates[i] = collab.Update{ClientID: r.ClientID, Changes: json.RawMessage(r.Changes)}
	}
	out.Version = to
	return out, nil
}

// errCollabCompacted refuses a version older than the kept log.
func errCollabCompacted() *Error {
	return collabError(EConflict, CollabGone, "The updates after your version are no longer kept; join again.")
}

// collabBounds reads a measure's current version and the floor of its log.
func (s *Store) collabBounds(ctx context.Context, measureID int64) (version, floor int64, err error) {
	var row []struct {
		CollabVersion int64
		CollabFloor   int64
	}
	if err := s.Read(ctx).Raw("SELECT collab_version, collab_floor FROM measures WHERE id = ?", measureID).Scan(&row).Error; err != nil {
		return 0, 0, dbError(err)
	}
	if len(row) == 0 {
		return 0, 0, NotFound("Measure")
	}
	return row[0].CollabVersion, row[0].CollabFloor, nil
}

// CollabFloor is the oldest version of a measure from which its log can
// still bring a client up to date (0: nothing compacted). The co-editing
// side checks it before answering a pull from memory, so that a pull
// answers the same on every instance, whatever each happens to hold.
func (s *Store) CollabFloor(ctx context.Context, measureID int64) (int64, error) {
	_, floor, err := s.collabBounds(ctx, measureID)
	return floor, err
}

// collabRows reads the stored updates that turned version from into to,
// in order; kept is false when some of them are no longer stored.
func collabRows(db *gorm.DB, measureID, from, to int64) (rows []collabUpdateRow, kept bool, err error) {
	if err := db.Where("measure_id = ? AND version > ? AND version <= ?", measureID, from, to).
		Order("version").Find(&rows).Error; err != nil {
		return nil, false, err
	}
	return rows, int64(len(rows)) == to-from, nil
}

// FoldCollab saves the accepted updates not yet part of a revision as a new
// revision of the measure (docs/DESIGN.md: "Saved whenever an editing burst ends
// and at every status change"), whose authors are everyone who contributed
// to them; SaveRevision emits measure.revision_saved. It does nothing when
// the text has not changed since the last revision. Status transitions call
// it first, in their own transaction, before they lock the measure.
func (tx *Tx) FoldCollab(measureID int64) (revision int, folded bool, err error) {
	var m []struct {
		Body          string
		Revision      int
		CollabVersion int64
	}
	q := "SELECT body, revision, collab_version FROM measures WHERE id = ?"
	if tx.store.Dialect == Postgres {
		q += " FOR UPDATE" // two instances folding at once save one revision
	}
	if err := tx.Raw(q, measureID).Scan(&m).Error; err != nil {
		return 0, false, err
	}
	if len(m) == 0 {
		return 0, false, NotFound("Measure")
	}
	var last []struct {
		Body          string
		CollabVersion int64
	}
	if err := tx.Raw("SELECT body, collab_version FROM revisions WHERE measure_id = ? AND number = ?", measureID, m[0].Revision).
		Scan(&last).Error; err != nil {
		return 0, false, err
	}
	var since int64
	if len(last) > 0 {
		since = last[0].CollabVersion
		if m[0].CollabVersion <= since || m[0].Body == last[0].Body {
			return m[0].Revision, false, nil
		}
	} else if m[0].CollabVersion == 0 {
		return m[0].Revision, false, nil
	}
	var authors []int64
	if err := tx.Raw(`SELECT DISTINCT user_id FROM collab_updates WHERE measure_id = ? AND version > ? AND version <= ? AND user_id IS NOT NULL ORDER BY user_id`,
		measureID, since, m[0].CollabVersion).Scan(&authors).Error; err != nil {
		return 0, false, err
	}
	n, err := tx.SaveRevision(measureID, RevisionCollab, authors, nil)
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// FoldCollabBeforeEdit runs, in its own transaction, before an edit
// (PATCH, the edit form). When the edit changes the text and co-edits are not
// yet in a revision, they are saved as one: an edit made on the revision the
// person loaded then no longer matches the current revision and is refused as
// stale, instead of silently overwriting what others typed since; the
// person reloads and sees the co-edits. An edit that leaves the text as it
// is (title only, or the co-editor's own text) folds nothing.
func (s *Store) FoldCollabBeforeEdit(ctx context.Context, measureID int64, newBody *string) error {
	if newBody == nil {
		return nil
	}
	var unfolded bool
	if err := s.Write(ctx, func(tx *Tx) error {
		var err error
		if unfolded, err = tx.unfoldedEdit(measureID, *newBody); err != nil || !unfolded {
			return err
		}
		_, _, err = tx.FoldCollab(measureID)
		return err
	}); err != nil && ErrorKind(err) != ENotFound {
		return err
	}
	return nil
}

// CheckCollabFolded runs inside the edit's transaction, after its revision
// check: a text change while co-edits are not in a revision (pushed since
// FoldCollabBeforeEdit) is stale too.
func (tx *Tx) CheckCollabFolded(measureID int64, newBody *string) error {
	if newBody == nil {
		return nil
	}
	unfolded, err := tx.unfoldedEdit(measureID, *newBody)
	if err != nil || !unfolded {
		return err
	}
	var rev int
	if err := tx.Raw("SELECT revision FROM measures WHERE id = ?", measureID).Scan(&rev).Error; err != nil {
		return err
	}
	return StaleRevision(rev)
}

// unfoldedEdit reports whether newBody changes the text while the measure
// has co-edits that no revision holds.
func (tx *Tx) unfoldedEdit(measureID int64, newBody string) (bool, error) {
	var m []struct {
		Body          string
		CollabVersion int64
		Folded        *int64
	}
	if err := tx.Raw(`SELECT m.body, m.collab_version, r.collab_version AS folded FROM measures m
		LEFT JOIN revisions r ON r.measure_id = m.id AND r.number = m.revision WHERE m.id = ?`, measureID).Scan(&m).Error; err != nil {
		return false, err
	}
	if len(m) == 0 || m[0].Body == collab.NormalizeLineBreaks(newBody) {
		return false, nil
	}
	folded := int64(0)
	if m[0].Folded != nil {
		folded = *m[0].Folded
	}
	return m[0].CollabVersion > folded, nil
}

// FoldCollabIfIdle folds a measure's updates into a revision once nobody has
// pushed to it for idle. When the last update is more recent than that, it
// folds nothing and says how long to wait before trying again.
func (s *Store) FoldCollabIfIdle(ctx context.Context, measureID int64, idle time.Duration) (wait time.Duration, folded bool, err error) {
	err = s.Write(ctx, func(tx *Tx) error {
		var last []time.Time
		if err := tx.Raw(`SELECT u.created_at FROM collab_updates u JOIN measures m ON m.id = u.measure_id
			WHERE u.measure_id = ? AND u.version = m.collab_version`, measureID).Scan(&last).Error; err != nil {
			return err
		}
		if len(last) > 0 {
			if age := s.Now().Sub(last[0]); age < idle {
				wait = idle - age
				return nil
			}
		}
		var err error
		_, folded, err = tx.FoldCollab(measureID)
		return err
	})
	if ErrorKind(err) == ENotFound {
		return 0, false, nil
	}
	return wait, folded, err
}

// UnfoldedCollabMeasures lists the measures whose text has updates that no
// revision holds yet, for instances starting up after a crash.
func (s *Store) UnfoldedCollabMeasures(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.Read(ctx).Raw(`SELECT m.id FROM measures m
		LEFT JOIN revisions r ON r.measure_id = m.id AND r.number = m.revision
		WHERE m.collab_version > COALESCE(r.collab_version, 0) ORDER BY m.id`).Scan(&ids).Error
	return ids, dbError(err)
}

// compactJSON drops insignificant whitespace; invalid JSON (already refused
// by the parser) is returned unchanged.
func compactJSON(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return json.RawMessage(b.Bytes())
}
