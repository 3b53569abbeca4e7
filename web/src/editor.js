// editor.js — the co-editing page (/measures/:id/edit).
//
// Loading and the one-websocket rule: this entry imports ./app.js, so an
// edit page may load editor.js alone or both scripts, in any order:
//   <script type="module" src="/static/js/app.js"></script>
//   <script type="module" src="/static/js/editor.js"></script>
// build.mjs bundles with esbuild code splitting, so the code the two
// entries share (live.js, page-updates.js, util.js) lives in one chunk
// under static/js/chunks/ that both import by the same URL. A browser
// evaluates a module once per URL, so there is exactly one live.js, one
// websocket and one set of page handlers per tab, without a global
// hand-off (window.pacteLive exists, but only for debugging and tests) and
// without CodeMirror in app.js.
//
// What it does: replaces the <textarea name="body"> of the
// [data-editor] form with CodeMirror 6 (Markdown, line wrapping, history,
// search), keeps the textarea in sync so the form still posts, and runs
// the collab protocol through CollabSession on the tab's websocket. The
// other fields (title, summary, pillar, axis) are saved as the person
// types by FieldAutosave. It also shows other editors' cursors, one
// save-state indicator for every field, and a live preview, and asks
// before leaving with anything unsaved. Every visible text comes from
// data-label-* attributes.

import "./app.js";
import * as live from "./live.js";
import { CollabSession } from "./collab-session.js";
import { FieldAutosave } from "./field-autosave.js";
import { adoptEditorStyles } from "./csp-styles.js";
import { keepRemoteCursors, pruneStale, remoteCursors, removeRemoteCursor, setRemoteCursor } from "./remote-cursors.js";
import { csrfToken, debounce, label, throttle } from "./util.js";

import { Compartment, EditorState, Prec, Transaction } from "@codemirror/state";
import { EditorView, drawSelection, keymap } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { LanguageSupport, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { markdownKeymap, markdownLanguage, pasteURLAsLink } from "@codemirror/lang-markdown";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { collab, getSyncedVersion } from "@codemirror/collab";

const PREVIEW_DELAY = 400;

// Markdown (GFM) without markdown()'s HTML, CSS and JavaScript parsers for
// embedded HTML and fenced code: they would triple the bundle to colour
// text that the preview pane shows rendered anyway.
function markdownSupport() {
  return new LanguageSupport(markdownLanguage, [Prec.high(keymap.of(markdownKeymap)), pasteURLAsLink]);
}
const CURSOR_EVERY = 100;

function newClientID() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, "0")).join("");
}

/** mount turns one [data-editor] form into a live co-editor. */
function mount(form) {
  if (form.dataset.editorMounted) return null;
  const textarea = form.querySelector('textarea[name="body"]');
  const measure = Number(form.dataset.measure || document.body.dataset.measureId);
  if (!textarea || !Number.isFinite(measure)) return null;
  form.dataset.editorMounted = "";

  const clientID = newClientID();
  const topic = `measure:${measure}`;
  const rtl = document.documentElement.dir === "rtl";
  // With <meta name="csp-nonce"> (and that nonce in style-src) CodeMirror's
  // own <style> element is allowed; without it csp-styles.js steps in.
  const nonce = document.querySelector('meta[name="csp-nonce"]')?.content;
  const editable = new Compartment();
  const saveEls = () => document.querySelectorAll("[data-save-state]");
  let haveDoc = false;
  let errorReason = null;
  let session = null;
  let view = null;
  let lastEditable = false;
  const canEdit = () => haveDoc && !session?.blocked;
  const currentText = () => view.state.doc.toString();

  const message = form.querySelector("[data-editor-message]") || makeMessage(form, textarea);
  const host = document.createElement("div");
  host.className = "editor-cm";
  textarea.after(host);
  textarea.hidden = true;

  // --- preview -----------------------------------------------------------
  const preview = document.querySelector("[data-preview]");
  let previewAbort = null;
  const schedulePreview = preview ? debounce(renderPreview, PREVIEW_DELAY) : () => {};
  async function renderPreview() {
    previewAbort?.abort();
    previewAbort = new AbortController();
    preview.setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/api/v1/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRF-Token": csrfToken(),
        },
        body: JSON.stringify({ body: currentText() }),
        signal: previewAbort.signal,
      });
      if (!res.ok) throw new Error(`preview: ${res.status}`);
      const { html } = await res.json();
      preview.innerHTML = html ?? ""; // sanitised by the server
      preview.dataset.state = "ok";
    } catch (err) {
      if (err.name !== "AbortError") preview.dataset.state = "error";
    } finally {
      preview.removeAttribute("aria-busy");
    }
  }

  const labelText = textarea.labels?.[0]?.textContent.trim() || textarea.getAttribute("aria-label") || "";

  function extensions(version) {
    return [
      collab({ startVersion: version, clientID }),
      history(),
      drawSelection(),
      EditorView.lineWrapping,
      markdownSupport(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      highlightSelectionMatches(),
      keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap]),
      editable.of(editableExt((lastEditable = canEdit()))),
      remoteCursors(),
      EditorView.contentAttributes.of({
        "aria-label": labelText,
        "aria-multiline": "true",
        ...(rtl ? { dir: "auto" } : {}),
      }),
      rtl ? EditorView.perLineTextDirection.of(true) : [],
      nonce ? EditorView.cspNonce.of(nonce) : [],
      EditorView.updateListener.of(onUpdate),
    ];
  }

  function editableExt(on) {
    return on ? [] : [EditorState.readOnly.of(true), EditorView.editable.of(false)];
  }

  // Until the server sends the document the editor shows the textarea's
  // text, read-only: typing into a copy that may be outdated would create
  // edits that can't be rebased.
  view = new EditorView({
    parent: host,
    state: EditorState.create({ doc: textarea.value, extensions: extensions(0) }),
  });
  adoptEditorStyles();
  textarea.labels?.forEach((l) => l.addEventListener("click", () => view.focus()));

  session = new CollabSession({
    measure,
    send: (msg) => live.send(msg, { queue: false }),
    host: {
      state: () => (haveDoc ? view.state : null),
      apply: (tr) => view.dispatch(tr),
      reset(doc, version) {
        haveDoc = true;
        view.setState(EditorState.create({ doc, extensions: extensions(version) }));
        syncTextarea();
        schedulePreview();
      },
      changed: () => paint(),
      lost(text, reason) {
        showUnsent(form, text);
        errorReason = reason;
      },
      failed(reason) {
        errorReason = reason;
        console.warn("pacte editor:", reason);
      },
    },
  });

  const fields = new FieldAutosave({ form, measure, changed: () => paint() });

  // Which data-label-* of [data-save-state] each state shows, best first.
  const SAVE_LABELS = {
    offline: ["offline"],
    unsaved: ["unsaved", "saving"],
    joining: ["connecting", "saving"],
    saving: ["saving"],
    saved: ["saved"],
    readonly: ["readonly"],
  };
  // The status line covers every field: the least reassuring state wins.
  const WORST_FIRST = ["offline", "unsaved", "readonly", "joining", "saving", "saved"];

  function paint() {
    const body = session.saveState();
    const other = fields.state();
    const st = WORST_FIRST.find((x) => x === body || x === other) || body;
    for (const el of saveEls()) {
      el.dataset.state = st;
      const name = SAVE_LABELS[st].find((n) => el.hasAttribute(`data-label-${n}`));
      el.textContent = name ? el.getAttribute(`data-label-${name}`) : "";
    }
    const reason = session.blocked || errorReason;
    const text = reason ? reasonText(form, reason) : "";
    message.textContent = text;
    message.hidden = !text;
    // Once the server has closed editing (status change, lost rights),
    // saving the form could only fail: say so by disabling its buttons.
    const closed = session.blocked === "not_editable" || session.blocked === "forbidden";
    for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = closed;
    if (canEdit() !== lastEditable) {
      lastEditable = canEdit();
      // paint may run inside an update listener, where dispatching is not
      // allowed; reconfigure right after it.
      queueMicrotask(() => view.dispatch({ effects: editable.reconfigure(editableExt(lastEditable)) }));
    }
  }

  function syncTextarea() {
    textarea.value = view.state.doc.toString();
  }

  const sendCursor = throttle(() => {
    if (!haveDoc || !session.joined) return;
    const { anchor, head } = view.state.selection.main;
    live.send({ type: "collab.cursor", measure, clientID, anchor, head }, { queue: false });
  }, CURSOR_EVERY);

  function onUpdate(update) {
    if (update.docChanged) {
      syncTextarea();
      schedulePreview();
      if (update.transactions.some((tr) => !tr.annotation(Transaction.remote))) {
        errorReason = null; // the last failure's message goes once the person types on
        session.localChange();
      }
    }
    if (update.selectionSet && update.view.hasFocus) sendCursor();
  }

  // --- wiring to the tab's websocket ---------------------------------------
  for (const type of ["collab.doc", "collab.updates", "collab.ack", "collab.rejected"]) {
    live.onMessage(type, (msg) => session.handle(msg));
  }
  live.onMessage("collab.cursor", (msg) => {
    if (!haveDoc || Number(msg.measure) !== measure || msg.clientID === clientID) return;
    if (msg.left) {
      // The editor left (tab closed, editing stopped): their cursor goes now.
      view.dispatch({ effects: removeRemoteCursor.of(msg.clientID) });
      return;
    }
    view.dispatch({
      effects: setRemoteCursor.of({ clientID: msg.clientID, user: msg.user, anchor: msg.anchor, head: msg.head }),
    });
  });
  live.onMessage("event", (msg) => {
    if (msg.topic === topic && msg.event === "measure.updated") fields.remote(msg.data?.measure);
  });
  live.onMessage("presence", (msg) => {
    if (msg.topic !== topic || !haveDoc) return;
    const here = new Set((msg.users || []).map((u) => String(u.id)));
    view.dispatch({ effects: keepRemoteCursors.of((c) => here.has(String(c.user?.id))) });
  });
  setInterval(() => {
    const effect = haveDoc && pruneStale(view.state);
    if (effect) view.dispatch({ effects: effect });
  }, 5000);
  live.onStatus((state) => {
    if (state === "online") session.connectionOpened();
    else if (session.connected) session.connectionClosed();
    else paint();
  });

  // Leaving with anything unsaved asks first — except by the form's own
  // save, which posts every field.
  let submitting = false;
  window.addEventListener("beforeunload", (e) => {
    if (!submitting && (session.hasUnsent() || fields.hasUnsaved())) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  form.addEventListener("submit", (e) => {
    syncTextarea();
    if (!e.defaultPrevented) submitting = true;
  });
  window.addEventListener("pageshow", () => (submitting = false));
  if (preview && !preview.innerHTML.trim()) schedulePreview();

  return {
    view,
    session,
    clientID,
    text: () => view.state.doc.toString(),
    version: () => (haveDoc ? getSyncedVersion(view.state) : null),
    saveState: () => session.saveState(),
    fields,
  };
}

/**
 * reasonText is the translated sentence for a refusal or failure, from
 * data-label-<reason> on the form (not_editable → data-label-not-editable),
 * falling back to data-label-error.
 */
function reasonText(form, reason) {
  const attr = `data-label-${reason.replace(/_/g, "-")}`;
  return form.getAttribute(attr) ?? form.getAttribute("data-label-error") ?? reason;
}

function makeMessage(form, textarea) {
  const el = document.createElement("p");
  el.className = "editor-message";
  el.setAttribute("role", "alert");
  el.dataset.editorMessage = "";
  el.hidden = true;
  textarea.before(el);
  return el;
}

/** showUnsent puts text the server could not take where the person can copy it. */
function showUnsent(form, text) {
  let box = form.querySelector("[data-unsent]") || document.querySelector("[data-unsent]");
  if (!box) {
    box = document.createElement("div");
    box.className = "editor-unsent";
    box.dataset.unsent = "";
    const p = document.createElement("p");
    p.textContent = label(form, "unsent");
    box.append(p);
    form.querySelector(".editor-cm")?.after(box);
  }
  let area = box.querySelector("textarea");
  if (!area) {
    area = document.createElement("textarea");
    area.readOnly = true;
    area.rows = 8;
    box.append(area);
  }
  area.value = text;
  box.hidden = false;
}

function boot() {
  const editors = [...document.querySelectorAll("[data-editor]")].map(mount).filter(Boolean);
  // For browser tests and debugging: the first editor's handle.
  if (editors.length) window.pacteEditor = editors[0];
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
