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
//
// With PACTE_SUGGEST_TOKENS (one per suggester), suggesters join the
// document too and each suggests an insertion "{S.i.n}" BENCH_SUGGEST_RATE
// times a second through the API, while the first editor's account
// accepts the oldest open suggestion every BENCH_ACCEPT_MS; the JSON line
// then also gives the time from an accept's request to the last editor
// receiving its change (accept_p50_ms, accept_p99_ms).

// Imported by path so that these are the very modules collab-session.js
// resolves (one @codemirror/state instance).
import WebSocket from "../../web/node_modules/ws/wrapper.mjs";
import { EditorState } from "../../web/node_modules/@codemirror/state/dist/index.js";
import { collab, getSyncedVersion } from "../../web/node_modules/@codemirror/collab/dist/index.js";
import { CollabSession } from "../../web/src/collab-session.js";
import { bearerAPI } from "../../web/test/bearer-api.mjs";
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
const suggestTokens = (env.PACTE_SUGGEST_TOKENS || "").split(",").filter(Boolean);
const SUGGEST_RATE = Number(env.BENCH_SUGGEST_RATE || 1);
const ACCEPT_MS = Number(env.BENCH_ACCEPT_MS || 1000);
const HTTP = url.replace(/^ws/, "http").replace(/\/ws$/, "");
const SUGGESTION = /\{S\.(\d+)\.(\d+)\}/g;
// accepts: suggestion token → {at, seen: Set of editors, last}
const accepts = new Map();
const sg = { made: 0, refused: 0, accepted: 0, acceptRefused: 0 };
const errors = [];
const counts = { pushes: 0, stale: 0 };
const rtts = [];

class Editor {
  constructor(index, tok = tokens[index], suggester = false) {
    this.index = index;
    this.suggester = suggester;
    this.token = tok;
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
    if (suggester) this.session.holding = true;
    this.ws = new WebSocket(url, { headers: { Authorization: `Bearer ${tok}` }, perMessageDeflate: false });
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
    // A suggester is told it may not edit (it only suggests).
    if (msg.type === "collab.rejected" && msg.reason !== "stale" && !(this.suggester && msg.reason === "forbidden")) {
      errors.push(`editor ${this.index}: rejected ${msg.reason}`);
    }
    if (msg.type === "collab.updates" && this.next >= 0 && msg.from <= this.next) {
      // Received = the moment the update reaches this editor, counted once per version.
      const fresh = msg.updates.slice(this.next - msg.from);
      for (const u of fresh) {
        const json = JSON.stringify(u.changes);
        for (const [e, s] of tokensIn(json)) tracker.received(this.index, e, s);
        if (!this.suggester) {
          for (const m of json.matchAll(SUGGESTION)) {
            const a = accepts.get(m[0]);
            if (a && !a.seen.has(this.index)) {
              a.seen.add(this.index);
              a.last = performance.now();
            }
          }
        }
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

const api = (tok, method, path, body) => bearerAPI(HTTP, tok, method, path, body);

/** suggestLoop: one suggester inserts "{S.i.n}" at a token boundary, SUGGEST_RATE times a second. */
async function suggestLoop(s, until) {
  const interval = 1000 / SUGGEST_RATE;
  await sleep(Math.random() * interval);
  for (let n = 0; performance.now() < until; n++) {
    const at = boundary(s.state.doc.toString());
    const r = await api(s.token, "POST", `/api/v1/measures/${measure}/suggestions`,
      { from: at, to: at, insert: `{S.${s.index}.${n}}`, version: getSyncedVersion(s.state) });
    if (r.status === 201) sg.made++;
    else if (r.status === 409) sg.refused++; // overlaps another's, or outdated
    else errors.push(`suggester ${s.index}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(interval * (0.8 + 0.4 * Math.random()));
  }
}

/** acceptLoop: the first editor's account accepts the oldest open suggestion every ACCEPT_MS. */
async function acceptLoop(until) {
  while (performance.now() < until) {
    await sleep(ACCEPT_MS);
    const list = await api(tokens[0], "GET", `/api/v1/measures/${measure}/suggestions?status=open`);
    const first = list.body?.items?.[0];
    if (!first) continue;
    const at = performance.now();
    accepts.set(first.insert, { at, seen: new Set(), last: 0 });
    const r = await api(tokens[0], "POST", `/api/v1/suggestions/${first.id}/accept`);
    if (r.status === 200) sg.accepted++;
    else {
      accepts.delete(first.insert);
      sg.acceptRefused++;
    }
  }
}

function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function main() {
  const editors = Array.from({ length: EDITORS }, (_, i) => new Editor(i));
  const suggesters = suggestTokens.map((tok, i) => new Editor(i, tok, true));
  const joinBy = Date.now() + 15000;
  while (![...editors, ...suggesters].every((e) => e.state && e.session.joined)) {
    if (Date.now() > joinBy) throw new Error("editors did not all join");
    await sleep(20);
  }
  const until = performance.now() + Number(env.BENCH_DURATION_MS || 20000);
  // BENCH_SUGGEST_RATE=0: the suggesters only have the text open (the
  // viewers' share of the load, without any suggestion).
  const side = suggesters.length && SUGGEST_RATE > 0 ? [acceptLoop(until), ...suggesters.map((s) => suggestLoop(s, until))] : [];
  const summary = await typeAll(tracker, EDITORS, (e, seq) => editors[e].type(seq));
  await Promise.all(side);
  const drainBy = performance.now() + 5000;
  while ([...accepts.values()].some((a) => a.seen.size < EDITORS) && performance.now() < drainBy) await sleep(20);
  const acceptLat = [...accepts.values()].filter((a) => a.seen.size >= EDITORS).map((a) => a.last - a.at);
  // Settle: everyone at one version with nothing unsent.
  const settleBy = Date.now() + 10000;
  while (!editors.every((e) => !e.session.hasUnsent() && !e.session.inFlight) ||
    new Set(editors.map((e) => getSyncedVersion(e.state))).size !== 1) {
    if (Date.now() > settleBy) break;
    await sleep(20);
  }
  const texts = new Set(editors.map((e) => e.state.doc.toString()));
  closing = true;
  for (const e of [...editors, ...suggesters]) e.ws.close();
  const suggestions = suggesters.length
    ? { suggestions_made: sg.made, suggestions_refused: sg.refused, accepts: sg.accepted, accepts_refused: sg.acceptRefused,
        accepts_delivered: acceptLat.length, accept_p50_ms: pct(acceptLat, 0.5), accept_p99_ms: pct(acceptLat, 0.99) }
    : {};
  console.log(JSON.stringify({ ...summary, version: getSyncedVersion(editors[0].state), converged: texts.size === 1, ...counts, ...suggestions, push_rtt_p50_ms: pct(rtts, 0.5), push_rtt_p99_ms: pct(rtts, 0.99), errors: errors.slice(0, 5) }));
  setTimeout(() => process.exit(0), 100).unref();
}

main().catch((err) => {
  console.error("load-pacte:", err.message);
  process.exit(1);
});
