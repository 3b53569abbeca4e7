//go:build !unix

package main

import "log/slog"

// raiseFileLimit has nothing to raise off Unix.
func raiseFileLimit(*slog.Logger) {}
