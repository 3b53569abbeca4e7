// suggestions.js — tracked changes in the co-editor (docs/API.md
// "Suggestions").
//
// Two things live here:
//
// 1. The stored suggestions, drawn in the text: the words a suggestion
//    replaces struck through, the text it proposes underlined after them,
//    in its author's colour (classes pacte-colour-N, as remote cursors).
//    They come from GET /api/v1/measures/:id/suggestions, whose positions
//    are UTF-16 units of the text at the answer's `version`; they are shown
//    only once the editor is at that version, then mapped through every
//    change like cursors. Events (suggestion.*) and accepted co-edits make
//    the editor fetch the list again.
//
// 2. The pending suggestion: in suggestion mode, what the person types
//    changes their own view only (CollabSession holds it back instead of
//    pushing it) and is underlined as "being suggested". After a pause, on
//    leaving the editor or on switching mode, each contiguous change
//    against the shared text becomes one suggestion (POST), and the view
//    goes back to the shared text, where the suggestion now shows.

import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, WidgetType } from "@codemirror/view";
import { getSyncedVersion, sendableUpdates } from "@codemirror/collab";
import { colourIndex, csrfToken } from "./util.js";

/** setSuggestions replaces the shown suggestions: [{id, from, to, insert, author, …}]. */
export const setSuggestions = StateEffect.define();

class InsertWidget extends WidgetType {
  constructor(text, colour, title, pending) {
    super();
    this.text = text;
    this.colour = colour;
    this.title = title;
    this.pending = pending;
  }

  eq(o) {
    return o.text === this.text && o.colour === this.colour && o.title === this.title && o.pending === this.pending;
  }

  toDOM() {
    const el = document.createElement("ins");
    el.className = `cm-sg-ins pacte-colour-${this.colour}${this.pending ? " cm-sg-pending-del" : ""}`;
    el.textContent = this.text;
    el.title = this.title;
    el.dir = "auto";
    return el;
  }

  ignoreEvent() {
    return false;
  }
}

/** mapSuggestion moves one suggestion through a change, as the server does. */
export function mapSuggestion(s, changes) {
  if (s.from === s.to) {
    const p = changes.mapPos(s.from, -1);
    return { ...s, from: p, to: p };
  }
  const from = changes.mapPos(s.from, 1);
  const to = Math.max(from, changes.mapPos(s.to, -1));
  return { ...s, from, to };
}

/** suggestionsField holds the open suggestions shown in the text. */
export const suggestionsField = StateField.define({
  create: () => [],
  update(list, tr) {
    let next = list;
    if (tr.docChanged && list.length) next = list.map((s) => mapSuggestion(s, tr.changes));
    for (const e of tr.effects) if (e.is(setSuggestions)) next = e.value;
    return next;
  },
  provide: (f) =>
    EditorView.decorations.from(f, (list) => {
      const ranges = [];
      for (const s of list) {
        if (s.status !== "open") continue;
        const colour = colourIndex(s.author?.id);
        const title = s.title || s.author?.name || "";
        if (s.to > s.from) {
          ranges.push(
            Decoration.mark({
              class: `cm-sg-del pacte-colour-${colour}`,
              attributes: { title, "data-suggestion": String(s.id) },
            }).range(s.from, s.to),
          );
        }
        if (s.insert) {
          ranges.push(
            Decoration.widget({ widget: new InsertWidget(s.insert, colour, title, false), side: 1 }).range(s.to),
          );
        }
      }
      return Decoration.set(ranges, true);
    }),
});

/**
 * pendingField underlines what the person has typed in suggestion mode and
 * not yet sent (the unconfirmed local changes the session holds back).
 */
export const pendingField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    // Only a change of the text (typed, or the server's) moves what is
    // pending; a moving caret does not.
    if (!tr.docChanged) return deco;
    const updates = sendableUpdates(tr.state);
    if (!updates.length) return Decoration.none;
    const ranges = [];
    composed(updates).iterChanges((_fa, _ta, fromB, toB) => {
      if (toB > fromB) ranges.push(Decoration.mark({ class: "cm-sg-pending" }).range(fromB, toB));
    });
    return Decoration.set(ranges, true);
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** composed is the unconfirmed updates as one change against the shared text. */
export function composed(updates) {
  let cs = updates[0].changes;
  for (let i = 1; i < updates.length; i++) cs = cs.compose(updates[i].changes);
  return cs;
}

/**
 * pendingChanges lists the person's unsent changes as suggestions of the
 * shared text at the synced version: [{from, to, insert}] in UTF-16 units
 * (JavaScript string indices, as the API wants), plus that version.
 */
export function pendingChanges(state) {
  const updates = sendableUpdates(state);
  const version = getSyncedVersion(state);
  if (!updates.length) return { version, changes: [], set: null };
  const set = composed(updates);
  const changes = [];
  set.iterChanges((fromA, toA, _fb, _tb, inserted) => {
    changes.push({ from: fromA, to: toA, insert: inserted.toString() });
  });
  return { version, changes, set };
}

/** api calls the suggestions API; it resolves to {ok, status, body}. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  if (body) headers["Content-Type"] = "application/json";
  try {
    const res = await fetch(path, { method, headers, credentials: "same-origin", body: body ? JSON.stringify(body) : undefined });
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    return { ok: res.ok, status: res.status, body: data };
  } catch {
    return { ok: false, status: 0, body: null };
  }
}

/**
 * renderPanel draws the suggestion cards beside the editor: author, time,
 * the change, and Accept / Reject for those who may. Every text comes from
 * the panel's data-label-* attributes. on.select(s) shows a suggestion in
 * the text; on.decide(s, "accept" | "reject") decides it.
 */
export function renderPanel(panel, items, on) {
  if (!panel) return;
  const list = panel.querySelector("[data-suggestion-cards]") || panel;
  const me = document.body.dataset.userId;
  const lang = document.documentElement.lang || undefined;
  const when = new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" });
  const cards = items.map((s) => {
    const li = document.createElement("li");
    li.className = `suggestion-card pacte-colour-${colourIndex(s.author?.id)}`;
    li.dataset.suggestionId = String(s.id);
    const head = document.createElement("p");
    head.className = "suggestion-card-meta";
    const who = document.createElement("strong");
    who.textContent = s.author?.name || "";
    const at = document.createElement("time");
    at.dateTime = s.created_at;
    at.textContent = when.format(new Date(s.created_at));
    head.append(who, " ", at);
    const diff = document.createElement("button");
    diff.type = "button";
    diff.className = "suggestion-card-diff link";
    diff.dir = "auto";
    diff.title = panel.dataset.labelShow || "";
    if (s.quote) {
      const del = document.createElement("del");
      del.textContent = s.quote;
      del.setAttribute("aria-label", `${panel.dataset.labelDeleted || ""} ${s.quote}`);
      diff.append(del);
    }
    if (s.insert) {
      const ins = document.createElement("ins");
      ins.textContent = s.insert;
      ins.setAttribute("aria-label", `${panel.dataset.labelInserted || ""} ${s.insert}`);
      diff.append(ins);
    }
    diff.addEventListener("click", () => on.select(s));
    li.append(head, diff);
    const can = s.can || {};
    const actions = document.createElement("div");
    actions.className = "suggestion-actions";
    if (can.accept) actions.append(button(panel.dataset.labelAccept, "small", () => on.decide(s, "accept")));
    if (can.reject) {
      const own = String(s.author?.id) === me;
      actions.append(button(own ? panel.dataset.labelWithdraw : panel.dataset.labelReject, "small secondary", () => on.decide(s, "reject")));
    }
    // Reply: the measure's comment form, quoting the words it changes.
    const reply = document.createElement("a");
    reply.className = "button small secondary";
    reply.textContent = panel.dataset.labelReply || "";
    reply.href = `/measures/${s.measure_id}${s.quote ? `?quote=${encodeURIComponent(s.quote)}` : ""}#comment-form`;
    actions.append(reply);
    li.append(actions);
    return li;
  });
  list.replaceChildren(...cards);
  // Accept or reject them all, for an editor with more than one to decide.
  const bulk = panel.querySelector("[data-suggestion-bulk]");
  if (bulk) {
    const decidable = items.filter((s) => s.can?.accept);
    bulk.hidden = decidable.length < 2;
    bulk.replaceChildren(
      ...(decidable.length < 2
        ? []
        : [
            button(panel.dataset.labelAcceptAll, "small", () => on.decideAll("accept")),
            button(panel.dataset.labelRejectAll, "small secondary", () => on.decideAll("reject")),
          ]),
    );
  }
  const empty = panel.querySelector("[data-suggestion-empty]");
  if (empty) empty.hidden = cards.length > 0;
  const count = panel.querySelector("[data-suggestion-count]");
  if (count) count.textContent = cards.length ? String(cards.length) : "";
}

function button(text, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text || "";
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await onClick();
    } finally {
      b.disabled = false;
    }
  });
  return b;
}
