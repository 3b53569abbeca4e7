package server

import (
	"context"
	"fmt"
)

// StartOptions are the first-start settings.
type StartOptions struct {
	AdminEmail    string
	AdminPassword string
	Demo          bool
}

// Start prepares what the platform needs before it serves (the first
// administrator, or a one-time set-up link printed to the console; demo
// data when asked) and starts the live side. Close stops it.
func (s *Server) Start(ctx context.Context, opts StartOptions) error {
	if opts.AdminEmail != "" || opts.AdminPassword != "" {
		u, created, err := s.store.EnsureAdmin(ctx, opts.AdminEmail, opts.AdminPassword)
		if err != nil {
			return fmt.Errorf("first administrator from PACTE_ADMIN_EMAIL/PACTE_ADMIN_PASSWORD: %w", err)
		}
		if created {
			s.log.Info("administrator created", "email", u.Email)
		}
	}
	// Demo data brings its own administrator; then no set-up link is needed.
	if opts.Demo {
		if err := s.seedDemo(ctx); err != nil {
			return err
		}
	}
	has, err := s.store.HasAdmin(ctx)
	if err != nil {
		return err
	}
	if !has {
		raw, err := s.store.NewSetupLink(ctx)
		if err != nil {
			return err
		}
		// Printed, not logged: the link is a secret for whoever runs the binary.
		fmt.Fprintf(s.cfg.Console, "\n  No administrator yet. Open this one-time link to create one (valid 24 h):\n\n    %s\n\n", s.URL("/setup/"+raw))
	}
	// Last, the live side: it publishes from the end of the event log, and
	// hears the other instances. It starts once: a second Start (demo data
	// renewed) only redoes the first-start duties above, and must not
	// rewire a store that the running workers are already writing to.
	if !s.started.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.hub.start(ctx); err != nil {
		return err
	}
	s.notifier.Start()
	s.search.start(ctx, s.searchFresh)
	warm, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.public.stop = stop
	go s.warmDocuments(warm)
	return s.jobs.Start(ctx)
}
