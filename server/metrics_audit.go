package server

import (
	"context"
	"fmt"
	"strings"
)

// writeAuditMetrics adds the audit chain's last verification to /metrics,
// read from the database, since the daily job runs on one instance and
// `pacte audit verify` on none: every instance reports the same figures.
// Before any verification only the timestamp is written, as 0, so that an
// alert on pacte_audit_chain_ok does not fire on a new installation. A
// database that does not answer leaves the lines out: the scrape still
// reports everything else.
func (s *Server) writeAuditMetrics(ctx context.Context, b *strings.Builder) {
	v, err := s.store.LastAuditVerification(ctx)
	if err != nil {
		s.log.Warn("metrics: cannot read the audit chain's verification", "err", err.Error())
		return
	}
	var at int64
	if v != nil {
		at = v.At.Unix()
		ok := 0
		if v.OK {
			ok = 1
		}
		fmt.Fprintf(b, "# HELP pacte_audit_chain_ok Whether the last verification found the audit hash chain intact (1) or broken (0).\n# TYPE pacte_audit_chain_ok gauge\npacte_audit_chain_ok %d\n", ok)
		fmt.Fprintf(b, "# HELP pacte_audit_chain_events Events the last verification of the audit chain checked.\n# TYPE pacte_audit_chain_events gauge\npacte_audit_chain_events %d\n", v.Events)
	}
	fmt.Fprintf(b, "# HELP pacte_audit_chain_verified_timestamp_seconds When the audit chain was last verified (Unix time; 0: never).\n# TYPE pacte_audit_chain_verified_timestamp_seconds gauge\npacte_audit_chain_verified_timestamp_seconds %d\n", at)
}
