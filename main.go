// Command pacte runs the collaboration platform of the Digital Morocco Pact:
// web pages, JSON API and live updates in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // dates are shown in each person's zone (Africa/Casablanca's Ramadan offset included), whatever the host has

	"pacte/config"
	"pacte/jobs"
	"pacte/models"
	"pacte/pact/verify"
	"pacte/server"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) > 0 && args[0] == "backup" {
		return backup(args[1:])
	}
	if len(args) > 0 && args[0] == "reindex" {
		return reindex(args[1:])
	}
	if len(args) > 0 && args[0] == "verify" {
		return verify.Command(context.Background(), args[1:], os.Stdout, os.Stderr)
	}
	if len(args) > 0 && args[0] == "audit" {
		return auditCommand(context.Background(), args[1:], os.Stdout, os.Stderr)
	}
	cfg, err := config.Load(args, os.Getenv, os.Stderr)
	if err != nil {
		if errors.Is(err, flagHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "pacte:", err)
		return 2
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	log.Info("starting Pacte", cfg.Describe()...)
	raiseFileLimit(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, err := models.Open(ctx, models.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log, Sessions: cfg.Sessions})
	if err != nil {
		log.Error("cannot open the database", "err", err.Error())
		return 1
	}
	defer store.Close()

	srv, err := server.New(server.Config{BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, BodyLimit: cfg.BodyLimit, Logger: log,
		RequireTOTPRoles: cfg.RequireTOTPRoles, MetricsToken: cfg.MetricsToken, WSPerUser: cfg.WSPerUser,
		SMTPURL: cfg.SMTPURL, MailFrom: cfg.MailFrom, MailDir: filepath.Join(cfg.DataDir, "mail"),
		DataDir: cfg.DataDir, SigningKey: cfg.SigningKey, SearchDir: searchDir(cfg),
		Jobs: jobs.Config{Retention: cfg.Retention, RetainMail: cfg.RetainMail, RetentionEvery: cfg.RetentionEvery}}, store)
	if err != nil {
		log.Error("cannot start the server", "err", err.Error())
		return 1
	}
	defer srv.Close()
	if err := srv.Start(ctx, server.StartOptions{AdminEmail: cfg.AdminEmail, AdminPassword: cfg.AdminPassword, Demo: cfg.Demo}); err != nil {
		log.Error("cannot start the server", "err", err.Error())
		return 1
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Addr, "err", err.Error())
		return 1
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.Background() }}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("Pacte is ready", "url", cfg.BaseURL)

	select {
	case err := <-errc:
		log.Error("server stopped", "err", err.Error())
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	srv.Close() // closes websockets first: Shutdown does not wait for hijacked connections
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown was not clean", "err", err.Error())
	}
	return 0
}

var flagHelp = flag.ErrHelp

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// reindex rebuilds the search index from the database: pacte reindex
// [--data-dir DIR]. The server must be stopped (it keeps its index
// current itself, and rebuilds a missing or broken one at start).
func reindex(args []string) int {
	return withStore(args, func(cfg config.Config, store *models.Store, log *slog.Logger) int {
		n, err := server.Reindex(context.Background(), store, searchDir(cfg), log)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pacte: reindex failed:", err)
			return 1
		}
		fmt.Printf("search index rebuilt: %d measures, %d comments in %s\n", n.Measures, n.Comments, n.Took.Round(time.Millisecond))
		return 0
	})
}

// withStore runs a subcommand on the configured database: 2 for bad
// flags, 1 when the database cannot be opened, else what fn returns.
func withStore(args []string, fn func(config.Config, *models.Store, *slog.Logger) int) int {
	cfg, err := config.Load(args, os.Getenv, os.Stderr)
	if err != nil {
		if errors.Is(err, flagHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "pacte:", err)
		return 2
	}
	log := newLogger(cfg)
	store, err := models.Open(context.Background(), models.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pacte: cannot open the database:", err)
		return 1
	}
	defer store.Close()
	return fn(cfg, store, log)
}

// searchDir is where an instance keeps its search index.
func searchDir(cfg config.Config) string { return filepath.Join(cfg.DataDir, "search") }

// backup copies the SQLite database while Pacte runs: pacte backup FILE.
func backup(args []string) int {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(os.Stderr, "usage: pacte backup FILE [--data-dir DIR]")
		return 2
	}
	return withStore(args[1:], func(_ config.Config, store *models.Store, _ *slog.Logger) int {
		if err := store.Backup(context.Background(), args[0]); err != nil {
			fmt.Fprintln(os.Stderr, "pacte: backup failed:", err)
			return 1
		}
		fmt.Println("backup written to", args[0])
		return 0
	})
}
