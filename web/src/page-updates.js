// page-updates.js — keeps server-rendered pages current from live events.
//
// Templates opt in with data attributes; nothing here knows a page's
// layout. Three techniques, from most to least surgical:
//
// 1. A new comment is fetched from /comments/<id>/item, the server's
//    rendering of it for this reader (the template the page itself uses,
//    with this reader's actions), and inserted where it belongs (cheap, and
//    keeps what the reader is typing in a reply box).
// 2. Everything else re-fetches the page (Accept: text/html) and swaps
//    the named [data-live-region] elements for their fresh versions. The
//    server stays the only place that knows how a measure is rendered and
//    who may see which button; coalesced, so a burst costs one request.
// 3. Presence avatars are drawn from the message itself. (The
//    notification counter is notifications.js.)

import { onMessage } from "./live.js";
import { start as startCommentQuote } from "./comment-quote.js";
import { colourIndex, debounce, initials, label } from "./util.js";

/**
 * Which [data-live-region] names each event refreshes on a measure page.
 * A region may add events of its own with data-refresh-on="a.b c.d".
 */
export const REGIONS_FOR_EVENT = {
  "measure.updated": ["header", "meta", "body", "history"],
  "measure.revision_saved": ["header", "meta", "body", "history"],
  "measure.status_changed": ["header", "status", "meta", "actions", "reviews", "history"],
  "review.created": ["reviews", "status", "actions", "history"],
  "editor.added": ["editors", "actions"],
  "editor.removed": ["editors", "actions"],
  "cosponsor.added": ["cosponsors", "meta", "actions"],
  "cosponsor.removed": ["cosponsors", "meta", "actions"],
  "comment.updated": ["comments"],
  "comment.hidden": ["comments"],
  "comment.restored": ["comments"],
  "comment.deleted": ["comments"],
};

const REFRESH_DELAY = 300;

/** start wires the handlers; app.js calls it once. */
export function start() {
  onMessage("event", onEvent);
  onMessage("presence", renderPresence);
  startCommentQuote();
}

function body() {
  return document.body;
}

function measureTopic() {
  const id = body().dataset.measureId;
  return id ? `measure:${id}` : null;
}

function onEvent(msg) {
  const name = String(msg.event || "");
  if (body().dataset.page === "measures" && msg.topic === "measures" && name.startsWith("measure.")) {
    queueRefresh(["measure-list"]);
    return;
  }
  if (msg.topic !== measureTopic()) return;
  if (name === "comment.created") {
    placeComment(msg.data?.comment).then((placed) => {
      if (!placed) queueRefresh(["comments", "body"]);
    });
    return;
  }

  const names = new Set(REGIONS_FOR_EVENT[name] || []);
  for (const el of document.querySelectorAll("[data-live-region][data-refresh-on]")) {
    if (el.dataset.refreshOn.split(/\s+/).includes(name)) names.add(el.dataset.liveRegion);
  }
  if (names.size) queueRefresh([...names]);
}

// --- 1. a new comment, rendered by the server for this reader --------------

/**
 * placeComment fetches the comment as the measure page renders it for this
 * reader and inserts it in its list, in id order. It resolves to false
 * when the page should refresh its comments region instead: a quote (it
 * goes in the margin and marks the body), or a list not on the page.
 */
async function placeComment(c) {
  if (!c || c.id == null) return true;
  const id = String(c.id);
  const placed = () => document.querySelector(`[data-comment-id="${CSS.escape(id)}"]`);
  if (placed()) return true;
  if (!document.querySelector('[data-live-region="comments"]')) return true;
  if (c.anchor) return false;
  const list =
    c.parent_id != null
      ? document.querySelector(`[data-replies-for="${CSS.escape(String(c.parent_id))}"]`)
      : document.querySelector("[data-comments]");
  if (!list) return false;
  let html;
  try {
    const res = await fetch(`/comments/${encodeURIComponent(id)}/item`, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
      cache: "no-store",
    });
    // 404: gone already, or not for this reader; a redirect: signed out.
    if (res.status === 404) return true;
    if (!res.ok || res.redirected) return false;
    html = await res.text();
  } catch {
    return false;
  }
  if (placed()) return true; // a region refresh brought it meanwhile
  const tpl = document.createElement("template");
  tpl.innerHTML = html; // the server's own rendering (sanitised bodies)
  const item = tpl.content.querySelector("[data-comment-id]");
  if (!item) return false;
  const after = [...list.children].find((el) => Number(el.dataset.commentId) > Number(id));
  list.insertBefore(item, after || null);

  for (const el of document.querySelectorAll("[data-comments-empty]")) el.hidden = true;
  for (const el of document.querySelectorAll("[data-comment-count]")) {
    const n = Number(el.textContent.trim());
    if (Number.isInteger(n)) el.textContent = String(n + 1);
  }
  document.dispatchEvent(new CustomEvent("pacte:updated", { detail: { comment: c.id } }));
  return true;
}

// --- 2. refetch and replace regions --------------------------------------

const pendingRegions = new Set();
let refreshing = false;
let refreshAgain = false;

const refreshSoon = debounce(runRefresh, REFRESH_DELAY);

function queueRefresh(names) {
  for (const n of names) pendingRegions.add(n);
  refreshSoon();
}

async function runRefresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  const names = [...pendingRegions].filter((n) =>
    document.querySelector(`[data-live-region="${CSS.escape(n)}"]`),
  );
  pendingRegions.clear();
  if (!names.length) return;
  refreshing = true;
  try {
    const res = await fetch(location.href, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
      cache: "no-store",
    });
    // A 404 or a redirect to the sign-in page: the reader lost access or
    // the session ended; leave the page alone rather than blank it.
    if (!res.ok || res.redirected) return;
    const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
    for (const n of names) replaceRegion(n, fresh);
    document.dispatchEvent(new CustomEvent("pacte:updated", { detail: { regions: names } }));
  } catch {
    // Offline: the reconnect replays the events and this runs again.
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      refreshSoon();
    }
  }
}

function replaceRegion(name, fresh) {
  const sel = `[data-live-region="${CSS.escape(name)}"]`;
  const olds = [...document.querySelectorAll(sel)];
  const news = [...fresh.querySelectorAll(sel)];
  olds.forEach((old, i) => {
    const next = news[i];
    if (!next) {
      // The server no longer renders it (e.g. the actions someone lost the
      // right to take): empty it but keep the slot for later updates.
      old.replaceChildren();
      return;
    }
    const imported = document.importNode(next, true);
    keepUserState(old, imported);
    old.replaceWith(imported);
  });
}

/**
 * keepUserState carries what the reader was doing in the old region over
 * to the new one: unsent text in form fields, open <details>, and focus.
 * Fields are matched by their form's action and their name.
 */
function keepUserState(from, to) {
  const key = (el) => `${el.form?.getAttribute("action") || ""}|${el.name}`;
  const fresh = new Map();
  for (const el of to.querySelectorAll("textarea[name], input[name]")) fresh.set(key(el), el);
  const active = document.activeElement;
  for (const el of from.querySelectorAll("textarea[name], input[name]")) {
    const target = fresh.get(key(el));
    if (!target || el.type === "hidden" || el.type === "file") continue;
    if (el.type === "checkbox" || el.type === "radio") {
      if (el.checked !== el.defaultChecked) target.checked = el.checked;
    } else if (el.value !== el.defaultValue) {
      target.value = el.value;
    }
    if (el === active) queueMicrotask(() => target.focus());
  }
  for (const d of from.querySelectorAll("details[id][open]")) {
    to.querySelector(`details[id="${CSS.escape(d.id)}"]`)?.setAttribute("open", "");
  }
}

// --- 3. presence ---------------------------------------

/**
 * renderPresence draws [data-presence] (optionally with
 * data-presence-topic; default measure:<data-measure-id>) as a list of
 * initials in coloured circles. Labels: data-label-editing,
 * data-label-viewing on the [data-presence] element.
 */
function renderPresence(msg) {
  const me = body().dataset.userId;
  for (const box of document.querySelectorAll("[data-presence]")) {
    const topic = box.dataset.presenceTopic || measureTopic();
    if (msg.topic !== topic) continue;
    const list = document.createElement("ul");
    list.className = "presence-list";
    const seen = new Set();
    for (const u of msg.users || []) {
      // One person in two tabs is one avatar; editing wins over viewing.
      if (seen.has(u.id)) {
        if (u.state === "editing") list.querySelector(`[data-user-id="${CSS.escape(String(u.id))}"]`)?.setAttribute("data-state", "editing");
        continue;
      }
      seen.add(u.id);
      const li = document.createElement("li");
      li.className = `presence-avatar pacte-colour-${colourIndex(u.id)}`;
      li.dataset.userId = String(u.id);
      li.dataset.state = u.state || "viewing";
      if (me && String(u.id) === me) li.dataset.self = "";
      const stateText = label(box, u.state === "editing" ? "editing" : "viewing");
      const org = orgLabel(u.organization_id);
      li.title = `${u.name}${org ? ` (${org})` : ""} — ${stateText}`;
      li.setAttribute("aria-label", li.title);
      const circle = document.createElement("span");
      circle.className = "presence-initials";
      circle.setAttribute("aria-hidden", "true");
      circle.textContent = initials(u.name);
      const marker = document.createElement("span");
      marker.className = "presence-marker";
      marker.setAttribute("aria-hidden", "true");
      li.append(circle, marker);
      list.append(li);
    }
    box.dataset.count = String(seen.size);
    box.replaceChildren(list);
  }
}

/**
 * orgLabel is the short name of an organisation (APEBI, Ministère), as the
 * server put it on <div data-org-labels data-org-ID="…">: names are not
 * unique, so a person is always shown with their organisation.
 */
function orgLabel(id) {
  if (id == null) return "";
  return document.querySelector("[data-org-labels]")?.getAttribute(`data-org-${id}`) || "";
}
