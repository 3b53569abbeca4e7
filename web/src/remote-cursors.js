// remote-cursors.js — other editors' carets and selections in CodeMirror.
//
// Cursors arrive as collab.cursor messages with positions in the sender's
// text; they are clamped to ours and then mapped through every change, so
// they stay put while people type. Colours are classes (pacte-colour-0…7,
// picked from the user id) rather than inline styles, which a strict CSP
// would refuse.

import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, WidgetType } from "@codemirror/view";
import { colourIndex } from "./util.js";

/** setRemoteCursor adds or moves one: {clientID, user: {id, name}, anchor, head}. */
export const setRemoteCursor = StateEffect.define();

/** keepRemoteCursors removes every cursor for which the predicate is false. */
export const keepRemoteCursors = StateEffect.define();

/** removeRemoteCursor removes one cursor by clientID (its editor left). */
export const removeRemoteCursor = StateEffect.define();

/** How long a silent cursor stays on screen. */
export const CURSOR_TTL = 30000;

class CaretWidget extends WidgetType {
  constructor(name, colour) {
    super();
    this.name = name;
    this.colour = colour;
  }

  eq(other) {
    return other.name === this.name && other.colour === this.colour;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = `cm-remote-caret pacte-colour-${this.colour}`;
    caret.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "cm-remote-name";
    name.textContent = this.name;
    caret.append(name);
    return caret;
  }

  ignoreEvent() {
    return true;
  }
}

const cursorField = StateField.define({
  create: () => new Map(),
  update(cursors, tr) {
    let next = cursors;
    if (tr.docChanged && cursors.size) {
      next = new Map();
      for (const [id, c] of cursors) {
        // Text typed at the edge of someone's selection stays outside it;
        // at their caret, it goes after it.
        const forward = c.head >= c.anchor;
        const empty = c.head === c.anchor;
        next.set(id, {
          ...c,
          anchor: tr.changes.mapPos(c.anchor, empty ? -1 : forward ? 1 : -1),
          head: tr.changes.mapPos(c.head, empty ? -1 : forward ? -1 : 1),
        });
      }
    }
    for (const e of tr.effects) {
      if (e.is(setRemoteCursor)) {
        const len = tr.newDoc.length;
        const clamp = (n) => Math.max(0, Math.min(len, Number(n) || 0));
        const v = e.value;
        if (next === cursors) next = new Map(cursors);
        next.set(v.clientID, {
          user: v.user || {},
          anchor: clamp(v.anchor),
          head: clamp(v.head ?? v.anchor),
          at: Date.now(),
        });
      } else if (e.is(removeRemoteCursor)) {
        if (next.has(e.value)) {
          if (next === cursors) next = new Map(cursors);
          next.delete(e.value);
        }
      } else if (e.is(keepRemoteCursors)) {
        for (const [id, c] of next) {
          if (!e.value(c)) {
            if (next === cursors) next = new Map(cursors);
            next.delete(id);
          }
        }
      }
    }
    return next;
  },
  provide: (field) =>
    EditorView.decorations.from(field, (cursors) => {
      const ranges = [];
      for (const c of cursors.values()) {
        const colour = colourIndex(c.user.id);
        const from = Math.min(c.anchor, c.head);
        const to = Math.max(c.anchor, c.head);
        if (from < to) {
          ranges.push(Decoration.mark({ class: `cm-remote-selection pacte-colour-${colour}` }).range(from, to));
        }
        ranges.push(
          Decoration.widget({ widget: new CaretWidget(c.user.name || "", colour), side: 1 }).range(c.head),
        );
      }
      return Decoration.set(ranges, true);
    }),
});

// One palette for carets, selections and (in the site stylesheet) the
// presence avatars, so a person has one colour everywhere.
export const PALETTE = ["#c62828", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#5d4037"];

const colourRules = {};
PALETTE.forEach((hex, i) => {
  colourRules[`.pacte-colour-${i}`] = { "--pacte-user-colour": hex, "--pacte-user-tint": hex + "33" };
});

const theme = EditorView.baseTheme({
  ...colourRules,
  ".cm-remote-selection": { backgroundColor: "var(--pacte-user-tint)" },
  ".cm-remote-caret": {
    position: "relative",
    borderLeft: "2px solid var(--pacte-user-colour)",
    marginLeft: "-1px",
    marginRight: "-1px",
    pointerEvents: "none",
  },
  ".cm-remote-name": {
    position: "absolute",
    bottom: "100%",
    insetInlineStart: "-2px",
    padding: "0 4px",
    borderRadius: "3px",
    fontSize: "0.7rem",
    lineHeight: "1.3",
    whiteSpace: "nowrap",
    color: "#fff",
    backgroundColor: "var(--pacte-user-colour)",
    opacity: "0.9",
    zIndex: "10",
  },
});

/** remoteCursors is the extension; add it to the editor's state. */
export function remoteCursors() {
  return [cursorField, theme];
}

/**
 * pruneStale returns an effect that drops cursors silent for CURSOR_TTL,
 * or null when there is none (so callers dispatch nothing).
 */
export function pruneStale(state, now = Date.now()) {
  const cursors = state.field(cursorField, false);
  if (!cursors) return null;
  for (const c of cursors.values()) {
    if (now - c.at > CURSOR_TTL) return keepRemoteCursors.of((k) => now - k.at <= CURSOR_TTL);
  }
  return null;
}
