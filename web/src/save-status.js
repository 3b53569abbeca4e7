// save-status.js — the edit page's one status line ([data-save-state]),
// which covers the co-edited text and every other field.

// Which data-label-* of [data-save-state] each state shows, best first.
const SAVE_LABELS = {
  offline: ["offline"],
  unsaved: ["unsaved", "saving"],
  joining: ["connecting", "saving"],
  saving: ["saving"],
  suggesting: ["suggesting", "saving"],
  saved: ["saved"],
  readonly: ["readonly"],
};

// The least reassuring state wins.
const WORST_FIRST = ["offline", "unsaved", "readonly", "joining", "saving", "suggesting", "saved"];

/** combinedState is the state the line shows for the text's and the fields'. */
export function combinedState(body, fields) {
  return WORST_FIRST.find((x) => x === body || x === fields) || body;
}

/** paintSaveState shows state on every status line of the page. */
export function paintSaveState(state) {
  for (const el of document.querySelectorAll("[data-save-state]")) {
    el.dataset.state = state;
    const name = SAVE_LABELS[state].find((n) => el.hasAttribute(`data-label-${n}`));
    el.textContent = name ? el.getAttribute(`data-label-${name}`) : "";
  }
}
