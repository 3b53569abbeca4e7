package models

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// IsUnavailable reports whether err means the database did not answer (a
// connection that was killed or refused, a closed pool, a database locked or
// unreadable) rather than a mistake in the request or in the code. Such an
// error is a 503: the same request may succeed a moment later.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var appErr *Error
	if errors.As(err, &appErr) {
		return appErr.Kind == EUnavailable
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), // connection exception
			strings.HasPrefix(pg.Code, "53"),       // insufficient resources
			strings.HasPrefix(pg.Code, "57"),       // operator intervention: pg_terminate_backend, shutdown
			strings.HasPrefix(pg.Code, "58"),       // system error
			pg.Code == "40001", pg.Code == "40P01": // serialization failure, deadlock: try again
			return true
		}
		return false
	}
	var lite sqlite3.Error
	if errors.As(err, &lite) {
		switch lite.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrFull,
			sqlite3.ErrReadonly, sqlite3.ErrNomem, sqlite3.ErrProtocol, sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
			return true
		}
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	// Drivers and pools do not always wrap their sentinel errors.
	msg := err.Error()
	for _, s := range []string{"database is closed", "conn closed", "closed pool", "connection reset",
		"broken pipe", "unexpected EOF", "server closed the connection", "terminating connection",
		"connection refused", "failed to connect", "bad connection", "database is locked"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// lookupError is the answer for a failed lookup: notFound when the row is
// missing, the database error otherwise (never "not found" for a database
// that did not answer).
func lookupError(err error, notFound error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return notFound
	}
	var appErr *Error
	if errors.As(err, &appErr) && appErr.Kind == ENotFound {
		return notFound
	}
	return dbError(err)
}
