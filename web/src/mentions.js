// mentions.js — the @ autocomplete of comment boxes.
//
// Typing @ and the start of a name in a textarea[data-mentions="<measure
// id>"] lists, under the box, the people who can see that measure
// (GET /api/v1/measures/:id/mentionable?q=). Up and Down move through
// them, Enter or Tab writes the chosen one as @[Name](user:ID), Escape
// closes the list; a click works too. The textarea keeps the focus all
// along and points at the highlighted person with aria-activedescendant,
// so a screen reader reads each name as it is reached, and a status line
// says how many people were found (or that nobody was).
//
// Handlers are delegated from the document, so boxes that a live region
// re-renders (replies, the comment form) keep working. The CodeMirror
// editor has its own source for the same list: mentionCompletions below.
//
// Labels: data-label-mentions (the list's name), data-label-mentions-none,
// data-label-mentions-count (with %d).

import { debounce, label } from "./util.js";

const MAX_QUERY = 40; // the server answers nothing past this
const MAX_WORDS = 3; // "@amina ben" is a query; a sentence after an @ is not

/**
 * mentionQuery finds the @query that ends at the caret in text, or null: an
 * @ at the start or after a space or bracket, then at most MAX_WORDS words
 * without @, brackets or a line break.
 */
export function mentionQuery(text, caret) {
  const before = text.slice(Math.max(0, caret - MAX_QUERY - 2), caret);
  const m = /(?:^|[\s(])@([^\s@[\]()][^@[\]()\n]*)?$/u.exec(before);
  if (!m) return null;
  const query = m[1] || "";
  if (query.length > MAX_QUERY || query.split(" ").length > MAX_WORDS) return null;
  return { from: caret - query.length - 1, query };
}

/** mentionText is what a chosen person becomes in the text. */
export function mentionText(person) {
  const name = String(person.name).replace(/[[\]\n]/g, " ").trim().slice(0, 80) || "?";
  return `@[${name}](user:${person.id})`;
}

/** fetchMentionable asks the server who can be mentioned on a measure. */
export async function fetchMentionable(measure, query, signal) {
  const url = `/api/v1/measures/${encodeURIComponent(measure)}/mentionable?q=${encodeURIComponent(query)}`;
  const res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal });
  if (!res.ok) return [];
  const body = await res.json();
  return Array.isArray(body.items) ? body.items : [];
}

let open = null; // the one list shown: {box, from, query, items, active, list, status}
let dismissed = null; // {box, from}: Escape closed the list for this @
let controller = null;

/** start wires every textarea[data-mentions] on the page, now and later. */
export function start() {
  const lookup = debounce(search, 120);
  document.addEventListener("input", (e) => {
    const box = e.target;
    if (!(box instanceof HTMLTextAreaElement) || !box.dataset.mentions) return;
    const found = mentionQuery(box.value, box.selectionEnd);
    if (!found || box.selectionStart !== box.selectionEnd) return close();
    if (dismissed?.box === box && dismissed.from === found.from) return;
    dismissed = null;
    lookup(box, found);
  });
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("focusout", (e) => {
    if (open && e.target === open.box) close();
  });
}

async function search(box, found) {
  // The person may have typed on, or left, while the timer ran.
  const now = mentionQuery(box.value, box.selectionEnd);
  if (!now || now.from !== found.from || document.activeElement !== box) return;
  controller?.abort();
  controller = new AbortController();
  let items;
  try {
    items = await fetchMentionable(box.dataset.mentions, now.query, controller.signal);
  } catch (err) {
    if (err.name !== "AbortError") close();
    return;
  }
  const still = mentionQuery(box.value, box.selectionEnd);
  if (!still || still.from !== now.from || document.activeElement !== box) return;
  show(box, now.from, items);
}

function show(box, from, items) {
  if (!open || open.box !== box) {
    close();
    const list = makeList(box);
    open = { box, list, status: makeStatus(list) };
  }
  Object.assign(open, { from, items, active: items.length ? 0 : -1 });
  const { list, status } = open;
  list.replaceChildren(
    ...items.map((p, i) => {
      const li = document.createElement("li");
      li.id = `${list.id}-${i}`;
      li.setAttribute("role", "option");
      li.className = "mention-option";
      const name = document.createElement("span");
      name.className = "mention-name";
      name.textContent = p.name;
      name.dir = "auto";
      li.append(name);
      if (p.organization) {
        const org = document.createElement("span");
        org.className = "mention-org";
        org.textContent = p.organization;
        li.append(" ", org);
      }
      // mousedown would take the focus from the box and close the list.
      li.addEventListener("mousedown", (e) => e.preventDefault());
      li.addEventListener("click", () => choose(i));
      return li;
    }),
  );
  list.hidden = items.length === 0;
  // Said after the region exists, or screen readers may miss it.
  const said = items.length ? label(box, "mentions-count").replace("%d", String(items.length)) : label(box, "mentions-none");
  setTimeout(() => (status.textContent = said), 30);
  status.classList.toggle("visually-hidden", items.length > 0);
  place(box, list, status);
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-autocomplete", "list");
  highlight(open.active);
}

function makeList(box) {
  const list = document.createElement("ul");
  list.id = `${box.id || "mention"}-people`;
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", label(box, "mentions"));
  box.after(list);
  return list;
}

function makeStatus(list) {
  const status = document.createElement("p");
  status.className = "mention-status";
  status.setAttribute("role", "status");
  list.after(status);
  return status;
}

// place puts the list just under the box (the form is the offset parent).
function place(box, ...els) {
  for (const el of els) el.style.top = `${box.offsetTop + box.offsetHeight}px`;
}

function highlight(i) {
  if (!open) return;
  open.active = i;
  const options = open.list.children;
  for (let k = 0; k < options.length; k++) options[k].setAttribute("aria-selected", String(k === i));
  if (i >= 0 && options[i]) {
    open.box.setAttribute("aria-activedescendant", options[i].id);
    options[i].scrollIntoView({ block: "nearest" });
  } else open.box.removeAttribute("aria-activedescendant");
}

function onKey(e) {
  if (!open || e.target !== open.box || e.altKey || e.ctrlKey || e.metaKey) return;
  const n = open.items.length;
  switch (e.key) {
    case "ArrowDown":
    case "ArrowUp":
      if (!n) return;
      e.preventDefault();
      highlight((open.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
      break;
    case "Enter":
    case "Tab":
      if (open.active < 0 || e.shiftKey) return;
      e.preventDefault();
      choose(open.active);
      break;
    case "Escape":
      e.preventDefault();
      dismissed = { box: open.box, from: open.from };
      close();
      break;
  }
}

function choose(i) {
  if (!open || !open.items[i]) return;
  const { box, from, items } = open;
  const text = mentionText(items[i]) + " ";
  close();
  box.focus();
  box.setRangeText(text, from, box.selectionEnd, "end");
  // As if typed: drafts and autosave listen for input.
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

function close() {
  controller?.abort();
  controller = null;
  if (!open) return;
  open.list.remove();
  open.status.remove();
  for (const a of ["aria-controls", "aria-activedescendant", "aria-autocomplete"]) open.box.removeAttribute(a);
  open = null;
}

/**
 * mentionCompletions is the same list for CodeMirror's autocompletion
 * (@codemirror/autocomplete renders it as an accessible listbox and owns
 * the keys): a completion source for the measure's editor.
 */
export function mentionCompletions(measure) {
  return async (context) => {
    const start = Math.max(0, context.pos - MAX_QUERY - 2);
    const found = mentionQuery(context.state.sliceDoc(start, context.pos), context.pos - start);
    if (!found) return null;
    const from = start + found.from;
    const abort = new AbortController();
    context.addEventListener("abort", () => abort.abort());
    let items;
    try {
      items = await fetchMentionable(measure, found.query, abort.signal);
    } catch {
      return null;
    }
    return {
      from,
      filter: false,
      options: items.map((p) => ({ label: `@${p.name}`, displayLabel: p.name, detail: p.organization || "", apply: mentionText(p) + " ", type: "mention" })),
    };
  };
}
