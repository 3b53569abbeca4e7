package server_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

type apiAuditHead struct {
	EventID    *int64  `json:"event_id"`
	Hash       *string `json:"hash"`
	VerifiedAt *string `json:"verified_at"`
	Intact     *bool   `json:"intact"`
	Problem    *string `json:"problem"`
}

func readAuditHead(t *testing.T, c *servertest.Client) apiAuditHead {
	t.Helper()
	var h apiAuditHead
	if status := c.Do("GET", "/api/v1/audit/head", nil, &h); status != 200 {
		t.Fatalf("audit head: %d", status)
	}
	return h
}

// metricLine finds a metric's line in a /metrics answer ("" when absent).
func metricLine(body, name string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// The head of the hash chain and its last verification, through the API,
// the audit page and /metrics; a break shows in all three.
func TestAuditChain_HeadPageMetrics(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		w := newCommWorld(t, app)
		w.comment(t, w.author, w.open, "Un avis sur la mesure", 0)
		mod, reviewer, admin := app.Login(w.moderator), app.Login(w.reviewer), app.Login(w.admin)
		scraper := script(app)

		var last models.Event
		if err := app.Store.Read(ctx).Order("id DESC").First(&last).Error; err != nil {
			t.Fatal(err)
		}

		t.Run("NeverVerified", func(t *testing.T) {
			h := readAuditHead(t, mod)
			if h.EventID == nil || *h.EventID != last.ID || h.Hash == nil || *h.Hash != last.Hash || len(*h.Hash) != 64 {
				t.Errorf("head %+v, want event %d %s", h, last.ID, last.Hash)
			}
			if h.VerifiedAt != nil || h.Intact != nil || h.Problem != nil {
				t.Errorf("never verified, yet %+v", h)
			}
			m := string(scraper.Request("GET", "/metrics", nil).Body)
			if metricLine(m, "pacte_audit_chain_verified_timestamp_seconds") != "pacte_audit_chain_verified_timestamp_seconds 0" || metricLine(m, "pacte_audit_chain_ok") != "" {
				t.Errorf("metrics before any verification:\n%s\n%s", metricLine(m, "pacte_audit_chain_verified_timestamp_seconds"), metricLine(m, "pacte_audit_chain_ok"))
			}
			page := string(getHTML(mod, "/audit").Body)
			if !strings.Contains(page, "Intégrité du journal") || !strings.Contains(page, "Pas encore vérifiée.") || !strings.Contains(page, last.Hash) {
				t.Errorf("the audit page does not show the chain's head:\n%s", page)
			}
		})

		t.Run("OK", func(t *testing.T) {
			v, err := app.Server.Jobs().VerifyAuditChain(ctx) // what the daily job runs
			if err != nil || !v.OK {
				t.Fatalf("verify: %+v, %v", v, err)
			}
			for _, c := range []*servertest.Client{reviewer, mod, admin} {
				h := readAuditHead(t, c)
				if h.EventID == nil || *h.EventID != last.ID || h.VerifiedAt == nil || h.Intact == nil || !*h.Intact || h.Problem != nil {
					t.Errorf("after verification: %+v", h)
				}
				if *h.VerifiedAt != v.At.UTC().Format("2006-01-02T15:04:05Z07:00") {
					t.Errorf("verified_at %s, want %s", *h.VerifiedAt, v.At)
				}
			}
			m := string(scraper.Request("GET", "/metrics", nil).Body)
			if metricLine(m, "pacte_audit_chain_ok") != "pacte_audit_chain_ok 1" ||
				metricLine(m, "pacte_audit_chain_verified_timestamp_seconds") != fmt.Sprintf("pacte_audit_chain_verified_timestamp_seconds %d", v.At.Unix()) ||
				metricLine(m, "pacte_audit_chain_events") != fmt.Sprintf("pacte_audit_chain_events %d", v.Events) {
				t.Errorf("metrics after an intact verification:\n%s", m)
			}
			if err := app.Store.Write(ctx, func(tx *models.Tx) error {
				return tx.Model(&models.User{}).Where("id = ?", w.reviewer.ID).Update("locale", "en").Error
			}); err != nil {
				t.Fatal(err)
			}
			page := string(getHTML(reviewer, "/audit").Body)
			if !strings.Contains(page, fmt.Sprintf("intact: %d event", v.Events)) {
				t.Errorf("the English audit page does not say the chain is intact:\n%s", page[strings.Index(page, "audit-chain"):][:1500])
			}
		})

		t.Run("ErrNotAllowed", func(t *testing.T) {
			for _, u := range []*models.User{w.author, w.sameFed, w.otherFed} {
				wantError(t, app.Login(u).Request("GET", "/api/v1/audit/head", nil), 403, "forbidden")
			}
			wantError(t, script(app).Request("GET", "/api/v1/audit/head", nil), 401, "unauthorized")
		})

		t.Run("Broken", func(t *testing.T) {
			if err := app.Store.Write(ctx, func(tx *models.Tx) error {
				return tx.Exec("UPDATE events SET payload = REPLACE(payload, 'Un avis', 'Un AVIS') WHERE type = 'comment.created'").Error
			}); err != nil {
				t.Fatal(err)
			}
			var bad int64
			app.Store.Read(ctx).Table("events").Select("MIN(id)").Where("type = 'comment.created' AND payload LIKE ?", "%Un AVIS%").Scan(&bad)
			v, err := app.Server.Jobs().VerifyAuditChain(ctx)
			if err != nil || v.OK || v.BadEventID != bad {
				t.Fatalf("verify after a changed row: %+v, %v (want event %d)", v, err, bad)
			}
			if !strings.Contains(app.Logs.String(), "audit chain broken") || !strings.Contains(app.Logs.String(), fmt.Sprintf("event %d:", bad)) {
				t.Error("the break is not in the log")
			}
			h := readAuditHead(t, mod)
			if h.Intact == nil || *h.Intact || h.Problem == nil || !strings.HasPrefix(*h.Problem, fmt.Sprintf("event %d: ", bad)) {
				t.Errorf("after a break: %+v", h)
			}
			m := string(scraper.Request("GET", "/metrics", nil).Body)
			if metricLine(m, "pacte_audit_chain_ok") != "pacte_audit_chain_ok 0" {
				t.Errorf("metrics after a break: %s", metricLine(m, "pacte_audit_chain_ok"))
			}
			page := html.UnescapeString(string(getHTML(mod, "/audit").Body))
			if !strings.Contains(page, fmt.Sprintf("rompue à l'événement n° %d", bad)) {
				t.Errorf("the audit page does not name the broken event %d", bad)
			}
		})
	})
}
