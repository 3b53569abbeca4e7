//go:build !unix

package server

// fileLimit is unknown off Unix.
func fileLimit() uint64 { return 0 }
