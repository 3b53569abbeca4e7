package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// Two instances on one database share sessions, tokens and the login
// counters (docs/SECURITY.md: sessions live in the database; counters work
// across instances).
func TestStore_TwoInstancesShareAccounts(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			opts := storetest.Options(t, engine)
			ctx := context.Background()
			a, err := models.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := models.Open(ctx, opts) // a second start migrates nothing twice
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			hash, _ := models.HashPassword("correct horse battery staple")
			now := time.Now().UTC()
			u := &models.User{Email: "shared@example.ma", Name: "Shared", Role: models.RoleMember, Status: models.StatusActive,
				PasswordHash: hash, Locale: "fr", CreatedAt: now, UpdatedAt: now}
			if err := a.Write(ctx, func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
				t.Fatal(err)
			}

			raw, sess, err := a.CreateSession(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, got, err := b.SessionUser(ctx, raw); err != nil || got.ID != u.ID {
				t.Fatalf("instance b does not know a's session: %v", err)
			}
			if err := b.DeleteSession(ctx, sess.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.SessionUser(ctx, raw); models.ErrorKind(err) != models.EUnauthorized {
				t.Errorf("logout on b left the session alive on a: %v", err)
			}

			_, tok, err := a.CreateToken(ctx, u, "shared")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := b.TokenUser(ctx, tok); err != nil || got.ID != u.ID {
				t.Errorf("instance b does not know a's token: %v", err)
			}

			// Failures on either instance count towards one limit.
			for i := 0; i < models.MaxFailuresPerKey; i++ {
				s := a
				if i%2 == 1 {
					s = b
				}
				if _, err := s.Authenticate(ctx, u.Email, fmt.Sprint("wrong ", i), fmt.Sprint("192.0.2.", i)); err != models.ErrInvalidCredentials {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			for _, s := range []*models.Store{a, b} {
				if _, err := s.Authenticate(ctx, u.Email, "correct horse battery staple", "192.0.2.200"); models.ErrorKind(err) != models.ETooMany {
					t.Errorf("after %d failures spread over two instances: %v", models.MaxFailuresPerKey, err)
				}
			}
		})
	}
}
