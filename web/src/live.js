// live.js — the one websocket of a tab (see docs/API.md "Websocket /ws").
//
// It subscribes to the topics the page names in <body data-topics="…">,
// remembers the last event id seen per topic so that a reconnect resumes
// with `after` and misses nothing, reconnects with capped exponential
// backoff and jitter, and turns every server message into a DOM event on
// `document`:
//
//   pacte:event     {type:"event"}            detail = the message
//   pacte:presence  {type:"presence"}         detail = the message
//   pacte:collab    {type:"collab.*"}         detail = the message
//   pacte:error     {type:"error"}            detail = the message
//   pacte:status    connection state changed  detail = {state}
//
// Other modules use the exported functions rather than the socket. This
// module is evaluated once per tab: esbuild puts it in a shared chunk that
// both app.js and editor.js import (see build.mjs), so there is never a
// second connection.

import { RELOAD_CODES } from "./error-codes.js";

const MIN_DELAY = 1000;
const MAX_DELAY = 30000;
// A connection that lived shorter than this did not prove the server is
// healthy, so the backoff keeps growing instead of starting over at 1 s.
const STABLE_AFTER = 5000;
// Messages kept for sending while offline.
const MAX_QUEUE = 200;

let ws = null;
let state = "connecting";
let started = false;
let attempt = 0;
let openedAt = 0;
let retryTimer = 0;
let queue = [];

const topics = new Set();
const lastIDs = new Map(); // topic → last event id seen
const presence = new Map(); // topic → "viewing" | "editing"
const handlers = new Map(); // message type → Set of functions
const statusHandlers = new Set();

/** isOnline tells whether a message sent now reaches the server. */
export function isOnline() {
  return ws !== null && ws.readyState === WebSocket.OPEN;
}

/** connectionState is "connecting", "online" or "offline". */
export function connectionState() {
  return state;
}

/**
 * send transmits a message. While offline it is queued and sent, in order,
 * right after the next connection has re-subscribed — unless
 * {queue:false} is given, in which case it is dropped and false returned
 * (the editor uses that: its messages are only meaningful on the
 * connection they were made for).
 */
export function send(obj, { queue: useQueue = true } = {}) {
  if (isOnline()) {
    ws.send(JSON.stringify(obj));
    return true;
  }
  if (useQueue) {
    queue.push(obj);
    // A tab offline for hours should not replay hours of chatter.
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
  }
  return false;
}

/** subscribe adds a topic; it is re-subscribed with `after` on every reconnect. */
export function subscribe(topic, after) {
  if (!topic) return;
  if (after != null && !lastIDs.has(topic)) lastIDs.set(topic, Number(after));
  if (topics.has(topic)) return;
  topics.add(topic);
  if (isOnline()) ws.send(JSON.stringify(subscribeFrame(topic)));
}

/** unsubscribe drops a topic and its presence. */
export function unsubscribe(topic) {
  if (!topics.delete(topic)) return;
  presence.delete(topic);
  if (isOnline()) ws.send(JSON.stringify({ type: "unsubscribe", topic }));
}

/**
 * sendPresence tells the others on `topic` that this tab is "viewing" or
 * "editing" it; it is sent again after every reconnect. null forgets it.
 */
export function sendPresence(topic, presenceState) {
  if (presenceState == null) {
    presence.delete(topic);
    return;
  }
  presence.set(topic, presenceState);
  if (isOnline()) ws.send(JSON.stringify({ type: "presence", topic, state: presenceState }));
}

/**
 * onMessage calls fn for every server message of that exact type
 * ("event", "presence", "collab.updates", …; "*" for all). It returns a
 * function that removes the handler.
 */
export function onMessage(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(fn);
  return () => handlers.get(type)?.delete(fn);
}

/** onStatus calls fn(state) now and on every connection state change. */
export function onStatus(fn) {
  statusHandlers.add(fn);
  fn(state);
  return () => statusHandlers.delete(fn);
}

/** lastEventID is the id of the last event seen on topic, or undefined. */
export function lastEventID(topic) {
  return lastIDs.get(topic);
}

/**
 * start opens the connection and subscribes to what the page asks for:
 * <body data-topics="measures measure:12 user:3">, and, with
 * data-measure-id, presence on measure:<id> ("editing" when the page holds
 * an editor, else "viewing"). data-last-event-id, when the server renders
 * it, is the newest event id the page already reflects, so the first
 * subscription also replays what happened between rendering and
 * connecting. Calling start again does nothing.
 */
export function start() {
  if (started || typeof WebSocket === "undefined") return;
  const body = document.body;
  // Signed-out pages have nothing to listen to: /ws would only refuse them.
  if (!body.dataset.userId) return;
  started = true;
  const after = body.dataset.lastEventId;
  for (const topic of (body.dataset.topics || "").split(/\s+/)) {
    if (topic) subscribe(topic, after || undefined);
  }
  const measureID = body.dataset.measureId;
  if (measureID) {
    const topic = `measure:${measureID}`;
    subscribe(topic, after || undefined);
    sendPresence(topic, document.querySelector("[data-editor]") ? "editing" : "viewing");
  }
  window.addEventListener("online", () => reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state === "offline") reconnectNow();
  });
  // A tab kept in the back/forward cache comes back with a dead socket.
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) reconnectNow();
  });
  connect();
}

function subscribeFrame(topic) {
  const frame = { type: "subscribe", topic };
  const after = lastIDs.get(topic);
  if (after != null && Number.isFinite(after)) frame.after = after;
  return frame;
}

function socketURL() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws`;
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  setState("connecting");
  let sock;
  try {
    sock = new WebSocket(socketURL());
  } catch {
    scheduleReconnect();
    return;
  }
  ws = sock;
  sock.onopen = () => {
    if (ws !== sock) return;
    openedAt = Date.now();
    for (const topic of topics) sock.send(JSON.stringify(subscribeFrame(topic)));
    for (const [topic, st] of presence) {
      if (topics.has(topic)) sock.send(JSON.stringify({ type: "presence", topic, state: st }));
    }
    const pending = queue;
    queue = [];
    for (const msg of pending) sock.send(JSON.stringify(msg));
    setState("online");
  };
  sock.onmessage = (e) => {
    if (ws !== sock) return;
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    if (msg && typeof msg.type === "string") dispatch(msg);
  };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    if (openedAt && Date.now() - openedAt >= STABLE_AFTER) attempt = 0;
    openedAt = 0;
    setState("offline");
    scheduleReconnect();
  };
  // An error is always followed by close, which does the work.
  sock.onerror = () => {};
}

function scheduleReconnect() {
  if (retryTimer) return;
  const cap = Math.min(MAX_DELAY, MIN_DELAY * 2 ** attempt);
  attempt++;
  // "Equal jitter": at least half the cap, so a server restart is not met
  // by every tab at the same instant, nor by a tab retrying at once.
  const delay = Math.max(MIN_DELAY, cap / 2 + Math.random() * (cap / 2));
  retryTimer = setTimeout(connect, delay);
}

function reconnectNow() {
  if (ws || !started) return;
  attempt = 0;
  connect();
}

function setState(next) {
  if (state === next && next !== "connecting") return;
  state = next;
  paintIndicators();
  for (const fn of statusHandlers) safely(fn, next);
  document.dispatchEvent(new CustomEvent("pacte:status", { detail: { state: next } }));
}

/** paintIndicators updates every [data-live-indicator] with the state and its translated label. */
function paintIndicators() {
  for (const el of document.querySelectorAll("[data-live-indicator]")) {
    el.dataset.state = state;
    const text = el.getAttribute(`data-label-${state}`);
    if (text != null) {
      const target = el.querySelector("[data-live-label]") || el;
      target.textContent = text;
    }
  }
}

function dispatch(msg) {
  if (msg.type === "event") {
    const id = Number(msg.id);
    const seen = lastIDs.get(msg.topic);
    // The server promises no duplicate; this makes it true even if it slips.
    if (Number.isFinite(id) && seen != null && id <= seen) return;
    if (Number.isFinite(id) && msg.topic) lastIDs.set(msg.topic, id);
  }
  if (msg.type === "error" && RELOAD_CODES.has(String(msg.code || ""))) {
    reloadOnce();
    return;
  }
  for (const key of [msg.type, "*"]) {
    const set = handlers.get(key);
    if (set) for (const fn of [...set]) safely(fn, msg);
  }
  let name = null;
  if (msg.type === "event") name = "pacte:event";
  else if (msg.type === "presence") name = "pacte:presence";
  else if (msg.type.startsWith("collab.")) name = "pacte:collab";
  else if (msg.type === "error") name = "pacte:error";
  if (name) document.dispatchEvent(new CustomEvent(name, { detail: msg }));
}

// reloadOnce reloads the page to get fresh state, but not in a loop: if
// the server keeps saying the same thing right after a reload, the page
// stays as it is (and the indicator still tells whether it is live).
function reloadOnce() {
  const key = "pacte:reloaded-at";
  let last = 0;
  try {
    last = Number(sessionStorage.getItem(key)) || 0;
    sessionStorage.setItem(key, String(Date.now()));
  } catch {
    // Storage may be disabled; reloading is still the right thing.
  }
  if (Date.now() - last > 10000) location.reload();
}

function safely(fn, arg) {
  try {
    fn(arg);
  } catch (err) {
    console.error(err);
  }
}
