#!/usr/bin/env node
// selfcheck.mjs — a Node-only check of src/collab-session.js, no server.
//
// An in-memory authority following API.md's collab rules (accept a push
// only at the current version, broadcast to every joined connection, answer
// pulls) talks to a few CollabSessions over lossy, reordering-free,
// randomly delayed "connections" that drop now and then. This checks the
// client's state machine (one push in flight, pull on gaps and stale,
// rejoin and re-push after a drop, ack before or after the broadcast);
// the real server is checked by test/convergence.mjs.
//
//   node test/selfcheck.mjs [seed]     prints "N passed, 0 failed"

import { ChangeSet, EditorState, Text } from "@codemirror/state";
import { collab, getSyncedVersion, sendableUpdates } from "@codemirror/collab";
import { CollabSession } from "../src/collab-session.js";

let seed = Number(process.argv[2] ?? 12345) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MEASURE = 7;

// A pipe delivers JSON copies in order after random delays until cut.
function pipe(deliver) {
  let chain = Promise.resolve();
  const p = {
    open: true,
    send(msg) {
      if (!p.open) return false;
      const copy = JSON.parse(JSON.stringify(msg));
      chain = chain.then(() => sleep(randInt(0, 3))).then(() => p.open && deliver(copy));
      return true;
    },
  };
  return p;
}

class Authority {
  doc = Text.of(["Début — بداية"]);
  updates = [];
  conns = new Set();

  connect(client) {
    const conn = { joined: false, toClient: pipe((m) => client.session.handle(m)) };
    conn.toServer = pipe((m) => this.receive(conn, m));
    this.conns.add(conn);
    return conn;
  }

  drop(conn) {
    conn.toClient.open = false;
    if (random() < 0.5) conn.toServer.open = false; // frames on the wire may or may not arrive
    this.conns.delete(conn);
  }

  receive(conn, msg) {
    const out = (m) => conn.toClient.send({ measure: MEASURE, ...m });
    if (msg.type === "collab.join") {
      conn.joined = true;
      out({ type: "collab.doc", version: this.updates.length, doc: this.doc.toString() });
    } else if (msg.type === "collab.pull") {
      out({ type: "collab.updates", from: msg.version, updates: this.updates.slice(msg.version) });
    } else if (msg.type === "collab.push") {
      if (msg.version !== this.updates.length) {
        out({ type: "collab.rejected", version: this.updates.length, reason: "stale" });
        return;
      }
      const from = this.updates.length;
      for (const u of msg.updates) {
        this.doc = ChangeSet.fromJSON(u.changes).apply(this.doc);
        this.updates.push(u);
      }
      const ack = () => out({ type: "collab.ack", version: this.updates.length });
      if (random() < 0.5) ack();
      for (const c of this.conns) {
        if (c.joined) c.toClient.send({ measure: MEASURE, type: "collab.updates", from, updates: msg.updates });
      }
      if (!conn.toClient.open || random() < 0.5) return;
      ack();
    }
  }
}

async function run(clientCount, edits) {
  const server = new Authority();
  const failures = [];
  const clients = [];
  for (let i = 0; i < clientCount; i++) {
    const c = { state: null, conn: null, markers: [], acked: new Set() };
    c.session = new CollabSession({
      measure: MEASURE,
      timeout: 500,
      catchUp: 50,
      send: (m) => !!c.conn && c.conn.toServer.send(m),
      host: {
        state: () => c.state,
        apply(tr) {
          c.state = tr.state;
          const unconfirmed = new Set(sendableUpdates(c.state).map((u) => u.origin));
          c.markers = c.markers.filter((m) => unconfirmed.has(m.origin) || (c.acked.add(m.marker), false));
        },
        reset(doc, version) {
          c.state = EditorState.create({ doc, extensions: collab({ startVersion: version, clientID: `c${i}` }) });
        },
        changed() {},
        lost: (_t, reason) => failures.push(`client ${i} lost its edits: ${reason}`),
        failed: (reason, d) => failures.push(`client ${i}: ${reason} ${JSON.stringify(d)}`),
      },
    });
    c.connect = () => {
      c.conn = server.connect(c);
      c.session.connectionOpened();
    };
    c.drop = () => {
      server.drop(c.conn);
      c.conn = null;
      c.session.connectionClosed();
    };
    clients.push(c);
  }
  for (const c of clients) c.connect();
  await sleep(30);
  await Promise.all(clients.map(async (c, i) => {
    for (let n = 0; n < edits; n++) {
      await sleep(randInt(0, 4));
      if (c.conn && random() < 0.05) c.drop();
      else if (!c.conn && random() < 0.3) c.connect();
      const doc = c.state.doc;
      const pos = randInt(0, doc.length);
      const marker = `<c${i}e${n}>`;
      const spec = n % 3 === 0 && doc.length > 10
        ? { changes: { from: Math.min(pos, doc.length - 1), to: Math.min(pos, doc.length - 1) + 1 } }
        : { changes: { from: pos, insert: n % 2 ? marker : "é" } };
      // Deleting may cut a marker or a surrogate pair; keep it simple: only ASCII/BMP text here.
      const tr = c.state.update(spec);
      c.state = tr.state;
      if (spec.changes.insert === marker) c.markers.push({ marker, origin: tr });
      c.session.localChange();
    }
    if (!c.conn) c.connect();
  }));
  const settled = () =>
    clients.every((c) => c.session.saveState() === "saved" && getSyncedVersion(c.state) === server.updates.length);
  for (let t = 0; t < 400 && !settled(); t++) await sleep(10);
  const texts = clients.map((c) => c.state.doc.toString());
  const problems = [...failures];
  if (!settled()) problems.push("did not settle");
  if (texts.some((t) => t !== server.doc.toString())) problems.push("texts differ from the authority's");
  const acked = clients.flatMap((c) => [...c.acked]);
  if (!acked.length) problems.push("no marker acknowledged");
  for (const c of clients) for (const m of c.markers) if (c.acked.has(m.marker)) problems.push(`marker ${m.marker} both pending and acked`);
  return problems;
}

let passed = 0;
let failed = 0;
for (const [clients, edits] of [[1, 30], [2, 60], [4, 80], [6, 60]]) {
  const problems = await run(clients, edits);
  if (problems.length) {
    failed++;
    console.error(`FAIL ${clients} clients × ${edits} edits: ${problems.join("; ")}`);
  } else {
    passed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
