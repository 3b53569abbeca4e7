#!/usr/bin/env node
// load.mjs — BENCH_EDITORS Yjs editors (@hocuspocus/provider, one websocket
// each) typing into one Hocuspocus document, under the same schedule and
// bookkeeping as Pacte's load (../measure.mjs).
//
// Environment: HOCUSPOCUS_URL (ws://127.0.0.1:1234), BENCH_*. Prints START,
// END, then one JSON line like load-pacte.mjs.

import WebSocket from "ws";
import * as Y from "yjs";
import { HocuspocusProvider } from "@hocuspocus/provider";
import { EDITORS, Tracker, boundary, env, sleep, token, tokensIn, typeAll } from "../measure.mjs";

const url = env.HOCUSPOCUS_URL || "ws://127.0.0.1:1234";
const name = env.HOCUSPOCUS_DOC || `bench-${Date.now()}`;
const tracker = new Tracker(EDITORS);

const editors = Array.from({ length: EDITORS }, (_, index) => {
  const doc = new Y.Doc();
  const text = doc.getText("body");
  const provider = new HocuspocusProvider({ url, name, document: doc, WebSocketPolyfill: WebSocket });
  const ed = { index, doc, text, provider, synced: false };
  provider.on("synced", () => {
    ed.synced = true;
  });
  // Received = the moment a remote update has been applied to this
  // editor's doc. The tokens are read from the update itself: a Y.Text
  // event's delta walks the whole document, which would slow the client
  // down as the text grows and inflate Hocuspocus's latencies.
  doc.on("update", (update, _origin, _doc, tr) => {
    if (tr.local) return;
    for (const s of Y.decodeUpdate(update).structs) {
      const str = s.content && s.content.str;
      if (typeof str === "string") for (const [e, q] of tokensIn(str)) tracker.received(index, e, q);
    }
  });
  return ed;
});

async function main() {
  const syncBy = Date.now() + 15000;
  while (!editors.every((e) => e.synced)) {
    if (Date.now() > syncBy) throw new Error("editors did not all sync");
    await sleep(20);
  }
  const summary = await typeAll(tracker, EDITORS, (e, seq) => {
    const ed = editors[e];
    ed.text.insert(boundary(ed.text.toString()), token(e, seq));
  });
  const settleBy = Date.now() + 10000;
  while (new Set(editors.map((e) => e.text.toString())).size !== 1 && Date.now() < settleBy) await sleep(20);
  const converged = new Set(editors.map((e) => e.text.toString())).size === 1;
  for (const e of editors) e.provider.destroy();
  console.log(JSON.stringify({ ...summary, converged, errors: [] }));
  setTimeout(() => process.exit(0), 100).unref();
}

main().catch((err) => {
  console.error("hocuspocus load:", err.message);
  process.exit(1);
});
