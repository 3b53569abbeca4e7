// Small helpers shared by the page modules. Nothing here touches the network.

/** debounce returns fn delayed until `ms` have passed without a new call. */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * throttle calls fn at most once per `ms`, always with the latest arguments,
 * and always ends with a trailing call so the last value is never lost.
 */
export function throttle(fn, ms) {
  let last = 0;
  let timer = 0;
  let pending = null;
  const run = () => {
    timer = 0;
    last = Date.now();
    const args = pending;
    pending = null;
    fn(...args);
  };
  return (...args) => {
    pending = args;
    if (timer) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
}

/**
 * label reads a translated text from a data-label-<name> attribute. The
 * server renders every human-readable string; the script never invents one,
 * so a missing attribute falls back to the machine name, which is ugly on
 * purpose and easy to spot.
 */
export function label(el, name) {
  if (!el) return name;
  const key = "label" + name.replace(/(^|-)([a-z])/g, (_, _d, c) => c.toUpperCase());
  return el.dataset[key] ?? name;
}

/** initials of a display name, at most two letters, for avatars. */
export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((w) => Array.from(w)[0] || "").join("").toUpperCase() || "?";
}

/** The number of colour classes (pacte-colour-0 … 7) that user colours cycle through. */
export const COLOURS = 8;

/**
 * colourIndex derives a stable colour slot from a user id, so a person has
 * the same colour in the presence list and on their remote caret.
 */
export function colourIndex(userID) {
  const n = Number(userID);
  if (Number.isFinite(n)) return Math.abs(Math.trunc(n)) % COLOURS;
  let h = 0;
  for (const ch of String(userID)) h = (h * 31 + ch.codePointAt(0)) | 0;
  return Math.abs(h) % COLOURS;
}

/** csrfToken reads the token the server put in <meta name="csrf-token">. */
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}
