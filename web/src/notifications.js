// notifications.js — the header's notification counter.
//
// The server renders the unread count into [data-notifications]; each
// notification.created event on the person's own topic (user:<id>, which
// every signed-in page subscribes to) carries the new unread_count, so the
// counter is simply repainted from it. The websocket replays what happened
// between rendering and connecting, so the count never goes stale.

import { onMessage } from "./live.js";

/** start wires the counter; app.js calls it once. */
export function start() {
  const me = document.body.dataset.userId;
  if (!me || !document.querySelector("[data-notifications]")) return;
  onMessage("event", (msg) => {
    if (msg.topic !== `user:${me}` || msg.event !== "notification.created") return;
    const n = Number(msg.data?.unread_count);
    if (Number.isFinite(n)) paint(n, true);
  });
}

function paint(n, announce) {
  for (const link of document.querySelectorAll("[data-notifications]")) {
    const badge = link.querySelector("[data-notification-count]");
    if (badge) {
      badge.textContent = String(n);
      badge.hidden = n === 0;
    }
    link.dataset.count = String(n);
    const label = link.dataset.labelTemplate;
    if (label) link.setAttribute("aria-label", label.replace("%d", String(n)));
  }
  const live = document.querySelector("[data-notification-announce]");
  if (announce && live?.dataset.labelNew) live.textContent = live.dataset.labelNew.replace("%d", String(n));
}
