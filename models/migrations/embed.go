// Package migrations holds the versioned schema changes, one folder per SQL
// dialect. Files are named NNNN_description.sql and applied in order.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
