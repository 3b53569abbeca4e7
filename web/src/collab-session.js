// collab-session.js — the client side of Pacte's co-editing protocol
// (docs/API.md "Websocket /ws", collab.* messages), independent of any view.
//
// The browser editor (editor.js) and the convergence test
// (test/convergence.mjs) both drive this same class, so the test
// exercises the code that runs in the browser. It owns no socket: the
// caller hands it `send` and tells it when the connection opens or closes
// and what arrived. It owns no EditorState either: the `host` holds it.
//
// Rules it keeps:
// - at most one push in flight; a push carries getSyncedVersion(state);
// - updates are applied only in order: a message that starts past our
//   version triggers a pull, one that starts before it has its known
//   prefix skipped (so duplicates and pull answers overlapping broadcasts
//   are harmless);
// - it tracks the highest version the server has shown (`known`) and
//   never pushes while behind it, and pulls when it stays behind, so an
//   update whose broadcast raced a pull answer is still fetched;
// - after a reconnect it joins again, pulls what it missed (its own
//   accepted updates come back by clientID and are confirmed rather than
//   applied twice) and re-pushes the rest.

import { ChangeSet } from "@codemirror/state";
import { getSyncedVersion, receiveUpdates, sendableUpdates } from "@codemirror/collab";

// Updates per push frame: an editor that was offline a long time sends its
// backlog in several frames instead of one huge one.
const MAX_BATCH = 100;

export class CollabSession {
  /**
   * @param {object} opts
   * @param {number} opts.measure   measure id
   * @param {(msg: object) => boolean} opts.send  sends a frame, false if it could not
   * @param {object} opts.host
   *   state(): EditorState|null       the current state (null before the first collab.doc)
   *   apply(tr, updates): void        make tr.state the current state (updates: the
   *                                   server's updates it applies, as {changes, clientID})
   *   reset(doc, version): void       build a fresh state with collab({startVersion: version, clientID})
   *   changed(session): void          something observable changed (saveState(), blocked, …)
   *   lost(text, reason): void        the server can't take our unsent edits; here is the text we had
   *   failed(reason, detail): void    a protocol error ("invalid", "diverged", "server_error")
   * @param {number} [opts.timeout]   ms to wait for an ack or a pull answer before retrying
   * @param {number} [opts.catchUp]   ms to wait for a broadcast before pulling
   */
  constructor({ measure, send, host, timeout = 10000, catchUp = 600 }) {
    this.measure = Number(measure);
    this.send = send;
    this.host = host;
    this.timeout = timeout;
    this.catchUp = catchUp;
    this.connected = false;
    this.joined = false;
    this.known = -1; // highest version the server has told us about
    this.inFlight = null; // {version, count, timer}
    this.pulling = null; // {version, timer}
    this.catchUpTimer = 0;
    this.resetPending = false; // next collab.doc replaces our state
    this.blocked = null; // "not_editable" | "forbidden" once the server refuses us
    // holding keeps local changes from being pushed: in suggestion mode
    // they are the person's proposal, sent as suggestions, not as edits.
    this.holding = false;
  }

  /** hold stops or resumes pushing local changes. */
  hold(on) {
    this.holding = !!on;
    if (!on) this.maybePush();
    this.host.changed(this);
  }

  /** connectionOpened (re)joins the document; call it on every new connection. */
  connectionOpened() {
    this.clearTimers();
    this.connected = true;
    this.joined = false;
    this.inFlight = null;
    this.pulling = null;
    // A refusal is re-checked on each connection: the measure may be
    // editable again (changes requested) or the person an editor again.
    this.blocked = null;
    this.frame({ type: "collab.join", measure: this.measure });
    this.host.changed(this);
  }

  /** connectionClosed forgets everything tied to the old connection. */
  connectionClosed() {
    this.clearTimers();
    this.connected = false;
    this.joined = false;
    this.inFlight = null;
    this.pulling = null;
    this.host.changed(this);
  }

  /** leave tells the server this tab stops editing. */
  leave() {
    if (this.connected) this.frame({ type: "collab.leave", measure: this.measure });
  }

  /** localChange is called after the host applied a local transaction. */
  localChange() {
    this.maybePush();
    this.host.changed(this);
  }

  /** hasUnsent tells whether local edits are not yet accepted by the server. */
  hasUnsent() {
    const st = this.host.state();
    return !!st && sendableUpdates(st).length > 0;
  }

  /**
   * saveState summarises for a person: "offline", "joining", "readonly",
   * "saving", "suggesting" (typed in suggestion mode, not yet sent) or
   * "saved".
   */
  saveState() {
    if (!this.connected) return "offline";
    if (this.blocked && !this.holding) return "readonly";
    if (!this.joined || this.resetPending) return "joining";
    if (this.holding) return this.hasUnsent() ? "suggesting" : "saved";
    if (this.inFlight || this.hasUnsent()) return "saving";
    return "saved";
  }

  /** handle takes every collab.* message of the connection. */
  handle(msg) {
    if (!msg || Number(msg.measure) !== this.measure) return;
    switch (msg.type) {
      case "collab.doc":
        this.onDoc(msg);
        break;
      case "collab.updates":
        this.onUpdates(msg);
        break;
      case "collab.ack":
        this.onAck(msg);
        break;
      case "collab.rejected":
        this.onRejected(msg);
        break;
      default:
        return;
    }
    this.host.changed(this);
  }

  // --- incoming -----------------------------------------------------------

  onDoc(msg) {
    if (!this.connected) return;
    this.joined = true;
    const version = Number(msg.version);
    const doc = String(msg.doc ?? "");
    this.known = Math.max(this.known, version);
    const st = this.host.state();
    if (!st || this.resetPending) {
      // What was typed while the rejoin was on its way is handed over too
      // (the host shows the whole unsent text again), not silently dropped.
      if (this.resetPending) this.loseUnsent(this.resetReason || "gone");
      this.resetPending = false;
      this.known = version;
      this.host.reset(doc, version);
      this.settle();
      return;
    }
    const synced = getSyncedVersion(st);
    if (version < synced) {
      // The server forgot versions we saw (restored from a backup): our
      // state can't be rebased onto its history. Start over from its text.
      this.loseUnsent("gone");
      this.known = version;
      this.host.reset(doc, version);
    } else if (version > synced) {
      this.pull();
    } else if (!this.hasUnsent() && doc !== st.doc.toString()) {
      // Same version, different text: should never happen; trust the server.
      this.host.failed("diverged", { version });
      this.host.reset(doc, version);
    }
    this.settle();
  }

  onUpdates(msg) {
    const st = this.host.state();
    if (!this.joined || !st || this.resetPending) return;
    const from = Number(msg.from);
    const updates = Array.isArray(msg.updates) ? msg.updates : [];
    this.known = Math.max(this.known, from + updates.length);
    const synced = getSyncedVersion(st);
    if (from > synced) {
      // A gap: something between our version and `from` never reached us.
      if (!this.pulling) this.pull();
      return;
    }
    if (this.pulling) {
      clearTimeout(this.pulling.timer);
      this.pulling = null;
    }
    const fresh = updates.slice(synced - from);
    if (fresh.length) {
      let tr;
      let parsed;
      try {
        parsed = fresh.map((u) => ({ changes: ChangeSet.fromJSON(u.changes), clientID: String(u.clientID) }));
        tr = receiveUpdates(st, parsed);
      } catch (err) {
        // A change that does not fit our text: we diverged from the server.
        this.host.failed("diverged", { error: String(err), from, synced });
        this.rejoinFresh("diverged");
        return;
      }
      this.host.apply(tr, parsed);
    }
    this.settle();
  }

  onAck(msg) {
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight = null;
    }
    this.known = Math.max(this.known, Number(msg.version));
    // Our own updates come back as collab.updates (before or after this
    // ack); settle() waits briefly for them, then pulls.
    this.settle();
  }

  onRejected(msg) {
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight = null;
    }
    const reason = String(msg.reason || "");
    if (Number.isFinite(Number(msg.version))) this.known = Math.max(this.known, Number(msg.version));
    switch (reason) {
      case "stale": {
        // Others got in first: fetch their updates (collab rebases ours), then
        // push again. Their updates usually reached us just before the
        // refusal; then there is nothing to fetch, and we push at once.
        const st = this.host.state();
        const current = Number(msg.version);
        if (st && Number.isFinite(current) && getSyncedVersion(st) >= current) this.settle();
        else this.pull();
        break;
      }
      case "not_editable":
      case "forbidden":
        this.blocked = reason;
        this.clearTimers();
        break;
      case "gone":
        this.rejoinFresh("gone");
        break;
      case "invalid":
      default:
        // Pushing the same updates again would fail the same way; keep the
        // person's text and start over from the server's.
        this.host.failed(reason || "invalid", { version: msg.version });
        this.rejoinFresh(reason || "invalid");
        break;
    }
  }

  // --- outgoing -----------------------------------------------------------

  pull() {
    const st = this.host.state();
    if (!st || !this.connected) return;
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = 0;
    if (this.pulling) clearTimeout(this.pulling.timer);
    const version = getSyncedVersion(st);
    const timer = setTimeout(() => {
      this.pulling = null;
      this.settle();
    }, this.timeout);
    this.pulling = { version, timer };
    if (!this.frame({ type: "collab.pull", measure: this.measure, version })) {
      clearTimeout(timer);
      this.pulling = null;
    }
  }

  maybePush() {
    if (!this.connected || !this.joined || this.blocked || this.resetPending || this.holding) return;
    if (this.inFlight || this.pulling) return;
    const st = this.host.state();
    if (!st) return;
    const version = getSyncedVersion(st);
    if (version < this.known) return; // a push now would only be refused as stale
    const updates = sendableUpdates(st).slice(0, MAX_BATCH);
    if (!updates.length) return;
    const sent = this.frame({
      type: "collab.push",
      measure: this.measure,
      version,
      updates: updates.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() })),
    });
    if (!sent) return;
    const timer = setTimeout(() => {
      // No answer: the server may or may not have taken it. Pulling tells
      // (our updates come back under our clientID if it did).
      this.inFlight = null;
      this.pull();
      this.host.changed(this);
    }, this.timeout);
    this.inFlight = { version, count: updates.length, timer };
  }

  /** settle pushes when caught up, else schedules a pull in case a broadcast went missing. */
  settle() {
    if (!this.connected || !this.joined) return;
    const st = this.host.state();
    if (!st) return;
    if (getSyncedVersion(st) >= this.known) {
      clearTimeout(this.catchUpTimer);
      this.catchUpTimer = 0;
      this.maybePush();
      return;
    }
    if (this.pulling || this.catchUpTimer) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = 0;
      const now = this.host.state();
      if (this.connected && now && !this.pulling && getSyncedVersion(now) < this.known) this.pull();
      this.host.changed(this);
    }, this.catchUp);
  }

  rejoinFresh(reason) {
    this.loseUnsent(reason);
    this.resetPending = true;
    this.resetReason = reason;
    this.clearTimers();
    this.inFlight = null;
    this.pulling = null;
    if (this.connected) {
      this.joined = false;
      this.frame({ type: "collab.join", measure: this.measure });
    }
  }

  loseUnsent(reason) {
    const st = this.host.state();
    if (st && sendableUpdates(st).length) this.host.lost(st.doc.toString(), reason);
  }

  frame(obj) {
    try {
      return this.send(obj) !== false;
    } catch {
      return false;
    }
  }

  clearTimers() {
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = 0;
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    if (this.pulling) clearTimeout(this.pulling.timer);
  }
}
