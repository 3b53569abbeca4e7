package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// twoInstances starts two servers on one PostgreSQL database, as the
// docker-compose deployment runs them, or skips without PostgreSQL.
func twoInstances(t *testing.T) (*servertest.App, *servertest.App) {
	t.Helper()
	if !slices.Contains(storetest.Engines(t), models.Postgres) {
		t.Skip("several instances need PostgreSQL")
	}
	one := servertest.New(t, models.Postgres)
	two := servertest.NewOnURL(t, one.DatabaseURL)
	return one, two
}

func wsOf(app *servertest.App) string { return "ws" + strings.TrimPrefix(app.URL, "http") + "/ws" }

// TestCollab_TwoInstances: an editor on each instance; pushes accepted by
// either reach both, in order, with versions that have no gap; the
// database refuses the loser of two pushes at the same version whichever
// instance took them; cursors cross instances.
func TestCollab_TwoInstances(t *testing.T) {
	t.Parallel()
	one, two := twoInstances(t)
	alice, bob := one.User(models.RoleMember, "apebi"), one.User(models.RoleMember, "mnc")
	_, aliceTok := coToken(t, one, alice)
	_, bobTok := coToken(t, two, bob) // the other instance signs Bob in
	id := one.Measure(t, alice, servertest.MeasureSpec{Body: "Début.", Pillar: "enablers", Axis: "cloud_computing", Editors: []*models.User{bob}})
	a, b := coDial(t, one.URL, aliceTok), coDial(t, two.URL, bobTok)
	a.join(id)
	if d := b.join(id); d.Doc != "Début." {
		t.Fatalf("join on the second instance: %s", d.Raw)
	}
	texts := map[*coClient]string{a: "Début.", b: "Début."}
	versions := map[*coClient]int64{}
	receive := func(t *testing.T, c *coClient) {
		t.Helper()
		u := c.expect("collab.updates")
		if u.From != versions[c] {
			t.Fatalf("updates from %d, client at %d: %s", u.From, versions[c], u.Raw)
		}
		texts[c] = coApply(t, texts[c], u.Updates)
		versions[c] += int64(len(u.Updates))
	}

	t.Run("Interleaved", func(t *testing.T) {
		text := "Début."
		for i := 0; i < 20; i++ {
			pusher, name := a, "alice"
			if i%2 == 1 {
				pusher, name = b, "bob"
			}
			next := text + fmt.Sprintf(" %s%d", name, i)
			pusher.push(id, int64(i), coEdit(name, text, next))
			receive(t, a)
			receive(t, b)
			if ack := pusher.expect("collab.ack"); ack.version() != int64(i+1) {
				t.Fatalf("ack %s", ack.Raw)
			}
			text = next
		}
		if texts[a] != text || texts[b] != text {
			t.Fatalf("texts differ:\n%q\n%q\nwant %q", texts[a], texts[b], text)
		}
	})
	t.Run("SameVersionOneWinner", func(t *testing.T) {
		v := versions[a]
		base := texts[a]
		a.push(id, v, coEdit("alice", base, base+" A"))
		b.push(id, v, coEdit("bob", base, base+" B"))
		// Exactly one ack and one stale, whichever instance was first; both
		// editors get the winner's update.
		results := map[string]int{}
		for _, c := range []*coClient{a, b} {
			answered := false
			for !answered || versions[c] < v+1 {
				m := c.expect3("collab.ack", "collab.rejected", "collab.updates")
				switch {
				case m.Type == "collab.updates":
					if m.From != versions[c] {
						t.Fatalf("updates from %d, client at %d", m.From, versions[c])
					}
					texts[c] = coApply(t, texts[c], m.Updates)
					versions[c] += int64(len(m.Updates))
				case m.Type == "collab.ack":
					results["ack"]++
					answered = true
				case m.Reason == "stale":
					results["stale"]++
					answered = true
				default:
					t.Fatalf("refusal %s", m.Raw)
				}
			}
		}
		if results["ack"] != 1 || results["stale"] != 1 {
			t.Fatalf("results %v", results)
		}
		if texts[a] != texts[b] || versions[a] != v+1 {
			t.Fatalf("after the race: %q / %q at %d", texts[a], texts[b], versions[a])
		}
	})
	t.Run("CursorsCross", func(t *testing.T) {
		a.send(map[string]any{"type": "collab.cursor", "measure": id, "clientID": "alice", "anchor": 2, "head": 4})
		c := b.expect("collab.cursor")
		if c.User.ID != alice.ID || *c.Head != 4 {
			t.Fatalf("cursor across instances: %s", c.Raw)
		}
		a.send(map[string]any{"type": "collab.leave", "measure": id})
		if c := b.expect("collab.cursor"); !c.Left || c.ClientID != "alice" {
			t.Fatalf("leave across instances: %s", c.Raw)
		}
		a.join(id)
	})
	t.Run("NoGaps", func(t *testing.T) {
		var versionsStored []int64
		one.Store.Read(context.Background()).Raw("SELECT version FROM collab_updates WHERE measure_id = ? ORDER BY version", id).Scan(&versionsStored)
		for i, v := range versionsStored {
			if v != int64(i+1) {
				t.Fatalf("stored versions %v", versionsStored)
			}
		}
		if int64(len(versionsStored)) != versions[b] {
			t.Fatalf("%d stored, clients at %d", len(versionsStored), versions[b])
		}
	})
}

// expect3 reads until a message of one of the types arrives.
func (c *coClient) expect3(types ...string) coMsg {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.t.Fatalf("connection closed while waiting for %v", types)
			}
			if slices.Contains(types, m.Type) {
				return m
			}
		case <-deadline:
			c.t.Fatalf("none of %v within 10 s", types)
		}
	}
}

// TestCollab_TwoInstancesConvergence: the convergence script's editors
// spread over two instances converge on the stored text.
func TestCollab_TwoInstancesConvergence(t *testing.T) {
	nodeForCollab(t)
	t.Parallel()
	one, two := twoInstances(t)
	initial := "Deux instances — مثالان 🇲🇦\n"
	api, measure, tokens := coEditors(t, one, 6, initial)
	res := runConvergence(t, []string{wsOf(one), wsOf(two)}, tokens, measure, "PACTE_CLIENTS=6", "PACTE_EDITS=30", "PACTE_DISCONNECTS=2")
	checkConverged(t, res, one.Store, api, measure, initial)
}

// TestCollab_InstanceStops: updates one instance acknowledged survive it
// stopping; its editor goes on through the other instance.
func TestCollab_InstanceStops(t *testing.T) {
	t.Parallel()
	one, two := twoInstances(t)
	alice, bob := one.User(models.RoleMember, "apebi"), one.User(models.RoleMember, "apebi")
	_, aliceTok := coToken(t, one, alice)
	_, bobTok := coToken(t, one, bob)
	id := one.Measure(t, alice, servertest.MeasureSpec{Body: "", Pillar: "enablers", Axis: "cloud_computing", Editors: []*models.User{bob}})
	a, b := coDial(t, one.URL, aliceTok), coDial(t, two.URL, bobTok)
	a.join(id)
	b.join(id)
	text := ""
	for i := 0; i < 30; i++ {
		next := text + fmt.Sprintf("[b%d]", i)
		b.push(id, int64(i), coEdit("bob", text, next))
		if ack := b.expect("collab.ack"); ack.version() != int64(i+1) {
			t.Fatalf("ack %s", ack.Raw)
		}
		text = next
	}
	two.Server.Close() // the instance stops; its sockets close
	two.HTTP.Close()
	// Alice, on the surviving instance, has every update Bob's got acknowledged.
	got, v := "", int64(0)
	for v < 30 {
		u := a.expect("collab.updates")
		got = coApply(t, got, u.Updates)
		v = u.From + int64(len(u.Updates))
	}
	if got != text {
		t.Fatalf("Alice's text %q, want %q", got, text)
	}
	// Bob reconnects to the surviving instance and edits on.
	b = coDial(t, one.URL, bobTok)
	if d := b.join(id); d.Doc != text || d.version() != 30 {
		t.Fatalf("rejoin: %s", d.Raw)
	}
	b.push(id, 30, coEdit("bob", text, text+"!"))
	b.expect("collab.ack")
	if u := a.expect("collab.updates"); coApply(t, got, u.Updates) != text+"!" {
		t.Fatalf("after rejoin: %s", u.Raw)
	}
	if _, ver, _ := one.Store.CollabDoc(context.Background(), id); ver != 31 {
		t.Fatalf("stored version %d", ver)
	}
}

// TestCollab_ListenerReconnects: when the co-editing listener's connection
// is cut, it reconnects, and an editor on that instance misses nothing.
func TestCollab_ListenerReconnects(t *testing.T) {
	t.Parallel()
	one, two := twoInstances(t)
	alice, bob := one.User(models.RoleMember, "apebi"), one.User(models.RoleMember, "apebi")
	_, aliceTok := coToken(t, one, alice)
	_, bobTok := coToken(t, one, bob)
	id := one.Measure(t, alice, servertest.MeasureSpec{Body: "", Pillar: "enablers", Axis: "cloud_computing", Editors: []*models.User{bob}})
	a, b := coDial(t, one.URL, aliceTok), coDial(t, two.URL, bobTok)
	a.join(id)
	b.join(id)
	waitPID := func(not uint32) uint32 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if pid := two.Server.CollabListenerPID(); pid != 0 && pid != not {
				return pid
			}
			if time.Now().After(deadline) {
				t.Fatal("the co-editing listener did not (re)connect")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	pid := waitPID(0)
	if _, err := one.Store.SQL().Exec("SELECT pg_terminate_backend($1)", int64(pid)); err != nil {
		t.Fatal(err)
	}
	// Pushed while instance two is not listening.
	a.push(id, 0, coEdit("alice", "", "pendant la coupure"))
	a.expect("collab.ack")
	waitPID(pid)
	if u := b.expect("collab.updates"); u.From != 0 || coApply(t, "", u.Updates) != "pendant la coupure" {
		t.Fatalf("after reconnecting: %s", u.Raw)
	}
	// And live again.
	a.push(id, 1, coEdit("alice", "pendant la coupure", "pendant la coupure, puis après"))
	if u := b.expect("collab.updates"); u.From != 1 {
		t.Fatalf("live after reconnecting: %s", u.Raw)
	}
}
