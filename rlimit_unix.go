//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// raiseFileLimit lifts the soft limit on open descriptors to the hard one:
// every websocket holds one, and the server derives its websocket cap
// from this limit (server/hub_limits.go).
func raiseFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open files limit", "err", err.Error())
		return
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			log.Warn("cannot raise the open files limit", "soft", lim.Cur, "hard", lim.Max, "err", err.Error())
			return
		}
		lim = want
	}
	log.Info("open files limit", "soft", lim.Cur, "hard", lim.Max)
}
