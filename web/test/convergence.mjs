#!/usr/bin/env node
// convergence.mjs — N simulated co-editors against a running Pacte server.
//
// Each client is the browser's own protocol code (src/collab-session.js)
// on the real @codemirror/state and @codemirror/collab, without a view,
// over its own websocket. Clients type random insertions and deletions
// (Arabic, Tifinagh, accented letters, emoji, newlines) at random moments,
// drop their connection a few times (editing on while offline, then
// rejoining and re-pushing what was not acknowledged), and each inserts
// unique markers such as "<c3e17>". After the edits and a quiet period,
// every client must hold the same text at the same version.
//
// Environment:
//   PACTE_WS_URL       ws://127.0.0.1:8080/ws                (required; several URLs,
//                      comma-separated, spread the clients over several instances)
//   PACTE_TOKENS       bearer tokens, comma-separated; one client each (required)
//   PACTE_MEASURE      measure id, editable by every token's user (required)
//   PACTE_CLIENTS      number of clients (default: one per token; tokens are reused)
//   PACTE_EDITS        edits per client (default 40)
//   PACTE_DISCONNECTS  disconnections per client (default 3)
//   PACTE_MAX_DELAY_MS longest pause between two edits (default 60)
//   PACTE_QUIET_MS     how long everything must stay settled at the end (default 1000)
//   PACTE_TIMEOUT_MS   give up after this long (default 60000)
//   PACTE_SEED         random seed, to replay a run (default: random; printed)
//   PACTE_SUGGESTIONS  1: clients also suggest changes (each a unique marker
//                      such as "<s3n17>") and accept or reject open ones,
//                      through the HTTP API, while everyone types
//   PACTE_HTTP_URL     the API's base URL (default: from PACTE_WS_URL)
//
// The log may be compacted under the clients' feet (the Go test runs the
// retention while they type): a client told "gone" rejoins from the
// server's text, and must first hand every unsent edit to its host (in the
// browser, the box that keeps the person's unsent text); a marker dropped
// at the rejoin without having been handed over is a failure.
//
// Output: one JSON line on stdout,
//   {"texts":[…one per client…],"version":n,"acked":[markers whose insertion the server accepted],
//    "accepted":[suggestion markers accepted],"rejected":[suggestion markers rejected],"suggested":n,
//    "gone":[clients told "gone", one entry each time],"handedOver":[unsent markers handed over at a rejoin],"seed":s}
// Diagnostics go to stderr. Exit status 1 on a protocol error (error frame,
// refused upgrade, rejected push other than "stale", a change that does
// not fit), on a timeout, or when the texts differ or lack an
// acknowledged marker, or when an accepted suggestion's marker is not in
// every text exactly once, or any other suggestion's marker is there at
// all; 2 on bad configuration.

import WebSocket from "ws";
import { EditorState } from "@codemirror/state";
import { collab, getSyncedVersion, sendableUpdates } from "@codemirror/collab";
import { CollabSession } from "../src/collab-session.js";
import { bearerAPI } from "./bearer-api.mjs";

const env = process.env;
const urls = (env.PACTE_WS_URL || "").split(",").map((u) => u.trim()).filter(Boolean);
const tokens = (env.PACTE_TOKENS || "").split(",").map((t) => t.trim()).filter(Boolean);
const measure = Number(env.PACTE_MEASURE);
if (!urls.length || !tokens.length || !Number.isInteger(measure)) {
  console.error("convergence: set PACTE_WS_URL, PACTE_TOKENS and PACTE_MEASURE");
  process.exit(2);
}
const num = (name, def) => (env[name] != null && env[name] !== "" ? Number(env[name]) : def);
const CLIENTS = num("PACTE_CLIENTS", tokens.length);
const EDITS = num("PACTE_EDITS", 40);
const DISCONNECTS = num("PACTE_DISCONNECTS", 3);
const MAX_DELAY = num("PACTE_MAX_DELAY_MS", 60);
const QUIET = num("PACTE_QUIET_MS", 1000);
const TIMEOUT = num("PACTE_TIMEOUT_MS", 60000);
const SEED = num("PACTE_SEED", Math.floor(Math.random() * 2 ** 31));
const SUGGESTIONS = env.PACTE_SUGGESTIONS === "1";
const HTTP = (env.PACTE_HTTP_URL || urls[0].replace(/^ws/, "http").replace(/\/ws$/, "")).replace(/\/$/, "");

// mulberry32: small, seedable, good enough to pick edits.
let seedState = SEED >>> 0;
function random() {
  seedState = (seedState + 0x6d2b79f5) >>> 0;
  let t = seedState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (arr) => arr[Math.floor(random() * arr.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const FRAGMENTS = [
  "a", "e", "mesure ", "é", "è", "à ", "ç", "Ça va ", "naïve ", "Œuvre ", "Ü",
  "مرحبا", " بالعالم ", "الرقمنة", "ء", "ﷺ", "ⴰⵣⵓⵍ ", "ⵣ",
  "😀", "👍🏽", "👨‍👩‍👧", "🇲🇦", "\n", "\n\n", "- ", "# ", "**", " ",
];
// Edit markers (<c3e10>) and suggestion markers (<s3n17>): edits never cut one.
const MARKER = /<(?:c\d+e|s\d+n)\d+>/g;
const SUGGESTED = /<s\d+n\d+>/g;
const suggestions = { made: 0, accepted: new Set(), rejected: new Set() };
const rejoins = { gone: [], handedOver: [] };

const errors = [];
function protocolError(client, what) {
  const line = `client ${client.index}: ${what}`;
  errors.push(line);
  console.error("convergence:", line);
}

class Client {
  constructor(index, token) {
    this.index = index;
    this.token = token;
    this.clientID = `t${index}-${Math.floor(random() * 1e9).toString(36)}`;
    this.state = null;
    this.ws = null;
    this.failures = 0;
    this.pending = []; // {marker, origin} waiting for the server to accept
    this.acked = new Set();
    this.lost = [];
    this.handedText = null; // the text last handed to host.lost, until the reset
    const self = this;
    this.session = new CollabSession({
      measure,
      timeout: 5000,
      catchUp: 300,
      send: (msg) => self.sendFrame(msg),
      host: {
        state: () => self.state,
        apply(tr) {
          self.state = tr.state;
          self.confirmMarkers();
        },
        reset(doc, version) {
          for (const p of self.pending) {
            if (self.handedText === null || !self.handedText.includes(p.marker)) {
              protocolError(self, `unsent ${p.marker} dropped at a rejoin without being handed over`);
            } else {
              rejoins.handedOver.push(p.marker);
            }
            self.lost.push(p.marker);
          }
          self.pending = [];
          self.handedText = null;
          self.state = EditorState.create({ doc, extensions: [collab({ startVersion: version, clientID: self.clientID })] });
        },
        changed(session) {
          if (session.blocked && !self.refused) {
            self.refused = true;
            protocolError(self, `editing refused: ${session.blocked}`);
          }
        },
        lost(text, reason) {
          self.handedText = text;
          console.error(`convergence: client ${self.index}: unsent edits handed over (${reason})`);
        },
        failed(reason, detail) {
          protocolError(self, `${reason} ${JSON.stringify(detail ?? {})}`);
        },
      },
    });
  }

  connect() {
    const ws = new WebSocket(urls[this.index % urls.length], { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    ws.on("open", () => {
      if (ws !== this.ws) return;
      this.failures = 0;
      this.session.connectionOpened();
    });
    ws.on("message", (data) => {
      if (ws !== this.ws) return;
      let msg;
      try {
        msg = JSON.parse(String(data));
      } catch {
        protocolError(this, `not JSON: ${String(data).slice(0, 200)}`);
        return;
      }
      if (msg.type === "error") protocolError(this, `error frame ${JSON.stringify(msg)}`);
      else if (typeof msg.type === "string" && msg.type.startsWith("collab.")) {
        if (msg.type === "collab.rejected" && msg.reason === "gone") rejoins.gone.push(this.index);
        this.session.handle(msg);
      }
    });
    ws.on("unexpected-response", (_req, res) => {
      protocolError(this, `upgrade refused: HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on("error", (err) => {
      if (ws === this.ws) console.error(`convergence: client ${this.index}: ${err.message}`);
    });
    ws.on("close", () => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.session.connectionClosed();
      if (++this.failures > 5) protocolError(this, "cannot stay connected");
      else if (!this.offline) setTimeout(() => !this.ws && !this.offline && this.connect(), 200);
    });
  }

  /** disconnect drops the connection abruptly or politely, like a closing laptop or tab. */
  disconnect() {
    const ws = this.ws;
    this.offline = true;
    this.ws = null;
    this.session.connectionClosed();
    if (!ws) return;
    if (random() < 0.5) ws.terminate();
    else ws.close();
  }

  reconnect() {
    this.offline = false;
    if (!this.ws) this.connect();
  }

  sendFrame(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** confirmMarkers moves markers whose update the server accepted to `acked`. */
  confirmMarkers() {
    if (!this.pending.length) return;
    const unconfirmed = new Set(sendableUpdates(this.state).map((u) => u.origin));
    this.pending = this.pending.filter((p) => {
      if (unconfirmed.has(p.origin)) return true;
      this.acked.add(p.marker);
      return false;
    });
  }

  /** edit makes one random local change that never cuts a marker or a surrogate pair. */
  edit(n) {
    const doc = this.state.doc.toString();
    const markers = [...doc.matchAll(MARKER)].map((m) => [m.index, m.index + m[0].length]);
    const splitsPair = (p) => p > 0 && p < doc.length && isLow(doc.charCodeAt(p)) && isHigh(doc.charCodeAt(p - 1));
    const insideMarker = (p) => markers.some(([a, b]) => p > a && p < b);
    const safe = (p) => !splitsPair(p) && !insideMarker(p);
    let pos = randInt(0, doc.length);
    for (let tries = 0; !safe(pos) && tries < 50; tries++) pos = randInt(0, doc.length);
    if (!safe(pos)) pos = doc.length;

    let changes;
    let marker = null;
    if (n % 5 === 0) {
      marker = `<c${this.index}e${n}>`;
      changes = { from: pos, insert: marker };
    } else if (doc.length > 20 && random() < 0.4) {
      let to = Math.min(doc.length, pos + randInt(1, 8));
      for (const [a, b] of markers) if (a < to && b > pos) to = Math.min(to, a);
      while (to > pos && !safe(to)) to--;
      changes = to > pos ? { from: pos, to } : { from: pos, insert: pick(FRAGMENTS) };
    } else {
      changes = { from: pos, insert: pick(FRAGMENTS) + (random() < 0.3 ? pick(FRAGMENTS) : "") };
    }
    const tr = this.state.update({ changes, userEvent: "input" });
    this.state = tr.state;
    if (marker) this.pending.push({ marker, origin: tr });
    this.session.localChange();
  }

  settled() {
    const s = this.session;
    return (
      this.state &&
      s.connected &&
      s.joined &&
      !s.inFlight &&
      !s.pulling &&
      !s.resetPending &&
      !s.hasUnsent() &&
      getSyncedVersion(this.state) >= s.known
    );
  }

  async run() {
    this.connect();
    await until(() => this.state, 10000, `client ${this.index} got no collab.doc`);
    const drops = new Set();
    while (drops.size < Math.min(DISCONNECTS, EDITS)) drops.add(randInt(0, EDITS - 1));
    let reconnectAt = -1;
    for (let n = 0; n < EDITS; n++) {
      await sleep(randInt(0, MAX_DELAY));
      if (errors.length) return;
      if (n === reconnectAt) {
        await sleep(randInt(0, 300));
        this.reconnect();
        reconnectAt = -1;
      }
      if (drops.has(n) && reconnectAt < 0) {
        this.disconnect();
        reconnectAt = n + randInt(1, 4); // edit on offline for a while
      }
      this.edit(n);
      if (SUGGESTIONS && n % 4 === 2) await this.suggest(n);
      if (SUGGESTIONS && n % 4 === 3) await this.decide();
    }
    this.reconnect();
  }

  api(method, path, body) {
    return bearerAPI(HTTP, this.token, method, path, body);
  }

  /**
   * suggest proposes a marker in place of a few characters, or inserted,
   * at the synced version (only when nothing is unsent: its positions are
   * then the shared text's).
   */
  async suggest(n) {
    // Wait (briefly) for this client's own edits to be accepted.
    const end = Date.now() + 1000;
    while (this.state && !this.offline && (this.session.hasUnsent() || this.session.inFlight) && Date.now() < end) await sleep(10);
    if (!this.state || this.offline || this.session.hasUnsent() || !this.session.joined) return;
    const doc = this.state.doc.toString();
    const version = getSyncedVersion(this.state);
    const markers = [...doc.matchAll(MARKER)].map((m) => [m.index, m.index + m[0].length]);
    const ok = (p) => !(p > 0 && p < doc.length && isLow(doc.charCodeAt(p)) && isHigh(doc.charCodeAt(p - 1))) &&
      !markers.some(([a, b]) => p > a && p < b);
    let from = randInt(0, doc.length);
    for (let tries = 0; !ok(from) && tries < 50; tries++) from = randInt(0, doc.length);
    if (!ok(from)) return;
    let to = from;
    if (random() < 0.5) {
      to = Math.min(doc.length, from + randInt(1, 5));
      for (const [a, b] of markers) if (a < to && b > from) to = Math.min(to, a);
      while (to > from && !ok(to)) to--;
    }
    const marker = `<s${this.index}n${n}>`;
    const r = await this.api("POST", `/api/v1/measures/${measure}/suggestions`, { from, to, insert: marker, version });
    if (r.status === 201) suggestions.made++;
    else if (r.status !== 409) protocolError(this, `suggest: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** decide accepts or rejects one open suggestion at random. */
  async decide() {
    if (this.offline) return;
    const list = await this.api("GET", `/api/v1/measures/${measure}/suggestions?status=open`);
    if (list.status !== 200) {
      protocolError(this, `list suggestions: HTTP ${list.status}`);
      return;
    }
    const items = list.body?.items || [];
    if (!items.length) return;
    const s = pick(items);
    const action = random() < 0.6 ? "accept" : "reject";
    const r = await this.api("POST", `/api/v1/suggestions/${s.id}/${action}`, action === "reject" ? {} : undefined);
    if (r.status === 200) (action === "accept" ? suggestions.accepted : suggestions.rejected).add(s.insert);
    else if (r.status !== 409) protocolError(this, `${action}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
}

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

async function until(pred, ms, what) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (errors.length) throw new Error(errors[0]);
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(25);
  }
}

async function main() {
  const deadline = setTimeout(() => {
    console.error(`convergence: timed out after ${TIMEOUT} ms (seed ${SEED})`);
    process.exit(1);
  }, TIMEOUT);
  const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(i, tokens[i % tokens.length]));
  // Stagger the starts a little so joins and first pushes interleave.
  await Promise.all(clients.map(async (c) => {
    await sleep(randInt(0, 100));
    await c.run();
  }));
  if (errors.length) throw new Error(errors[0]);

  // Quiet period: every client connected, nothing unsent, all at one version, for QUIET ms.
  let calmSince = 0;
  await until(() => {
    const versions = new Set(clients.map((c) => c.state && getSyncedVersion(c.state)));
    const calm = clients.every((c) => c.settled()) && versions.size === 1;
    if (!calm) calmSince = 0;
    else if (!calmSince) calmSince = Date.now();
    return calm && Date.now() - calmSince >= QUIET;
  }, TIMEOUT, "clients did not settle");

  const texts = clients.map((c) => c.state.doc.toString());
  const version = getSyncedVersion(clients[0].state);
  const acked = [...new Set(clients.flatMap((c) => [...c.acked]))].sort();
  const accepted = [...suggestions.accepted].sort();
  const rejected = [...suggestions.rejected].sort();
  process.stdout.write(JSON.stringify({ texts, version, acked, accepted, rejected, suggested: suggestions.made,
    gone: rejoins.gone, handedOver: rejoins.handedOver, seed: SEED }) + "\n");

  let ok = true;
  if (new Set(texts).size !== 1) {
    ok = false;
    console.error("convergence: texts differ");
    texts.forEach((t, i) => console.error(`  client ${i} (${t.length}): ${JSON.stringify(t.slice(0, 300))}`));
  }
  for (const m of acked) {
    const missing = texts.findIndex((t) => !t.includes(m));
    if (missing >= 0) {
      ok = false;
      console.error(`convergence: acknowledged ${m} missing from client ${missing}'s text`);
    }
  }
  for (const m of accepted) {
    const bad = texts.findIndex((t) => t.split(m).length - 1 !== 1);
    if (bad >= 0) {
      ok = false;
      console.error(`convergence: accepted suggestion ${m} is not exactly once in client ${bad}'s text`);
    }
  }
  for (const t of texts.slice(0, 1)) {
    for (const m of t.match(SUGGESTED) || []) {
      if (!suggestions.accepted.has(m)) {
        ok = false;
        console.error(`convergence: suggestion ${m} is in the text but was never accepted`);
      }
    }
  }
  for (const c of clients) {
    c.offline = true;
    c.ws?.close();
  }
  clearTimeout(deadline);
  if (!ok || errors.length) {
    console.error(`convergence: failed (seed ${SEED})`);
    process.exit(1);
  }
  // Sockets closing politely can take a moment; nothing else is left to do.
  setTimeout(() => process.exit(0), 50).unref();
}

main().catch((err) => {
  console.error(`convergence: ${err.message} (seed ${SEED})`);
  process.exit(1);
});
