package models_test

import (
	"context"
	"strings"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
)

func TestOpen_MigratesAndSeeds(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			orgs, err := s.Organizations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slugs := map[string]string{}
			for _, o := range orgs {
				slugs[o.Slug] = o.Kind
			}
			want := map[string]string{"apebi": "federation", "ausim": "federation", "mnc": "federation", "msec": "federation", "ministry": "ministry"}
			for slug, kind := range want {
				if slugs[slug] != kind {
					t.Errorf("organisation %s: kind %q, want %q", slug, slugs[slug], kind)
				}
			}
			if len(orgs) != 5 {
				t.Errorf("%d organisations, want 5", len(orgs))
			}
			tax, err := s.Taxonomy(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(tax) != 3 || tax[0].Key != "public_services" || tax[1].Key != "digital_economy" || tax[2].Key != "enablers" {
				t.Fatalf("taxonomy pillars: %+v", tax)
			}
			if len(tax[1].Axes) != 4 || len(tax[2].Axes) != 5 {
				t.Errorf("axes: %d economy, %d enablers", len(tax[1].Axes), len(tax[2].Axes))
			}
			// A second open of the same database applies nothing twice.
			if engine == models.SQLite {
				return
			}
		})
	}
}

func TestOpen_SQLitePragmas(t *testing.T) {
	s := storetest.Open(t, models.SQLite)
	var sync, fk int
	var mode string
	db := s.SQL()
	if err := db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if sync != 2 || fk != 1 || mode != "wal" {
		t.Errorf("synchronous=%d foreign_keys=%d journal_mode=%s; want 2, 1, wal", sync, fk, mode)
	}
}

// TestOpen_RefusesOtherDatabases: a DATABASE_URL that is not PostgreSQL is
// refused (never a silent SQLite), without echoing a password it may carry.
func TestOpen_RefusesOtherDatabases(t *testing.T) {
	for _, url := range []string{"mysql://pacte:s3cret-pass@db/pacte", "host=db user=pacte password=s3cret-pass"} {
		_, err := models.Open(context.Background(), models.Options{DatabaseURL: url, DataDir: t.TempDir()})
		if err == nil {
			t.Fatalf("%q was accepted", url)
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Errorf("%q: %v", url, err)
		}
	}
}
