package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pacte/models"
	"pacte/server/servertest"
)

// BenchmarkLiveFanout: one event written (store + Emit, as the features do)
// and delivered to every websocket client subscribed to its measure; an
// iteration ends when all have it. For the full load (API calls, 10,000
// clients, the baseline broadcaster) see bench/wsload.
//
//	go test -run '^$' -bench LiveFanout ./bench/
func BenchmarkLiveFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	app := servertest.New(b, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	now := time.Now().UTC()
	var measureID int64
	err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
		if err := tx.Exec(`INSERT INTO measures (title, summary, body, pillar, lead_organization_id, visibility, status, revision, created_by, created_at, updated_at)
			VALUES ('Bench', '', '', 'public_services', ?, 'platform', 'draft', 1, ?, ?, ?)`, app.Org("apebi").ID, u.ID, now, now).Error; err != nil {
			return err
		}
		return tx.Raw("SELECT MAX(id) FROM measures").Scan(&measureID).Error
	})
	if err != nil {
		b.Fatal(err)
	}
	_, token, err := app.Store.CreateToken(context.Background(), u, "bench")
	if err != nil {
		b.Fatal(err)
	}
	topic := models.MeasureTopic(measureID)
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	url := "ws" + strings.TrimPrefix(app.URL, "http") + "/ws"
	var received atomic.Int64
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url, h)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		c.WriteJSON(map[string]string{"type": "subscribe", "topic": topic})
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			if bytes.Contains(msg, []byte(`"type":"subscribed"`)) {
				break
			}
		}
		go func() {
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if bytes.HasPrefix(msg, []byte(`{"type":"event"`)) {
					received.Add(1)
				}
			}
		}()
	}
	payload := map[string]any{"comment_id": 1, "comment": map[string]any{"body": strings.Repeat("Proposition. ", 20)}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			_, err := tx.Emit(topic, "comment.created", u, measureID, 0, payload)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		want := int64(n) * int64(i+1)
		deadline := time.Now().Add(30 * time.Second)
		for received.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d deliveries", received.Load(), want)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(int64(n)*int64(b.N))/b.Elapsed().Seconds(), "deliveries/s")
}
