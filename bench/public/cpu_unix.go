//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used so far, user and system:
// the work a document took, whatever else the machine was doing.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
