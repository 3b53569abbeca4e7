package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// TestWS_Delivery: events reach the subscribers of their topics, in id
// order, with the fields of docs/API.md; the measures list gets measure.* and
// cosponsor.* only; each event is checked against what the receiver may see
// at send time; only moderators get data.moderator_only.
func TestWS_Delivery(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testDelivery(t, engine)
		})
	}
}

func testDelivery(t *testing.T, engine string) {
	app := servertest.New(t, engine)
	author := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "ausim")
	mod := app.User(models.RoleModerator, "mnc")
	draft := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityFederation, Status: models.StatusDraft, Quiet: true})
	open := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	draftTopic, openTopic := models.MeasureTopic(draft), models.MeasureTopic(open)

	t.Run("OrderAndTopics", func(t *testing.T) {
		w := dialWS(t, app, app.Login(author))
		w.subscribeLive(draftTopic)
		w.subscribeLive(models.TopicMeasures)
		var want, wantList []int64
		for i := 0; i < 30; i++ {
			typ := "comment.created"
			if i%2 == 1 {
				typ = "measure.updated"
			}
			ev := emit(t, app.Store, draftTopic, typ, author, draft, map[string]any{"n": i})
			want = append(want, ev.ID)
			if typ == "measure.updated" {
				wantList = append(wantList, ev.ID)
			}
		}
		got := w.events(draftTopic, 30)
		if fmtIDs(ids(got)) != fmtIDs(want) {
			t.Fatalf("measure topic got %v, want %v", ids(got), want)
		}
		m := got[0]
		if m.Event != "comment.created" || m.Actor == nil || m.Actor.ID != author.ID || m.Actor.Name != author.Name ||
			m.Data["n"] != float64(0) || m.At == "" {
			t.Fatalf("first event %s", m.Raw)
		}
		if _, err := time.Parse(time.RFC3339, m.At); err != nil {
			t.Fatalf("at %q is not RFC 3339", m.At)
		}
		list := w.events(models.TopicMeasures, 15)
		if fmtIDs(ids(list)) != fmtIDs(wantList) {
			t.Fatalf("measures topic got %v, want %v", ids(list), wantList)
		}
		for _, m := range list {
			if m.Topic != models.TopicMeasures || m.Event != "measure.updated" {
				t.Fatalf("list event %s", m.Raw)
			}
		}
	})

	t.Run("ErrSubscribeUnseen", func(t *testing.T) {
		w := dialWS(t, app, app.Login(other))
		for _, tc := range []struct{ topic, code string }{
			{draftTopic, "not_found"},
			{models.MeasureTopic(987654), "not_found"},
			{models.UserTopic(author.ID), "forbidden"},
		} {
			w.subscribe(tc.topic)
			m := w.waitFor(func(m wsMsg) bool { return m.Type == "error" || m.Type == "subscribed" }, "answer")
			if m.Type != "error" || m.Code != tc.code || m.Topic != tc.topic {
				t.Errorf("subscribe %s: got %s, want error %s", tc.topic, m.Raw, tc.code)
			}
		}
	})

	t.Run("FilteredAtSendTime", func(t *testing.T) {
		ow := dialWS(t, app, app.Login(other))
		ow.subscribeLive(models.TopicMeasures)
		ow.subscribeLive(openTopic)
		ow.subscribeLive(models.UserTopic(other.ID))
		aw := dialWS(t, app, app.Login(author))
		aw.subscribeLive(models.TopicMeasures)

		hidden := emit(t, app.Store, draftTopic, "measure.updated", author, draft, map[string]any{"secret": true})
		seen := emit(t, app.Store, openTopic, "measure.updated", author, open, map[string]any{})
		// Visibility is decided when the event is sent: let it be sent before
		// the measure closes.
		aw.waitFor(func(m wsMsg) bool { return m.ID == seen.ID }, "the open measure's event")
		ow.waitFor(func(m wsMsg) bool { return m.ID == seen.ID && m.Topic == openTopic }, "the open measure's event")
		ow.waitFor(func(m wsMsg) bool { return m.ID == seen.ID && m.Topic == models.TopicMeasures }, "the open measure's event on the list")
		// The open measure goes back to its federation: from now on the other
		// federation's member must not hear of it, though still subscribed.
		if err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			return tx.Exec("UPDATE measures SET visibility = ? WHERE id = ?", models.VisibilityFederation, open).Error
		}); err != nil {
			t.Fatal(err)
		}
		gone := emit(t, app.Store, openTopic, "comment.created", author, open, map[string]any{})
		marker := emit(t, app.Store, models.UserTopic(other.ID), "user.updated", nil, 0, map[string]any{})
		if got := ow.eventsUntil(marker.ID); len(got) != 0 {
			t.Fatalf("other federation's member got %v (hidden %d, gone %d)", ids(got), hidden.ID, gone.ID)
		}
		// The author's federation sees the draft on the list.
		if list := aw.events(models.TopicMeasures, 1); list[0].ID != hidden.ID {
			t.Fatalf("author's list got %v", ids(list))
		}
		// Restore for the next subtests.
		if err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			return tx.Exec("UPDATE measures SET visibility = ? WHERE id = ?", models.VisibilityPlatform, open).Error
		}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ModeratorOnly", func(t *testing.T) {
		mw := dialWS(t, app, app.Login(mod))
		mw.subscribeLive(openTopic)
		ow := dialWS(t, app, app.Login(other))
		ow.subscribeLive(openTopic)
		data := map[string]any{"comment_id": 7, "moderator_only": map[string]any{"body": "the hidden words", "reason": "insult"}}
		ev := emit(t, app.Store, openTopic, "comment.hidden", mod, open, data)
		mm := mw.events(openTopic, 1)[0]
		om := ow.events(openTopic, 1)[0]
		if mm.ID != ev.ID || om.ID != ev.ID {
			t.Fatalf("ids %d %d, want %d", mm.ID, om.ID, ev.ID)
		}
		if mo, _ := mm.Data["moderator_only"].(map[string]any); mo["body"] != "the hidden words" {
			t.Fatalf("moderator got %s", mm.Raw)
		}
		if _, leaked := om.Data["moderator_only"]; leaked || om.Data["comment_id"] != float64(7) {
			t.Fatalf("member got %s", om.Raw)
		}
	})

	t.Run("HiddenCommentTextRedacted", func(t *testing.T) {
		// A comment hidden after its event was written: replayed to a member,
		// the event no longer carries its text; a moderator still reads it.
		var commentID int64
		err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			row := struct {
				ID        int64 `gorm:"primaryKey"`
				MeasureID int64
				AuthorID  int64
				Body      string
				Status    string
				CreatedAt time.Time
			}{MeasureID: open, AuthorID: author.ID, Body: "mots", Status: "visible", CreatedAt: time.Now().UTC()}
			if err := tx.Table("comments").Create(&row).Error; err != nil {
				return err
			}
			commentID = row.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		before := emit(t, app.Store, openTopic, "comment.updated", author, open, map[string]any{})
		created := emit(t, app.Store, openTopic, "comment.created", author, open, map[string]any{"comment_id": commentID,
			"comment": map[string]any{"id": commentID, "body": "mots", "body_html": "<p>mots</p>"}})
		if err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
			return tx.Exec("UPDATE comments SET status = 'hidden' WHERE id = ?", commentID).Error
		}); err != nil {
			t.Fatal(err)
		}
		ow := dialWS(t, app, app.Login(other))
		ow.subscribe(openTopic, before.ID)
		mw := dialWS(t, app, app.Login(mod))
		mw.subscribe(openTopic, before.ID)
		om, mm := ow.events(openTopic, 1)[0], mw.events(openTopic, 1)[0]
		if om.ID != created.ID || mm.ID != created.ID {
			t.Fatalf("ids %d %d, want %d", om.ID, mm.ID, created.ID)
		}
		oc, _ := om.Data["comment"].(map[string]any)
		if oc == nil || oc["body"] != nil || oc["body_html"] != nil || oc["id"] != float64(commentID) {
			t.Fatalf("member got %s", om.Raw)
		}
		if mc, _ := mm.Data["comment"].(map[string]any); mc == nil || mc["body"] != "mots" {
			t.Fatalf("moderator got %s", mm.Raw)
		}
	})

	t.Run("EventsAPI", func(t *testing.T) {
		oc := app.Login(other)
		if r := oc.Request("GET", "/api/v1/events?topic="+draftTopic, nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("unseen measure: %d %s", r.Status, r.Body)
		}
		if r := oc.Request("GET", "/api/v1/events?topic="+models.UserTopic(author.ID), nil); r.Status != 403 {
			t.Fatalf("another's topic: %d %s", r.Status, r.Body)
		}
		if r := oc.Request("GET", "/api/v1/events?topic=nonsense", nil); r.Status != 400 {
			t.Fatalf("bad topic: %d %s", r.Status, r.Body)
		}
		if r := app.Anonymous().Request("GET", "/api/v1/events", nil); r.Status != 401 {
			t.Fatalf("anonymous: %d", r.Status)
		}
		type page struct {
			Items      []wsMsg `json:"items"`
			NextCursor string  `json:"next_cursor"`
		}
		// Paging through the draft's events as its author: every one, in order.
		ac := app.Login(author)
		var all []wsMsg
		cursor := ""
		for i := 0; ; i++ {
			var p page
			if st := ac.Do("GET", "/api/v1/events?topic="+draftTopic+"&limit=7&cursor="+cursor, nil, &p); st != 200 {
				t.Fatalf("page: %d", st)
			}
			all = append(all, p.Items...)
			if p.NextCursor == "" {
				break
			}
			if len(p.Items) != 7 || i > 20 {
				t.Fatalf("page %d has %d items", i, len(p.Items))
			}
			cursor = p.NextCursor
		}
		if len(all) != 31 {
			t.Fatalf("author read %d events of the draft, want 31", len(all))
		}
		for i, m := range all {
			if m.Type != "event" || m.Topic != draftTopic || (i > 0 && m.ID <= all[i-1].ID) {
				t.Fatalf("item %d: %s", i, m.Raw)
			}
		}
		// Everything the other member may see: nothing of the draft, nothing
		// of the author's own topic, and hidden data stripped.
		var p page
		if st := oc.Do("GET", "/api/v1/events?limit=200", nil, &p); st != 200 {
			t.Fatalf("all: %d", st)
		}
		if len(p.Items) == 0 {
			t.Fatal("the other member sees no event at all")
		}
		for _, m := range p.Items {
			if m.Topic == draftTopic || m.Topic == models.UserTopic(author.ID) || m.Data["moderator_only"] != nil {
				t.Fatalf("leaked to another federation: %s", m.Raw)
			}
		}
		// after= works as the websocket's.
		last := all[len(all)-1].ID
		if st := ac.Do("GET", fmt.Sprintf("/api/v1/events?topic=%s&after=%d", draftTopic, all[len(all)-3].ID), nil, &p); st != 200 ||
			len(p.Items) != 2 || p.Items[1].ID != last {
			t.Fatalf("after: %d %+v", st, ids(p.Items))
		}
	})
}
