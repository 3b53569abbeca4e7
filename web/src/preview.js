// preview.js — the edit page's live preview: the text rendered by the
// server (POST /api/v1/preview, sanitised there) a moment after typing
// stops. A newer request cancels the one in flight.

import { csrfToken, debounce } from "./util.js";

const PREVIEW_DELAY = 400;

/**
 * livePreview returns the function that schedules a render of text() into
 * el (a no-op without el).
 */
export function livePreview(el, text) {
  if (!el) return () => {};
  let inFlight = null;
  async function render() {
    inFlight?.abort();
    inFlight = new AbortController();
    el.setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/api/v1/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRF-Token": csrfToken(),
        },
        body: JSON.stringify({ body: text() }),
        signal: inFlight.signal,
      });
      if (!res.ok) throw new Error(`preview: ${res.status}`);
      const { html } = await res.json();
      el.innerHTML = html ?? ""; // sanitised by the server
      el.dataset.state = "ok";
    } catch (err) {
      if (err.name !== "AbortError") el.dataset.state = "error";
    } finally {
      el.removeAttribute("aria-busy");
    }
  }
  return debounce(render, PREVIEW_DELAY);
}
