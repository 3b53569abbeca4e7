package models

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// TopicMeasures is the live topic of the measures list: it carries the
// measure.* and cosponsor.* events of every measure, each still checked
// against what the receiver may see.
const TopicMeasures = "measures"

// Topic kinds, as ParseTopic names them.
const (
	TopicKindMeasures = "measures"
	TopicKindMeasure  = "measure"
	TopicKindUser     = "user"
)

// ParseTopic splits a live topic into its kind and id: "measures" (id 0),
// "measure:<id>" or "user:<id>". Anything else is not a topic.
func ParseTopic(topic string) (kind string, id int64, ok bool) {
	if topic == TopicMeasures {
		return TopicKindMeasures, 0, true
	}
	k, rest, found := strings.Cut(topic, ":")
	if !found || (k != TopicKindMeasure && k != TopicKindUser) {
		return "", 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != rest {
		return "", 0, false
	}
	return k, n, true
}

// onMeasureList reports whether an event of a measure also belongs on the
// measures list: the measure's own changes and its co-sponsors, not its
// comments or edits in progress.
func onMeasureList(e *Event) bool {
	return e.MeasureID != nil && strings.HasPrefix(e.Topic, TopicKindMeasure+":") &&
		(strings.HasPrefix(e.Type, "measure.") || strings.HasPrefix(e.Type, "cosponsor."))
}

// Topics lists the live topics an event is delivered on: its own, and the
// measures list for the events that change what the list shows. The hub
// (live) and EventsAfter (catch-up) route by this same rule, so a client
// that catches up sees exactly what it would have seen live.
func (e *Event) Topics() []string {
	if e.Topic != TopicMeasures && onMeasureList(e) {
		return []string{e.Topic, TopicMeasures}
	}
	return []string{e.Topic}
}

// OnTopic reports whether the event is delivered on topic.
func (e *Event) OnTopic(topic string) bool {
	if e.Topic == topic {
		return true
	}
	return topic == TopicMeasures && onMeasureList(e)
}

// MeasureRef is the measure an event concerns, or 0: its measure_id, else
// the id in its measure:<id> topic.
func (e *Event) MeasureRef() int64 {
	if e.MeasureID != nil {
		return *e.MeasureID
	}
	if k, id, ok := ParseTopic(e.Topic); ok && k == TopicKindMeasure {
		return id
	}
	return 0
}

// topicScope narrows a query to the events delivered on topic ("" for all).
// It mirrors OnTopic.
func topicScope(q *gorm.DB, topic string) *gorm.DB {
	switch topic {
	case "":
		return q
	case TopicMeasures:
		return q.Where("(topic = ? OR (measure_id IS NOT NULL AND topic LIKE ? AND (type LIKE ? OR type LIKE ?)))",
			TopicMeasures, TopicKindMeasure+":%", "measure.%", "cosponsor.%")
	default:
		return q.Where("topic = ?", topic)
	}
}

// EventScan is one read of the log: the events delivered on a topic, and
// where the next read starts.
type EventScan struct {
	Events []Event
	// Next is the id of the last row read (the after given when none was).
	Next int64
	// More is true when the read stopped at its limit.
	More bool
}

// EventsAfter reads, in id order, the events with an id above after that
// are delivered on topic ("" for every topic), reading at most limit rows.
// Ids become visible in commit order (see Emit), so reading "id > after"
// never skips an event that commits later with a smaller id.
func (s *Store) EventsAfter(ctx context.Context, topic string, after int64, limit int) (EventScan, error) {
	var rows []Event
	q := topicScope(s.Read(ctx).Model(&Event{}), topic).Where("id > ?", after).Order("id").Limit(limit)
	if err := q.Find(&rows).Error; err != nil {
		return EventScan{Next: after}, dbError(err)
	}
	out := EventScan{Next: after, More: len(rows) == limit}
	if len(rows) > 0 {
		out.Next = rows[len(rows)-1].ID
	}
	// The SQL is a prefilter (LIKE ignores case on SQLite); OnTopic is the rule.
	out.Events = rows[:0]
	for i := range rows {
		if topic == "" || rows[i].OnTopic(topic) {
			out.Events = append(out.Events, rows[i])
		}
	}
	return out, nil
}

// CountEventsAfter counts the events after an id on a topic, stopping at
// max: enough to tell whether a reconnecting client is too far behind
// without counting the whole log.
func (s *Store) CountEventsAfter(ctx context.Context, topic string, after int64, max int) (int, error) {
	inner := topicScope(s.Read(ctx).Model(&Event{}).Select("id"), topic).Where("id > ?", after).Order("id").Limit(max)
	var n int64
	if err := s.Read(ctx).Table("(?) AS t", inner).Count(&n).Error; err != nil {
		return 0, dbError(err)
	}
	return int(n), nil
}

// MaxEventID is the newest event id, 0 for an empty log. A page renders it
// so that its websocket replays whatever happens between rendering and
// connecting.
func (s *Store) MaxEventID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.Read(ctx).Raw("SELECT MAX(id) FROM events").Row().Scan(&id); err != nil {
		return 0, dbError(err)
	}
	return id.Int64, nil
}
