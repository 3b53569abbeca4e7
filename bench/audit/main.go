// Command audit measures the verification of the tamper-evident audit
// trail (models/audit_chain.go): it writes an event log of the size the
// issue names (100,000 events) through the store's own Emit, with the
// payloads the platform writes (edits, status changes, comments with their
// author and mentions, reviews, notification bells), then times
// `pacte audit verify`'s walk of the chain over several rounds. The aim is
// under 2 s for 100,000 events on the 2-core machine. It also times what
// an upgrade costs: the one-time backfill of the hashes at start, and what
// the chain adds to writing an event (one event per transaction).
//
//	go run ./bench/audit                                 # SQLite in a temporary directory
//	go run ./bench/audit -events 100000 -rounds 5
//	go run ./bench/audit -database-url postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// With -database-url, the log is written in a schema of its own, dropped
// at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

type options struct {
	events      int
	rounds      int
	writes      int
	databaseURL string
	dataDir     string
	cpuProfile  string
}

func main() {
	var o options
	flag.IntVar(&o.events, "events", 100000, "events in the log")
	flag.IntVar(&o.rounds, "rounds", 5, "verifications to time")
	flag.IntVar(&o.writes, "writes", 2000, "single-event transactions to time")
	flag.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL server to run on (a schema of its own); default SQLite")
	flag.StringVar(&o.dataDir, "dir", "", "SQLite data directory (default: a temporary one, removed at the end)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the verifications to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "audit bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	opts := models.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	engine := models.SQLite
	if o.databaseURL != "" {
		engine = models.Postgres
		url, drop, err := storetest.CreateSchema(o.databaseURL, fmt.Sprintf("bench_audit_%d", time.Now().UnixNano()))
		if err != nil {
			return err
		}
		defer drop()
		opts.DatabaseURL = url
	} else {
		opts.DataDir = o.dataDir
		if opts.DataDir == "" {
			dir, err := os.MkdirTemp("", "pacte-bench-audit-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			opts.DataDir = dir
		}
	}
	s, err := models.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer func() { s.Close() }()

	started := time.Now()
	personal, err := fill(ctx, s, o.events)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d events written in %s (%d%% of them name a person: blanked before hashing)\n",
		engine, o.events, time.Since(started).Round(time.Millisecond), 100*personal/max(o.events, 1))

	var took []time.Duration
	var v models.AuditVerification
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for r := 0; r < o.rounds; r++ {
		t0 := time.Now()
		if v, err = s.VerifyAuditChain(ctx); err != nil {
			return err
		}
		took = append(took, time.Since(t0))
		if !v.OK {
			return fmt.Errorf("the chain is broken: %s", v.Problem)
		}
	}
	pprof.StopCPUProfile()
	slices.Sort(took)
	fmt.Printf("verify %d events, %d rounds: min %s, median %s, max %s (%.0f events/s at the median; aim < 2 s)\n",
		v.Events, o.rounds, ms(took[0]), ms(took[len(took)/2]), ms(took[len(took)-1]), float64(v.Events)/took[len(took)/2].Seconds())

	// Erasure: Karim Bennani, mentioned in every comment of the log (a
	// fifth of it), erases his account; the events naming him are
	// rewritten, and the chain must still hold.
	if err := erase(ctx, s); err != nil {
		return err
	}

	// An upgraded database: every hash gone, the backfill to do at start.
	if err := s.Write(ctx, func(tx *models.Tx) error {
		if err := tx.Exec("UPDATE events SET hash = ''").Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE audit_chain SET backfilled = ?", false).Error
	}); err != nil {
		return err
	}
	s.Close()
	t0 := time.Now()
	if s, err = models.Open(ctx, opts); err != nil {
		return err
	}
	fmt.Printf("backfill at start (upgrade of %d events): %s\n", o.events, ms(time.Since(t0)))
	if v, err = s.CheckAuditChain(ctx); err != nil || !v.OK {
		return fmt.Errorf("after the backfill: %+v %v", v, err)
	}

	// What a write costs, chain included: one event per transaction, the
	// shape of a comment or a co-editing save.
	var lat []time.Duration
	for i := 0; i < o.writes; i++ {
		t0 := time.Now()
		if err := s.Write(ctx, func(tx *models.Tx) error {
			_, err := tx.Emit(models.MeasureTopic(1), "comment.created", nil, 1, 0, commentData(i))
			return err
		}); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	fmt.Printf("write one event per transaction (%d): mean %s, p50 %s, p99 %s\n",
		o.writes, us(sum/time.Duration(len(lat))), us(lat[len(lat)/2]), us(lat[len(lat)*99/100]))
	return nil
}

// erase times the erasure of the person the log's comments mention (id
// 12), then verifies the chain again.
func erase(ctx context.Context, s *models.Store) error {
	now := time.Now().UTC()
	admin := &models.User{Email: "admin@bench.ma", Name: "Admin", Role: models.RoleAdmin, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	karim := &models.User{ID: 12, Email: "karim@bench.ma", Name: "Karim Bennani", Role: models.RoleMember, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	if err := s.Write(ctx, func(tx *models.Tx) error {
		if err := tx.Create(karim).Error; err != nil {
			return err
		}
		return tx.Create(admin).Error
	}); err != nil {
		return err
	}
	t0 := time.Now()
	if err := s.EraseUser(ctx, admin, karim.ID); err != nil {
		return err
	}
	took := time.Since(t0)
	var n int64
	if err := s.Read(ctx).Table("events").Where("payload LIKE ?", "%"+models.ErasedName(karim.ID)+"%").Count(&n).Error; err != nil {
		return err
	}
	v, err := s.VerifyAuditChain(ctx)
	if err != nil {
		return err
	}
	if !v.OK {
		return fmt.Errorf("the chain is broken after the erasure: %s", v.Problem)
	}
	fmt.Printf("erase a person named in %d events: %s; the chain still verifies\n", n, ms(took))
	return nil
}

// fill writes n events through Emit, 500 per transaction (a write
// transaction per event would time the disk, not the chain). It returns
// how many name a person.
func fill(ctx context.Context, s *models.Store, n int) (int, error) {
	personal := 0
	for done := 0; done < n; {
		err := s.Write(ctx, func(tx *models.Tx) error {
			for k := 0; k < 500 && done < n; k, done = k+1, done+1 {
				topic, typ, data, named := event(done)
				if named {
					personal++
				}
				if _, err := tx.Emit(topic, typ, nil, int64(1+done%2000), 0, data); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return personal, nil
}

var sentences = []string{
	"La dématérialisation des procédures administratives doit s'accompagner d'un guichet unique pour les PME.",
	"Nous proposons d'ajouter un calendrier de mise en œuvre et des indicateurs de suivi par région.",
	"يجب أن تضمن الاستراتيجية حماية المعطيات الشخصية وتكوين الشباب في المهن الرقمية.",
	"Le cloud souverain suppose des centres de données certifiés sur le territoire national.",
	"نقترح إضافة جدول زمني للتنفيذ ومؤشرات للتتبع حسب الجهات.",
}

// event is the i-th event of the log: the platform's mix, about a third
// of which names a person (comments, reviews).
func event(i int) (topic, typ string, data any, personal bool) {
	m := int64(1 + i%2000)
	measure := map[string]any{"id": m, "title": "Mesure " + fmt.Sprint(m) + " : " + sentences[i%len(sentences)][:40], "status": "draft", "revision": 1 + i%9}
	switch i % 10 {
	case 0, 1, 2:
		return models.MeasureTopic(m), "measure.updated", models.NoFanOut{"fields": []string{"body", "summary"}, "revision": 1 + i%9, "measure": measure}, false
	case 3, 4:
		return models.MeasureTopic(m), "comment.created", commentData(i), true
	case 5:
		return models.MeasureTopic(m), "review.created", models.NoFanOut{"decision": "changes_requested", "revision": 2,
			"note": strings.Join(sentences[1:3], " "), "reviewer": map[string]any{"id": 40 + i%7, "name": "Nadia Alaoui", "organization_id": 5}}, true
	case 6:
		return models.MeasureTopic(m), "measure.status_changed", models.NoFanOut{"from": "draft", "to": "in_review", "transition": "submit", "revision": 3, "measure": measure}, false
	default:
		u := int64(1 + i%300)
		return models.UserTopic(u), models.EventNotificationCreated, map[string]any{"id": i, "type": "comment.reply", "unread_count": i % 12}, false
	}
}

func commentData(i int) models.NoFanOut {
	return models.NoFanOut{"comment_id": i, "parent_id": nil, "measure_id": 1 + i%2000,
		"body":   sentences[i%len(sentences)] + " Merci @[Karim Bennani](user:12) pour la relecture. " + sentences[(i+1)%len(sentences)],
		"author": map[string]any{"id": 10 + i%50, "name": "Salma Idrissi", "organization_id": 1 + i%4}}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
func us(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
