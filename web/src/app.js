// app.js — the script of every page: <script type="module" src="/static/js/app.js">.
//
// It opens the tab's websocket (live.js) and keeps the page current
// (page-updates.js). Behaviour attaches to server-rendered markup through
// data- attributes only; the CSP (script-src 'self') forbids inline
// scripts, so nothing is configured from the page other than by
// attributes. The live API is also exposed as window.pacteLive for
// debugging and for browser tests.

import * as live from "./live.js";
import { start as startNotifications } from "./notifications.js";
import { start as startPageUpdates } from "./page-updates.js";
import { startAxisFilters } from "./axis-filter.js";
import { start as startMentions } from "./mentions.js";
import { start as startDashboard } from "./dashboard.js";

const api = Object.freeze({
  send: live.send,
  subscribe: live.subscribe,
  unsubscribe: live.unsubscribe,
  onMessage: live.onMessage,
  onStatus: live.onStatus,
  sendPresence: live.sendPresence,
  isOnline: live.isOnline,
  state: live.connectionState,
  lastEventID: live.lastEventID,
});

function boot() {
  window.pacteLive = api;
  startPageUpdates();
  startNotifications();
  startAxisFilters();
  startMentions();
  startDashboard();
  live.start();
}

// Module scripts run after parsing, but a page may still load this early
// (e.g. from <head> with async); wait for the body's data attributes.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
