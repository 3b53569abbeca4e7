package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The tamper-evident audit trail (docs/SECURITY.md, "Tamper-evident audit
// trail"). Every event row carries a hash chained to the row before it:
//
//	hash_n = hex(SHA-256(fields(hash_{n-1}, row_n)))   hash_0 = ""
//
// (fields: chainer.hash)
// in id order, per database. Ids become visible in commit order (the lock
// of Tx.Emit), so the previous row is known when a row is written, on
// every instance. Changing, inserting or deleting a row breaks the chain
// at that row or the one after it; `pacte audit verify` and a daily job
// walk it (audit_verify.go).

// ChainPayload is the part of an event's payload the chain covers: the
// payload with its personal display values blanked (BlankPersonal,
// personal.go: the values of "name" and "email" keys at any depth, and the
// display text of mentions). Account erasure rewrites exactly those values
// to a pseudonym in old events and must not break the chain. The
// trade-off, documented: a forger who changes a display name in an old
// event is not detected; ids, event types, times and every other value
// (titles, notes, comment text, decisions) are covered.
//
// A payload with none of them (no "name" or "email" key, no "@") is
// hashed as stored, which spares the verifier a decode and re-encode of
// most rows: erasure never rewrites such a payload, and json.Marshal never
// escapes those characters, so the choice depends on the stored bytes
// alone and writer and verifier always agree. A payload that is not JSON
// is hashed as stored too.
func ChainPayload(payload string) []byte {
	if !strings.Contains(payload, `"name"`) && !strings.Contains(payload, `"email"`) && !strings.Contains(payload, "@") {
		return []byte(payload)
	}
	out, err := BlankPersonal(payload)
	if err != nil {
		return []byte(payload)
	}
	return out
}

// chainVersion starts every hashed message, so that a later change of what
// is hashed can be told from tampering.
const chainVersion = "pacte-audit-chain-1"

// chainer computes row hashes, reusing one buffer: the verifier hashes
// every row of the log.
type chainer struct{ buf []byte }

// hash is the chained hash of e after the row whose hash is prev: SHA-256
// over length-prefixed fields (an unsigned varint length, then the bytes),
// so that no two rows encode alike: the version, prev, id, topic, type,
// actor, measure and subject ids (empty when null), the creation time in
// UTC Unix microseconds (what PostgreSQL keeps), and ChainPayload.
func (c *chainer) hash(prev string, e *Event) string {
	return c.hashWith(prev, e, ChainPayload(e.Payload))
}

// hashWith is hash with ChainPayload(e.Payload) already computed: the
// verifier computes those in parallel, since only the chaining itself is
// sequential.
func (c *chainer) hashWith(prev string, e *Event, payload []byte) string {
	b := c.buf[:0]
	field := func(p []byte) {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	var num [20]byte
	id := func(p *int64) {
		if p == nil {
			field(nil)
			return
		}
		field(strconv.AppendInt(num[:0], *p, 10))
	}
	field([]byte(chainVersion))
	field([]byte(prev))
	field(strconv.AppendInt(num[:0], e.ID, 10))
	field([]byte(e.Topic))
	field([]byte(e.Type))
	id(e.ActorID)
	id(e.MeasureID)
	id(e.SubjectUserID)
	field(strconv.AppendInt(num[:0], e.CreatedAt.UnixMicro(), 10))
	field(payload)
	c.buf = b
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ChainHash is the hash of e chained after prev ("" for the first row), as
// written in events.hash.
func ChainHash(prev string, e *Event) string {
	var c chainer
	return c.hash(prev, e)
}

// chainTime is an event's time as stored: PostgreSQL keeps microseconds,
// so an event is made with what the database will give back, and the
// event published is the event hashed.
func chainTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// chainHead is the last row of the chain a write transaction knows: the
// row it wrote last, under the lock that orders events.
type chainHead struct {
	id   int64
	hash string
}

// chain gives new events their ids and hashes, in order, after the last
// row of the log. It takes the events lock on PostgreSQL (Emit explains
// why ids need it; the chain needs the previous row to be final), once per
// transaction: after its first event, the transaction is the head's writer
// until it commits, and remembers the head instead of reading it again. A
// rolled-back transaction takes its memory with it.
func (tx *Tx) chain(evs []Event) error {
	ids, prev, err := tx.nextEventIDs(len(evs))
	if err != nil {
		return err
	}
	var c chainer
	for i := range evs {
		evs[i].ID = ids[i]
		evs[i].Hash = c.hash(prev, &evs[i])
		prev = evs[i].Hash
	}
	tx.head = &chainHead{id: evs[len(evs)-1].ID, hash: prev}
	return nil
}

// nextEventIDs draws n event ids, in increasing order, and reads the hash
// of the row they follow.
//
// PostgreSQL draws them from the serial sequence (a rolled-back
// transaction leaves a gap, which the chain ignores), in one statement with
// the previous hash; the statement after the lock sees every event that
// committed before it. SQLite has one writer: the next ids follow the
// largest ever used (sqlite_sequence, as AUTOINCREMENT would choose).
func (tx *Tx) nextEventIDs(n int) ([]int64, string, error) {
	ids := make([]int64, 0, n)
	if tx.store.Dialect == Postgres {
		if tx.head == nil {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7411002)").Error; err != nil {
				return nil, "", err
			}
		}
		type drawn struct {
			ID   int64
			Prev string
		}
		var rows []drawn
		q := `SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id, '' AS prev FROM generate_series(1, ?)`
		if tx.head == nil {
			q = `SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id,
				COALESCE((SELECT hash FROM events ORDER BY id DESC LIMIT 1), '') AS prev FROM generate_series(1, ?)`
		}
		if err := tx.Raw(q, n).Scan(&rows).Error; err != nil {
			return nil, "", err
		}
		if len(rows) != n {
			return nil, "", fmt.Errorf("audit chain: %d event ids drawn, %d asked for", len(rows), n)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		// One statement draws them in row order; sorting costs nothing
		// and does not rely on it.
		slices.Sort(ids)
		prev := ""
		if tx.head != nil {
			prev = tx.head.hash
		} else if len(rows) > 0 {
			prev = rows[0].Prev
		}
		return ids, prev, nil
	}
	var last struct {
		Seq  int64
		Max  int64
		Prev string
	}
	if tx.head != nil {
		last.Seq, last.Prev = tx.head.id, tx.head.hash
	} else if err := tx.Raw(`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS seq,
		COALESCE((SELECT MAX(id) FROM events), 0) AS max,
		COALESCE((SELECT hash FROM events ORDER BY id DESC LIMIT 1), '') AS prev`).Scan(&last).Error; err != nil {
		return nil, "", err
	}
	next := max(last.Seq, last.Max) + 1
	for i := 0; i < n; i++ {
		ids = append(ids, next+int64(i))
	}
	return ids, last.Prev, nil
}
