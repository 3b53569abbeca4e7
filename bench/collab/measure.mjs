// measure.mjs — what both load generators share: the typing schedule, the
// tokens each change inserts, and the latency bookkeeping. No dependencies.
//
// Every change inserts one token "[editor.seq]" at a token boundary (never
// inside another token, so a token always reaches a receiver whole). The
// latency of a change is the time from the moment its editor made it to the
// moment the LAST of the other editors received it; a change is delivered
// when every other editor received it.

import { performance } from "node:perf_hooks";

export const env = process.env;
export const num = (name, def) => (env[name] != null && env[name] !== "" ? Number(env[name]) : def);

export const EDITORS = num("BENCH_EDITORS", 20);
export const RATE = num("BENCH_RATE", 5); // changes per second per editor
export const DURATION = num("BENCH_DURATION_MS", 20000);
export const DRAIN = num("BENCH_DRAIN_MS", 5000);

export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TOKEN = /\[(\d+)\.(\d+)\]/g;

export function token(editor, seq) {
  return `[${editor}.${seq}]`;
}

/** boundary picks a random position in text that is not inside a token. */
export function boundary(text) {
  const r = Math.random();
  if (r < 0.15 || text.length === 0) return 0;
  if (r < 0.3) return text.length;
  // A random token end.
  for (let tries = 0; tries < 8; tries++) {
    const i = text.indexOf("]", Math.floor(Math.random() * text.length));
    if (i >= 0) return i + 1;
  }
  return text.length;
}

/** tokensIn yields [editor, seq] for every token in a string. */
export function* tokensIn(s) {
  for (const m of s.matchAll(TOKEN)) yield [Number(m[1]), Number(m[2])];
}

export class Tracker {
  constructor(editors) {
    this.editors = editors;
    this.changes = new Map(); // "e.s" → {at, seen, last}
    this.sent = 0;
  }

  made(editor, seq) {
    this.changes.set(`${editor}.${seq}`, { at: now(), seen: 0, last: 0 });
    this.sent++;
  }

  received(receiver, editor, seq) {
    if (receiver === editor) return;
    const c = this.changes.get(`${editor}.${seq}`);
    if (!c) return;
    c.seen++;
    c.last = now();
  }

  allDelivered() {
    for (const c of this.changes.values()) if (c.seen < this.editors - 1) return false;
    return true;
  }

  summary() {
    const lat = [];
    let delivered = 0;
    for (const c of this.changes.values()) {
      if (c.seen >= this.editors - 1) {
        delivered++;
        lat.push(c.last - c.at);
      }
    }
    lat.sort((a, b) => a - b);
    if (env.BENCH_DEBUG) {
      const hist = {};
      for (const c of this.changes.values()) hist[c.seen] = (hist[c.seen] || 0) + 1;
      console.error("seen histogram", JSON.stringify(hist));
    }
    const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
    return {
      changes: this.sent,
      delivered,
      delivered_share: this.sent ? delivered / this.sent : 0,
      p50_ms: q(0.5),
      p90_ms: q(0.9),
      p99_ms: q(0.99),
      max_ms: lat.length ? lat[lat.length - 1] : null,
      mean_ms: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null,
    };
  }
}

/**
 * typeAll runs the typing schedule: each editor makes RATE changes a second
 * (evenly spaced, random phase, ±20 % jitter) for DURATION ms, then waits up
 * to DRAIN ms for every change to reach everyone. It prints START and END
 * lines (the orchestrator samples the server's CPU there) and returns the
 * tracker's summary.
 */
export async function typeAll(tracker, editors, makeChange) {
  const interval = 1000 / RATE;
  console.log("START");
  const cpu0 = process.cpuUsage();
  const start = now();
  const seqs = new Array(editors).fill(0);
  await Promise.all(
    Array.from({ length: editors }, async (_, e) => {
      await sleep(Math.random() * interval);
      while (now() - start < DURATION) {
        const seq = seqs[e]++;
        tracker.made(e, seq);
        makeChange(e, seq);
        await sleep(interval * (0.8 + 0.4 * Math.random()));
      }
    }),
  );
  const endTyping = now();
  while (!tracker.allDelivered() && now() - endTyping < DRAIN) await sleep(20);
  console.log("END");
  const cpu = process.cpuUsage(cpu0);
  // The load generator's own CPU: a saturated client inflates latencies.
  return { ...tracker.summary(), client_cpu_ms: (cpu.user + cpu.system) / 1000, wall_ms: now() - start };
}
