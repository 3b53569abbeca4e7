package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// 64 goroutines run read-then-write transactions, plain reads and session
// writes at once: no "database is locked", no lost write, no race.
func TestStore_ConcurrentWrites(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			now := time.Now().UTC()
			u := &models.User{Email: "conc@example.ma", Name: "Concurrency", Role: models.RoleMember, Status: models.StatusActive,
				PasswordHash: "", Locale: "fr", CreatedAt: now, UpdatedAt: now}
			if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
				t.Fatal(err)
			}
			const workers, rounds = 64, 10
			var mu sync.Mutex
			var errs []error
			seen := map[int64]int{}
			fail := func(err error) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < rounds; i++ {
						var before int64
						err := s.Write(ctx, func(tx *models.Tx) error {
							if err := tx.Model(&models.Event{}).Where("topic = ?", "test:concurrency").Count(&before).Error; err != nil {
								return err
							}
							_, err := tx.Emit("test:concurrency", "test.counted", u, 0, 0, map[string]any{"seen": before, "worker": w})
							return err
						})
						if err != nil {
							fail(fmt.Errorf("write: %w", err))
							continue
						}
						mu.Lock()
						seen[before]++
						mu.Unlock()
						var n int64
						if err := s.Read(ctx).Model(&models.Event{}).Count(&n).Error; err != nil {
							fail(fmt.Errorf("read: %w", err))
						}
						if w%4 == 0 {
							raw, _, err := s.CreateSession(ctx, u.ID)
							if err != nil {
								fail(fmt.Errorf("session: %w", err))
								continue
							}
							if _, _, err := s.SessionUser(ctx, raw); err != nil {
								fail(fmt.Errorf("session user: %w", err))
							}
						}
					}
				}(w)
			}
			wg.Wait()
			locked := 0
			for _, err := range errs {
				if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
					locked++
				}
			}
			if len(errs) > 0 {
				t.Errorf("%d errors (%d 'database is locked'), first: %v", len(errs), locked, errs[0])
			}
			var total int64
			s.Read(ctx).Model(&models.Event{}).Where("topic = ?", "test:concurrency").Count(&total)
			if total != workers*rounds {
				t.Errorf("%d events, want %d", total, workers*rounds)
			}
			if engine == models.SQLite {
				// Writes are serialised: every transaction read a different count.
				for n, times := range seen {
					if times > 1 {
						t.Errorf("%d transactions read the same count %d: writes overlapped", times, n)
						break
					}
				}
			}
		})
	}
}
