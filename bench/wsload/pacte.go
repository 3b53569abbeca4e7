package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"pacte/models"
	"pacte/server"
)

// benchMeasure is the measures row the clients follow, inserted directly:
// the load is about live updates, not about creating measures.
type benchMeasure struct {
	ID                 int64 `gorm:"primaryKey"`
	Title              string
	Summary            string
	Body               string
	Pillar             string
	LeadOrganizationID int64
	Visibility         string
	Status             string
	Revision           int
	CreatedBy          int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (benchMeasure) TableName() string { return "measures" }

// servePacte runs a real Pacte server (the same server.New as the binary)
// with a member, an API token and an open measure, and prints where to find
// them.
func servePacte(dataDir, dbURL string) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dropSchema := func() {}
	if dbURL != "" {
		// A schema of its own, dropped at the end: the database is left as found.
		dbURL, dropSchema = privateSchema(dbURL)
	}
	store, err := models.Open(ctx, models.Options{DatabaseURL: dbURL, DataDir: dataDir, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Config{BaseURL: "http://" + ln.Addr().String(), Logger: logger, Console: io.Discard}, store)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(ctx, server.StartOptions{}); err != nil {
		log.Fatal(err)
	}
	orgs, err := store.Organizations(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var org int64
	for _, o := range orgs {
		if o.Slug == "apebi" {
			org = o.ID
		}
	}
	now := time.Now().UTC()
	u := &models.User{Email: "bench@example.ma", Name: "Bench Membre", Role: models.RoleMember, Status: models.StatusActive,
		OrganizationID: &org, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	m := &benchMeasure{Title: "Mesure de charge", Pillar: "public_services", LeadOrganizationID: org,
		Visibility: models.VisibilityPlatform, Status: "draft", Revision: 1, CreatedAt: now, UpdatedAt: now}
	err = store.Write(ctx, func(tx *models.Tx) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		m.CreatedBy = u.ID
		if err := tx.Create(m).Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO measure_editors (measure_id, user_id, created_at) VALUES (?, ?, ?)", m.ID, u.ID, now).Error
	})
	if err != nil {
		log.Fatal(err)
	}
	_, token, err := store.CreateToken(ctx, u, "wsload")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	onSignals(func() {
		srv.Close()
		hs.Close()
		store.Close()
		dropSchema()
	})
	announce(childInfo{URL: "http://" + ln.Addr().String(), Token: token, Measure: m.ID})
	hs.Serve(ln)
	select {} // the signal handler cleans up and exits
}

// privateSchema creates a schema for this run and returns a URL whose
// search_path points at it, and how to drop it.
func privateSchema(url string) (string, func()) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		log.Fatal(err)
	}
	name := fmt.Sprintf("wsload_%d", os.Getpid())
	if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
		log.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + name, func() {
		db.Exec("DROP SCHEMA " + name + " CASCADE")
		db.Close()
	}
}
