package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"pacte/config"
	"pacte/models"
)

// auditCommand runs `pacte audit verify [--data-dir DIR] [--database-url
// URL]`: it walks the audit chain of the configured database
// (models/audit_verify.go) and exits 0 when every event row matches it, 1
// naming the first event that does not ("event 1234: …" on stdout), 2 when
// the database cannot be read or the command is wrong. The result is
// recorded for the audit page and /metrics, as the daily job's is. It can
// run while Pacte serves: it only reads the log.
func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: pacte audit verify [--data-dir DIR | --database-url URL]")
		return 2
	}
	cfg, err := config.Load(args[1:], os.Getenv, stderr)
	if err != nil {
		if errors.Is(err, flagHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "pacte:", err)
		return 2
	}
	started := time.Now()
	store, err := models.Open(ctx, models.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: newLogger(cfg)})
	if err != nil {
		fmt.Fprintln(stderr, "pacte: cannot read the database:", err)
		return 2
	}
	defer store.Close()
	v, err := store.CheckAuditChain(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "pacte: cannot read the event log:", err)
		return 2
	}
	if err := store.RecordAuditVerification(ctx, v); err != nil {
		// The verdict stands; only the audit page will not show it.
		fmt.Fprintln(stderr, "pacte: the result could not be recorded:", err)
	}
	took := time.Since(started).Round(time.Millisecond)
	if !v.OK {
		fmt.Fprintln(stdout, v.Problem)
		fmt.Fprintf(stderr, "pacte: the audit chain is broken: %d events before event %d match it (%s)\n", v.Events, v.BadEventID, took)
		return 1
	}
	if v.Events == 0 {
		fmt.Fprintf(stdout, "audit chain intact: no events yet (%s)\n", took)
		return 0
	}
	fmt.Fprintf(stdout, "audit chain intact: %d events, head event %d, hash %s (%s)\n", v.Events, v.HeadID, v.HeadHash, took)
	return 0
}
