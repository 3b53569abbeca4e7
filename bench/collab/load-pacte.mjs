#!/usr/bin/env node
// load-pacte.mjs — BENCH_EDITORS editors typing into one Pacte measure.
//
// Each editor is the browser's own protocol code (web/src/collab-session.js)
// on the real @codemirror/state and @codemirror/collab, over its own
// websocket, exactly as in web/test/convergence.mjs. Run by the benchmark
// (go run ./bench/collab); needs web/node_modules (cd web && npm ci).
//
// Environment: PACTE_WS_URL, PACTE_TOKENS (one per editor, comma-separated),
// PACTE_MEASURE, and measure.mjs's BENCH_* settings. Prints START, END, then
// one JSON line: the tracker's summary plus the final version and whether
// every editor ended with the same text.

// Imported by path so that these are the very modules collab-session.js
// resolves (one @codemirror/state instance).
import WebSocket from "../../web/node_modules/ws/wrapper.mjs";
import { EditorState } from "../../web/node_modules/@codemirror/state/dist/index.js";
import { collab, getSyncedVersion } from "../../web/node_modules/@codemirror/collab/dist/index.js";
import { CollabSession } from "../../web/src/collab-session.js";
import { performance } from "node:perf_hooks";
import { EDITORS, Tracker, boundary, env, sleep, token, tokensIn, typeAll } from "./measure.mjs";

const url = env.PACTE_WS_URL;
const tokens = (env.PACTE_TOKENS || "").split(",").filter(Boolean);
const measure = Number(env.PACTE_MEASURE);
if (!url || tokens.length < EDITORS || !measure) {
  console.error("load-pacte: set PACTE_WS_URL, PACTE_TOKENS (one per editor) and PACTE_MEASURE");
  process.exit(2);
}

const tracker = new Tracker(EDITORS);
const errors = [];
const counts = { pushes: 0, stale: 0 };
const rtts = [];

class Editor {
  constructor(index) {
    this.index = index;
    this.clientID = `bench${index}-${Math.random().toString(36).slice(2, 8)}`;
    this.state = null;
    this.next = -1; // next version this editor has not yet seen an update for
    const self = this;
    this.session = new CollabSession({
      measure,
      send: (msg) => {
        if (self.ws.readyState !== WebSocket.OPEN) return false;
        if (msg.type === "collab.push") {
          counts.pushes++;
          self.pushedAt = performance.now();
        }
        self.ws.send(JSON.stringify(msg));
        return true;
      },
      host: {
        state: () => self.state,
        apply(tr) {
          self.state = tr.state;
        },
        reset(doc, version) {
          self.state = EditorState.create({ doc, extensions: [collab({ startVersion: version, clientID: self.clientID })] });
          self.next = version;
        },
        changed() {},
        lost(_t, reason) {
          errors.push(`editor ${index}: unsent edits lost (${reason})`);
        },
        failed(reason, detail) {
          errors.push(`editor ${index}: ${reason} ${JSON.stringify(detail ?? {})}`);
        },
      },
    });
    this.ws = new WebSocket(url, { headers: { Authorization: `Bearer ${tokens[index]}` }, perMessageDeflate: false });
    this.ws.on("open", () => this.session.connectionOpened());
    this.ws.on("message", (data) => this.onMessage(data));
    this.ws.on("close", () => {
      if (!closing) errors.push(`editor ${index}: connection closed`);
      this.session.connectionClosed();
    });
    this.ws.on("error", (err) => errors.push(`editor ${index}: ${err.message}`));
  }

  onMessage(data) {
    const msg = JSON.parse(String(data));
    if (msg.type === "error") errors.push(`editor ${this.index}: error frame ${JSON.stringify(msg)}`);
    if (msg.type === "collab.rejected" && msg.reason === "stale") counts.stale++;
    if ((msg.type === "collab.ack" || msg.type === "collab.rejected") && this.pushedAt) {
      // Round trip of a push: what one round of the protocol costs.
      rtts.push(performance.now() - this.pushedAt);
      this.pushedAt = 0;
    }
    if (msg.type === "collab.rejected" && msg.reason !== "stale") errors.push(`editor ${this.index}: rejected ${msg.reason}`);
    if (msg.type === "collab.updates" && this.next >= 0 && msg.from <= this.next) {
      // Received = the moment the update reaches this editor, counted once per version.
      const fresh = msg.updates.slice(this.next - msg.from);
      for (const u of fresh) {
        for (const [e, s] of tokensIn(JSON.stringify(u.changes))) tracker.received(this.index, e, s);
      }
      this.next = msg.from + msg.updates.length;
    }
    if (typeof msg.type === "string" && msg.type.startsWith("collab.")) this.session.handle(msg);
  }

  type(seq) {
    const text = this.state.doc.toString();
    const pos = boundary(text);
    this.state = this.state.update({ changes: { from: pos, insert: token(this.index, seq) }, userEvent: "input" }).state;
    this.session.localChange();
  }
}

let closing = false;

function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function main() {
  const editors = Array.from({ length: EDITORS }, (_, i) => new Editor(i));
  const joinBy = Date.now() + 15000;
  while (!editors.every((e) => e.state && e.session.joined)) {
    if (Date.now() > joinBy) throw new Error("editors did not all join");
    await sleep(20);
  }
  const summary = await typeAll(tracker, EDITORS, (e, seq) => editors[e].type(seq));
  // Settle: everyone at one version with nothing unsent.
  const settleBy = Date.now() + 10000;
  while (!editors.every((e) => !e.session.hasUnsent() && !e.session.inFlight) ||
    new Set(editors.map((e) => getSyncedVersion(e.state))).size !== 1) {
    if (Date.now() > settleBy) break;
    await sleep(20);
  }
  const texts = new Set(editors.map((e) => e.state.doc.toString()));
  closing = true;
  for (const e of editors) e.ws.close();
  console.log(JSON.stringify({ ...summary, version: getSyncedVersion(editors[0].state), converged: texts.size === 1, ...counts, push_rtt_p50_ms: pct(rtts, 0.5), push_rtt_p99_ms: pct(rtts, 0.99), errors: errors.slice(0, 5) }));
  setTimeout(() => process.exit(0), 100).unref();
}

main().catch((err) => {
  console.error("load-pacte:", err.message);
  process.exit(1);
});
