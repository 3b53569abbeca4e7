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
import { livePreview } from "./preview.js";
import { combinedState, paintSaveState } from "./save-status.js";
import { debounce, label, throttle } from "./util.js";
import { mentionCompletions } from "./mentions.js";
import {
  api,
  mapSuggestion,
  pendingChanges,
  pendingField,
  renderPanel,
  setSuggestions,
  suggestionsField,
} from "./suggestions.js";

import { Compartment, EditorState, Prec, Transaction } from "@codemirror/state";
import { EditorView, drawSelection, keymap } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { LanguageSupport, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { markdownKeymap, markdownLanguage, pasteURLAsLink } from "@codemirror/lang-markdown";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { collab, getSyncedVersion } from "@codemirror/collab";
import { autocompletion, completionKeymap } from "@codemirror/autocomplete";

// Markdown (GFM) without markdown()'s HTML, CSS and JavaScript parsers for
// embedded HTML and fenced code: they would triple the bundle to colour
// text that the preview pane shows rendered anyway.
function markdownSupport() {
  return new LanguageSupport(markdownLanguage, [Prec.high(keymap.of(markdownKeymap)), pasteURLAsLink]);
}
const CURSOR_EVERY = 100;
// In suggestion mode, what was typed becomes suggestions after this pause.
const SUGGEST_IDLE = 1500;

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
  const editor = new CoEditor(form, textarea, measure);
  editor.listen();
  editor.guardLeaving();
  return editor.handle();
}

/**
 * CoEditor is one edit form run live: CodeMirror in place of the body's
 * textarea (kept in sync, so the form still posts), the collab protocol
 * through a CollabSession, the other fields through FieldAutosave, and the
 * status line, preview and other editors' cursors.
 */
class CoEditor {
  constructor(form, textarea, measure) {
    this.form = form;
    this.textarea = textarea;
    this.measure = measure;
    this.topic = `measure:${measure}`;
    this.clientID = newClientID();
    this.rtl = document.documentElement.dir === "rtl";
    // With <meta name="csp-nonce"> (and that nonce in style-src)
    // CodeMirror's own <style> element is allowed; without it csp-styles.js
    // steps in.
    this.nonce = document.querySelector('meta[name="csp-nonce"]')?.content;
    this.editable = new Compartment();
    this.modeExt = new Compartment();
    this.suggestOnly = form.hasAttribute("data-suggest-only");
    this.mode = this.suggestOnly ? "suggest" : "edit";
    this.base = null; // the shared text while suggesting (a Text)
    this.haveDoc = false; // the server's document has arrived
    this.errorReason = null; // the last failure, shown until the person types on
    this.lastEditable = false;
    this.label = textarea.labels?.[0]?.textContent.trim() || textarea.getAttribute("aria-label") || "";
    this.message = form.querySelector("[data-editor-message]") || makeMessage(form, textarea);
    this.preview = document.querySelector("[data-preview]");
    this.schedulePreview = livePreview(this.preview, () => this.text());
    this.sendCursor = throttle(() => this.cursorMoved(), CURSOR_EVERY);

    const host = document.createElement("div");
    host.className = "editor-cm";
    textarea.after(host);
    textarea.hidden = true;
    // Until the server sends the document the editor shows the textarea's
    // text, read-only: typing into a copy that may be outdated would
    // create edits that can't be rebased.
    this.view = new EditorView({
      parent: host,
      state: EditorState.create({ doc: textarea.value, extensions: this.extensions(0) }),
    });
    adoptEditorStyles();
    textarea.labels?.forEach((l) => l.addEventListener("click", () => this.view.focus()));
    this.session = new CollabSession({
      measure,
      send: (msg) => live.send(msg, { queue: false }),
      host: this.sessionHost(),
    });
    this.fields = new FieldAutosave({ form, measure, changed: () => this.paint() });
    // Suggestions (suggestions.js): people who may only suggest open the
    // editor in suggestion mode; editors switch with [data-editor-mode].
    this.panel = document.querySelector("[data-suggestion-panel]");
    this.served = null; // the last list from the server: {version, items}
    this.committing = false;
    this.commitSoon = debounce(() => this.commitPending(), SUGGEST_IDLE);
    this.refetchSoon = debounce(() => this.refetch(), 250);
    if (this.mode === "suggest") {
      this.session.holding = true;
      form.dataset.mode = "suggest";
    }
  }

  text() {
    return this.view.state.doc.toString();
  }

  canEdit() {
    if (!this.haveDoc) return false;
    if (this.mode === "suggest") {
      // Suggesting is not editing: a reviewer (forbidden) or a measure in
      // review (not_editable) still takes suggestions.
      const b = this.session?.blocked;
      return !this.committing && (!b || b === "forbidden" || b === "not_editable");
    }
    return !this.session?.blocked;
  }

  extensions(version) {
    return [
      collab({ startVersion: version, clientID: this.clientID }),
      history(),
      drawSelection(),
      EditorView.lineWrapping,
      markdownSupport(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      highlightSelectionMatches(),
      // @ lists the people who can see the measure (mentions.js).
      autocompletion({ override: [mentionCompletions(this.measure)], icons: false, activateOnTypingDelay: 120 }),
      keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
      this.editable.of(editableExt((this.lastEditable = this.canEdit()))),
      remoteCursors(),
      suggestionsField,
      this.modeExt.of(this.mode === "suggest" ? pendingField : []),
      EditorView.contentAttributes.of({
        "aria-label": this.label,
        "aria-multiline": "true",
        ...(this.rtl ? { dir: "auto" } : {}),
      }),
      this.rtl ? EditorView.perLineTextDirection.of(true) : [],
      this.nonce ? EditorView.cspNonce.of(this.nonce) : [],
      EditorView.updateListener.of((update) => this.onUpdate(update)),
    ];
  }

  /** sessionHost is what the CollabSession drives: this editor's view. */
  sessionHost() {
    return {
      state: () => (this.haveDoc ? this.view.state : null),
      apply: (tr, updates) => {
        // While suggesting, the shared text follows the server's updates
        // (the view holds the person's proposal on top of it).
        if (this.base && updates) for (const u of updates) this.base = u.changes.apply(this.base);
        this.view.dispatch(tr);
        if (this.served) this.showServed();
      },
      reset: (doc, version) => {
        this.haveDoc = true;
        this.view.setState(EditorState.create({ doc, extensions: this.extensions(version) }));
        if (this.mode === "suggest") this.base = this.view.state.doc;
        this.syncTextarea();
        this.schedulePreview();
        this.refetch();
      },
      changed: () => this.paint(),
      lost: (text, reason) => {
        showUnsent(this.form, text);
        this.errorReason = reason;
      },
      failed: (reason) => {
        this.errorReason = reason;
        console.warn("pacte editor:", reason);
      },
    };
  }

  /** paint shows the save state, the message, and whether editing is on. */
  paint() {
    const { session, form } = this;
    paintSaveState(combinedState(session.saveState(), this.fields.state()));
    let reason = session.blocked || this.errorReason;
    if (this.mode === "suggest" && (reason === "forbidden" || reason === "not_editable")) reason = this.errorReason;
    const text = reason ? reasonText(form, reason) : "";
    this.message.textContent = text;
    this.message.hidden = !text;
    // Once the server has closed editing (status change, lost rights),
    // saving the form could only fail: say so by disabling its buttons.
    const closed = this.mode === "edit" && (session.blocked === "not_editable" || session.blocked === "forbidden");
    for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = closed;
    if (this.canEdit() !== this.lastEditable) {
      this.lastEditable = this.canEdit();
      // paint may run inside an update listener, where dispatching is not
      // allowed; reconfigure right after it.
      queueMicrotask(() => this.view.dispatch({ effects: this.editable.reconfigure(editableExt(this.lastEditable)) }));
    }
  }

  syncTextarea() {
    this.textarea.value = this.text();
  }

  cursorMoved() {
    if (!this.haveDoc || !this.session.joined) return;
    const { anchor, head } = this.view.state.selection.main;
    live.send({ type: "collab.cursor", measure: this.measure, clientID: this.clientID, anchor, head }, { queue: false });
  }

  onUpdate(update) {
    if (update.docChanged) {
      this.syncTextarea();
      this.schedulePreview();
      if (update.transactions.some((tr) => !tr.annotation(Transaction.remote))) {
        this.errorReason = null; // the last failure's message goes once the person types on
        this.session.localChange();
        if (this.mode === "suggest") this.commitSoon();
      }
    }
    if (update.selectionSet && update.view.hasFocus) this.sendCursor();
  }

  /** listen wires the editor to the tab's websocket. */
  listen() {
    const { session, view, measure, topic } = this;
    for (const type of ["collab.doc", "collab.updates", "collab.ack", "collab.rejected"]) {
      live.onMessage(type, (msg) => session.handle(msg));
    }
    live.onMessage("collab.cursor", (msg) => {
      if (!this.haveDoc || Number(msg.measure) !== measure || msg.clientID === this.clientID) return;
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
      if (msg.topic !== topic) return;
      if (msg.event === "measure.updated") this.fields.remote(msg.data?.measure);
      if (String(msg.event).startsWith("suggestion.") || msg.event === "measure.status_changed") this.refetchSoon();
    });
    for (const input of document.querySelectorAll("[data-editor-mode] input[type=radio]")) {
      input.addEventListener("change", () => input.checked && this.setMode(input.value));
    }
    // Leaving the text sends what was suggested at once.
    view.contentDOM.addEventListener("blur", () => this.mode === "suggest" && this.commitPending());
    live.onMessage("presence", (msg) => {
      if (msg.topic !== topic || !this.haveDoc) return;
      const here = new Set((msg.users || []).map((u) => String(u.id)));
      view.dispatch({ effects: keepRemoteCursors.of((c) => here.has(String(c.user?.id))) });
    });
    setInterval(() => {
      const effect = this.haveDoc && pruneStale(view.state);
      if (effect) view.dispatch({ effects: effect });
    }, 5000);
    live.onStatus((state) => {
      if (state === "online") session.connectionOpened();
      else if (session.connected) session.connectionClosed();
      else this.paint();
    });
  }

  /**
   * guardLeaving asks before leaving with anything unsaved, except by the
   * form's own save, which posts every field.
   */
  guardLeaving() {
    let submitting = false;
    window.addEventListener("beforeunload", (e) => {
      if (!submitting && (this.session.hasUnsent() || this.fields.hasUnsaved())) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
    this.form.addEventListener("submit", (e) => {
      this.syncTextarea();
      if (!e.defaultPrevented) submitting = true;
    });
    window.addEventListener("pageshow", () => (submitting = false));
    if (this.preview && !this.preview.innerHTML.trim()) this.schedulePreview();
  }

  // --- suggestions ---------------------------------------------------------

  /** setMode switches between editing and suggesting (editors only). */
  async setMode(mode) {
    if (mode === this.mode || (this.suggestOnly && mode !== "suggest")) return;
    if (mode === "suggest") {
      // Suggestions are made on the shared text: first let what was
      // typed as edits reach the server.
      await this.untilSaved();
      this.base = this.view.state.doc;
      this.session.hold(true);
    } else {
      await this.commitPending();
      this.base = null;
      this.session.hold(false);
    }
    this.mode = mode;
    this.form.dataset.mode = mode;
    this.view.dispatch({ effects: this.modeExt.reconfigure(mode === "suggest" ? pendingField : []) });
    this.paint();
  }

  untilSaved() {
    return new Promise((resolve) => {
      const started = Date.now();
      const check = () => {
        if ((!this.session.hasUnsent() && !this.session.inFlight) || Date.now() - started > 10000) resolve();
        else setTimeout(check, 100);
      };
      check();
    });
  }

  /**
   * commitPending turns what was typed in suggestion mode into suggestions:
   * one per contiguous change against the shared text. The view goes back
   * to the shared text at once, where the stored suggestions then show; a
   * refused one is said, and its text kept for the person to copy.
   */
  async commitPending() {
    if (this.mode !== "suggest" || this.committing || !this.haveDoc || !this.base) return;
    const state = this.view.state;
    const { version, changes, set } = pendingChanges(state);
    if (!changes.length) return;
    this.committing = true;
    const head = Math.min(set.invertedDesc.mapPos(state.selection.main.head), this.base.length);
    const hadFocus = this.view.hasFocus;
    this.view.setState(EditorState.create({ doc: this.base, extensions: this.extensions(version), selection: { anchor: head } }));
    this.syncTextarea();
    this.paint();
    const failed = [];
    for (const c of changes) {
      const r = await api("POST", `/api/v1/measures/${this.measure}/suggestions`, { ...c, version });
      if (!r.ok) failed.push({ ...c, code: r.body?.error?.code || "error" });
    }
    this.committing = false;
    if (failed.length) {
      this.errorReason = `sg-${failed[0].code}`;
      showUnsent(this.form, failed.map((f) => f.insert).filter(Boolean).join("\n"));
    }
    this.refetch();
    this.paint();
    if (hadFocus) this.view.focus();
  }

  /** refetch reads the open suggestions and shows them. */
  async refetch() {
    const r = await api("GET", `/api/v1/measures/${this.measure}/suggestions?status=open`);
    if (!r.ok || !r.body) return;
    this.served = { version: Number(r.body.version), items: r.body.items || [] };
    this.served.retries = 0;
    this.showServed();
    renderPanel(this.panel, this.served.items, {
      select: (s) => this.select(s),
      decide: (s, action) => this.decide(s, action),
      decideAll: (action) => this.decideAll(action),
    });
  }

  /**
   * showServed draws the last list once the editor is at its version: the
   * positions are those of the shared text at that version.
   */
  showServed() {
    const served = this.served;
    if (!served || !this.haveDoc) return;
    const state = this.view.state;
    const synced = getSyncedVersion(state);
    if (synced > served.version) {
      this.refetchSoon();
      return;
    }
    if (synced < served.version) return; // apply() calls again as updates arrive
    let items = served.items;
    // Local changes not yet on the server (an edit in flight, a proposal
    // being typed) sit between the shared text and the view.
    const { set } = pendingChanges(state);
    if (set) items = items.map((s) => mapSuggestion(s, set));
    this.view.dispatch({ effects: setSuggestions.of(items) });
  }

  select(s) {
    const cur = this.view.state.field(suggestionsField).find((x) => x.id === s.id) || s;
    const len = this.view.state.doc.length;
    this.view.dispatch({
      selection: { anchor: Math.min(cur.from, len), head: Math.min(cur.to, len) },
      scrollIntoView: true,
    });
    this.view.focus();
  }

  async decide(s, action) {
    const r = await api("POST", `/api/v1/suggestions/${s.id}/${action}`, action === "reject" ? {} : undefined);
    if (!r.ok) {
      this.errorReason = `sg-${r.body?.error?.code || "error"}`;
      this.paint();
    }
    this.refetch();
  }

  async decideAll(action) {
    const r = await api("POST", `/api/v1/measures/${this.measure}/suggestions/${action}`, {});
    if (!r.ok) {
      this.errorReason = `sg-${r.body?.error?.code || "error"}`;
      this.paint();
    }
    this.refetch();
  }

  /** handle is what tests and debugging see (window.pacteEditor). */
  handle() {
    return {
      view: this.view,
      session: this.session,
      clientID: this.clientID,
      text: () => this.text(),
      version: () => (this.haveDoc ? getSyncedVersion(this.view.state) : null),
      saveState: () => this.session.saveState(),
      fields: this.fields,
      mode: () => this.mode,
      setMode: (m) => this.setMode(m),
      commit: () => this.commitPending(),
      suggestions: () => this.view.state.field(suggestionsField),
    };
  }
}

function editableExt(on) {
  return on ? [] : [EditorState.readOnly.of(true), EditorView.editable.of(false)];
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
