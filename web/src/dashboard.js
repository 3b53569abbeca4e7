// dashboard.js — keeps the dashboard's figures current.
//
// The page (templates/pages/dashboard.html) renders its figures in
// [data-dashboard], with data-fragment, the address of the same figures
// alone. When an event says measures changed (the page listens to the
// "measures" topic), and every half minute while the tab is shown (comments
// are not on that topic), the region is fetched again and swapped in: at
// most once every few seconds, whatever the rate of events, and with a 304
// when nothing changed (the server tags each version). The filter form is
// outside the region and keeps what the reader typed; focus and open tables
// survive the swap. A region marked data-stale (older figures shown while
// newer ones are computed) asks again shortly.

import { onMessage } from "./live.js";

const MIN_GAP = 4000; // between two fetches, in ms
const STALE_RETRY = 2000;
const POLL = 30000;

let timer = 0;
let last = 0;
let busy = false;
let tag = "";

function region() {
  return document.querySelector("[data-dashboard]");
}

/** start wires the dashboard's updates; app.js calls it on every page. */
export function start() {
  if (!region()) return;
  onMessage("event", (msg) => {
    if (msg.topic === "measures") schedule(0);
  });
  setInterval(() => {
    if (document.visibilityState === "visible") schedule(0);
  }, POLL);
  if (region().hasAttribute("data-stale")) schedule(STALE_RETRY);
}

function schedule(delay) {
  if (timer) return;
  const wait = Math.max(delay, last + MIN_GAP - Date.now(), 0);
  timer = setTimeout(refresh, wait);
}

async function refresh() {
  timer = 0;
  const el = region();
  if (!el) return;
  if (busy) {
    schedule(MIN_GAP);
    return;
  }
  busy = true;
  last = Date.now();
  let stale = el.hasAttribute("data-stale");
  try {
    const headers = { Accept: "text/html" };
    if (tag) headers["If-None-Match"] = tag;
    const res = await fetch(el.dataset.fragment, { headers, credentials: "same-origin", cache: "no-store" });
    // 304: unchanged. Anything else but a fresh region (signed out, a
    // filter no longer valid): leave the page as it is.
    if (res.status === 200 && !res.redirected) {
      tag = res.headers.get("ETag") || "";
      const tpl = document.createElement("template");
      tpl.innerHTML = await res.text(); // the server's own rendering
      const fresh = tpl.content.querySelector("[data-dashboard]");
      if (fresh) {
        swap(el, fresh);
        stale = fresh.hasAttribute("data-stale");
      }
    }
  } catch {
    // Offline: the next event or poll tries again.
  } finally {
    busy = false;
  }
  if (stale) schedule(STALE_RETRY);
}

/** swap replaces the region, keeping open tables and the focused element. */
function swap(old, fresh) {
  for (const d of old.querySelectorAll("details[open][id]")) {
    fresh.querySelector(`details[id="${CSS.escape(d.id)}"]`)?.setAttribute("open", "");
  }
  const active = document.activeElement;
  let focus = null;
  if (active && old.contains(active)) {
    if (active.id) focus = `[id="${CSS.escape(active.id)}"]`;
    else if (active.getAttribute("href")) focus = `[href="${CSS.escape(active.getAttribute("href"))}"]`;
  }
  const scrollers = [...old.querySelectorAll(".table-scroll")].map((s) => [s.closest("[id]")?.id, s.scrollLeft]);
  old.replaceWith(fresh);
  for (const [id, left] of scrollers) {
    if (id) {
      const s = document.getElementById(id)?.querySelector(".table-scroll");
      if (s) s.scrollLeft = left;
    }
  }
  if (focus) fresh.querySelector(focus)?.focus({ preventScroll: true });
  document.dispatchEvent(new CustomEvent("pacte:updated", { detail: { regions: ["dashboard"] } }));
}
