// field-autosave.js — saves the edit page's other fields (title, summary,
// pillar, axis) as the person types, the way the co-editor saves the body.
//
// Each change is sent, after a short pause, as a PATCH of the fields the
// person changed with the revision the page knows. When someone else saved
// in between (409 stale_revision) the measure is fetched again and merged
// field by field, like the form's own save: what only others changed is
// taken into the form, what only this person changed is sent again, and a
// field both changed differently is shown with the other version and two
// buttons (keep mine, take theirs) — never overwritten silently.
//
// The hidden revision and base_* inputs of the form follow every save, so
// the form's own "Save" button (and the no-JavaScript path) merges against
// what is really saved.

import { csrfToken } from "./util.js";

export const FIELDS = ["title", "summary", "pillar", "axis"];
const DELAY = 700;
const RETRY = 4000;

/** norm puts a value in the form the server keeps it in. */
function norm(v) {
  return String(v ?? "").replace(/\r\n?/g, "\n").trim();
}

export class FieldAutosave {
  /**
   * @param {object} opts
   * @param {HTMLFormElement} opts.form   the edit form
   * @param {number} opts.measure         the measure id
   * @param {() => void} opts.changed     called whenever state() may have changed
   */
  constructor({ form, measure, changed = () => {}, delay = DELAY }) {
    this.form = form;
    this.measure = measure;
    this.changed = changed;
    this.delay = delay;
    this.els = {};
    this.base = {};
    this.touched = new Set();
    this.conflicts = new Map(); // field → the other version
    this.invalid = new Set();
    this.inFlight = false;
    this.again = false;
    this.timer = 0;
    this.error = null; // "offline" | "readonly"
    this.staleTries = 0;
    for (const name of FIELDS) {
      const el = form.elements.namedItem(name);
      if (!el) continue;
      this.els[name] = el;
      const base = form.elements.namedItem(`base_${name}`);
      this.base[name] = norm(base ? base.value : el.value);
      el.addEventListener("input", () => this.edited(name, false));
      el.addEventListener("change", () => this.edited(name, true));
    }
    const rev = form.elements.namedItem("revision");
    this.revision = Number(rev?.value) || 0;
    // Back online: what waits is sent now rather than at the next retry.
    window.addEventListener("online", () => {
      if (this.error === "offline") this.schedule(0);
    });
  }

  value(name) {
    return norm(this.els[name]?.value);
  }

  /** hasUnsaved: some field differs from what is saved, or a save is on its way. */
  hasUnsaved() {
    return this.inFlight || Object.keys(this.els).some((n) => this.value(n) !== this.base[n]);
  }

  /** state for the status line: "offline", "readonly", "unsaved", "saving" or "saved". */
  state() {
    if (this.error) return this.error;
    if (this.conflicts.size || this.invalid.size) return "unsaved";
    if (this.inFlight || this.timer || this.pending().length) return "saving";
    return "saved";
  }

  /** pending lists the fields to send: changed here, differing, not in conflict. */
  pending() {
    return [...this.touched].filter((n) => !this.conflicts.has(n) && !this.invalid.has(n) && this.value(n) !== this.base[n]);
  }

  edited(name, now) {
    this.touched.add(name);
    if (this.invalid.delete(name)) this.showInvalid(name, false);
    if (this.error === "offline") this.error = null;
    this.schedule(now ? 0 : this.delay);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.save();
    }, ms);
    this.changed();
  }

  async save() {
    if (this.error === "readonly") return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const names = this.pending();
    if (!names.length) {
      this.changed();
      return;
    }
    // The taxonomy is one choice: an axis only makes sense with its pillar.
    if ((names.includes("pillar") || names.includes("axis")) && this.els.pillar && this.els.axis) {
      for (const n of ["pillar", "axis"]) if (!names.includes(n)) names.push(n);
    }
    const body = { revision: this.revision };
    for (const n of names) body[n] = this.value(n);
    this.inFlight = true;
    this.again = false;
    this.changed();
    let res;
    try {
      res = await this.request("PATCH", body);
    } catch {
      this.inFlight = false;
      this.error = "offline";
      this.schedule(RETRY);
      return;
    }
    this.inFlight = false;
    this.error = null; // the server answered
    if (res.ok) {
      const m = await res.json().catch(() => null);
      this.staleTries = 0;
      for (const n of names) this.setBase(n, norm(m?.[n] ?? body[n]));
      if (m?.revision) this.setRevision(m.revision);
      if (this.again || this.pending().length) this.schedule(this.delay);
      this.changed();
      return;
    }
    const err = (await res.json().catch(() => null))?.error || {};
    if (res.status === 409 && err.code === "stale_revision" && this.staleTries < 5) {
      this.staleTries++;
      try {
        await this.merge();
      } catch {
        this.error = "offline";
        this.schedule(RETRY);
        return;
      }
      this.schedule(0);
      return;
    }
    if (res.status === 422) {
      for (const n of Object.keys(err.fields || {})) {
        if (!this.els[n]) continue;
        this.invalid.add(n);
        this.showInvalid(n, true);
      }
      this.changed();
      return;
    }
    if (res.status === 403 || res.status === 404 || res.status === 409 || res.status === 401) {
      this.error = "readonly";
      this.changed();
      return;
    }
    // 429, 503…: try again a little later.
    this.error = "offline";
    this.schedule(RETRY);
  }

  /** merge fetches the measure and merges it into the form field by field. */
  async merge() {
    const res = await this.request("GET");
    if (!res.ok) throw new Error(`measure: ${res.status}`);
    const fresh = await res.json();
    for (const n of Object.keys(this.els)) {
      const theirs = norm(fresh[n]);
      const base = this.base[n];
      const mine = this.value(n);
      if (theirs === base) continue;
      if (mine === base) {
        this.els[n].value = theirs; // only others changed it
        this.setBase(n, theirs);
      } else if (mine === theirs) {
        this.setBase(n, theirs);
      } else {
        this.conflict(n, theirs);
      }
    }
    this.setRevision(fresh.revision);
  }

  /**
   * remote takes another person's saved change (a measure.updated event):
   * fields this person has not changed follow it at once. A field both
   * changed is left to the next save, which merges it as above.
   */
  remote(m) {
    if (!m || this.inFlight || !(Number(m.revision) > this.revision)) return;
    let clean = true;
    for (const n of Object.keys(this.els)) {
      if (!(n in m)) continue;
      const theirs = norm(m[n]);
      const base = this.base[n];
      const mine = this.value(n);
      if (theirs === base) continue;
      if (mine === base) {
        this.els[n].value = theirs;
        this.setBase(n, theirs);
      } else if (mine === theirs) {
        this.setBase(n, theirs);
      } else {
        clean = false;
      }
    }
    if (clean) this.setRevision(Number(m.revision));
    this.changed();
  }

  setBase(name, v) {
    this.base[name] = v;
    const el = this.form.elements.namedItem(`base_${name}`);
    if (el) el.value = v;
  }

  setRevision(r) {
    this.revision = r;
    const el = this.form.elements.namedItem("revision");
    if (el) el.value = String(r);
  }

  request(method, body) {
    const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(`/api/v1/measures/${this.measure}`, {
      method,
      credentials: "same-origin",
      headers,
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  // --- the field's own messages ---------------------------------------------

  fieldBox(name) {
    return this.els[name].closest(".field") || this.els[name].parentElement;
  }

  showInvalid(name, on) {
    const el = this.els[name];
    const box = this.fieldBox(name);
    let msg = box.querySelector("[data-autosave-invalid]");
    if (!on) {
      msg?.remove();
      if (!box.querySelector(".field-error")) el.removeAttribute("aria-invalid");
      return;
    }
    el.setAttribute("aria-invalid", "true");
    if (!msg) {
      msg = document.createElement("p");
      msg.className = "field-error";
      msg.dataset.autosaveInvalid = "";
      msg.id = `${el.id || name}-autosave-error`;
      box.append(msg);
      el.setAttribute("aria-describedby", `${el.getAttribute("aria-describedby") || ""} ${msg.id}`.trim());
    }
    msg.textContent = this.form.getAttribute("data-label-field-invalid") || "";
  }

  conflict(name, theirs) {
    this.conflicts.set(name, theirs);
    const box = this.fieldBox(name);
    box.querySelector("[data-field-conflict]")?.remove();
    const div = document.createElement("div");
    div.className = "field-conflict notice";
    div.dataset.fieldConflict = name;
    div.setAttribute("role", "alert");
    const p = document.createElement("p");
    p.textContent = this.form.getAttribute("data-label-field-conflict") || "";
    const other = document.createElement("p");
    other.className = "field-conflict-theirs";
    other.dir = "auto";
    const el = this.els[name];
    other.textContent = el.tagName === "SELECT" ? [...el.options].find((o) => o.value === theirs)?.textContent || theirs : theirs;
    const row = document.createElement("p");
    row.className = "action-row";
    const keep = document.createElement("button");
    keep.type = "button";
    keep.className = "secondary small";
    keep.dataset.keepMine = "";
    keep.textContent = this.form.getAttribute("data-label-keep-mine") || "";
    const take = document.createElement("button");
    take.type = "button";
    take.className = "secondary small";
    take.dataset.takeTheirs = "";
    take.textContent = this.form.getAttribute("data-label-take-theirs") || "";
    row.append(keep, " ", take);
    div.append(p, other, row);
    box.append(div);
    const done = (useTheirs) => {
      const latest = this.conflicts.get(name);
      this.conflicts.delete(name);
      div.remove();
      if (useTheirs) el.value = latest;
      this.setBase(name, latest);
      this.touched.add(name);
      el.focus();
      this.schedule(0);
    };
    keep.addEventListener("click", () => done(false));
    take.addEventListener("click", () => done(true));
    this.changed();
  }
}
