package server

import (
	"context"
	"fmt"
	"text/tabwriter"

	"pacte/models"
)

// seedDemo fills a platform for trying it out (--demo): accounts of every
// role and a dozen measures in every state. It never runs by default. The
// accounts share one random password, printed for the operator (never
// logged) and renewed at each start with --demo, so a demo install has no
// password anyone could know in advance.
func (s *Server) seedDemo(ctx context.Context) error {
	password := demoPassword()
	hash, err := models.HashPassword(password)
	if err != nil {
		return err
	}
	has, err := s.store.HasDemoData(ctx)
	if err != nil {
		return err
	}
	if has {
		if err := s.store.SetDemoPasswords(ctx, hash); err != nil {
			return err
		}
	} else {
		if err := s.store.SeedDemo(ctx, hash); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		s.log.Info("demo data seeded")
	}
	w := tabwriter.NewWriter(s.cfg.Console, 2, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\n  Demo accounts (password for all: %s)\n\n", password)
	for _, a := range models.DemoAccounts() {
		org := a.Org
		if org == "" {
			org = "—"
		}
		fmt.Fprintf(w, "    %s\t%s\t%s\t%s\n", a.Email, a.Role, org, a.Name)
	}
	fmt.Fprintf(w, "\n  Sign in at %s\n\n", s.URL("/login"))
	return w.Flush()
}

// demoPassword is random, readable, and passes the password rules.
func demoPassword() string {
	for {
		p := "demo-" + models.NewToken()[:12]
		if models.ValidatePassword(p) == "" {
			return p
		}
	}
}
