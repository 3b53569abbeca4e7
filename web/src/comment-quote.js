// comment-quote.js — "Comment on this passage".
//
// Selecting words in the rendered measure body (.measure-body .markdown)
// shows a small button under the selection; it copies the words into the
// comment form's quote field (#comment-quote), opens that part of the form
// and puts the cursor in the comment box. The server finds the selected
// words in the Markdown source. Keyboard: once words are selected (caret
// browsing, or the mouse) Tab goes to the button and Enter uses it; Escape
// hides it. Without this script the quote field works as typed.
// The label comes from the form's data-label-quote-selection.

import { label } from "./util.js";

const MAX_QUOTE = 5000;
let button = null;
let quote = "";
// dismissed is the selection Escape put the button away for: a
// selectionchange of that same selection still queued must not bring the
// button back (it did, under load).
let dismissed = null;

function sameSelection(a, sel) {
  return !!a && a.anchorNode === sel.anchorNode && a.anchorOffset === sel.anchorOffset &&
    a.focusNode === sel.focusNode && a.focusOffset === sel.focusOffset;
}

export function start() {
  document.addEventListener("selectionchange", onSelection);
  document.addEventListener("keydown", (e) => {
    if (!button || button.hidden) return;
    if (e.key === "Escape") {
      const sel = document.getSelection();
      dismissed = sel ? { anchorNode: sel.anchorNode, anchorOffset: sel.anchorOffset, focusNode: sel.focusNode, focusOffset: sel.focusOffset } : null;
      hide();
    }
    // Tab right after selecting goes to the button, wherever the focus was
    // (a selection made with the mouse leaves it elsewhere).
    if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && document.activeElement !== button && !typing(document.activeElement)) {
      e.preventDefault();
      button.focus();
    }
  });
}

function typing(el) {
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

function bodyOf(node) {
  const el = node?.nodeType === Node.ELEMENT_NODE ? node : node?.parentElement;
  return el?.closest(".measure-body .markdown") || null;
}

function onSelection() {
  const form = document.getElementById("comment-form");
  const sel = document.getSelection();
  if (sel && sameSelection(dismissed, sel)) return;
  dismissed = null;
  if (!form || !sel || sel.rangeCount === 0 || sel.isCollapsed) {
    // Focus moving to the button collapses nothing; a click elsewhere does.
    if (button && document.activeElement !== button) hide();
    return;
  }
  const body = bodyOf(sel.anchorNode);
  if (!body || bodyOf(sel.focusNode) !== body) {
    if (button && document.activeElement !== button) hide();
    return;
  }
  quote = selectedQuote();
  if (!quote) return hide();
  show(body, sel.getRangeAt(0), form);
}

function show(body, range, form) {
  if (!button || !button.isConnected || button.previousElementSibling !== body) {
    button?.remove();
    button = document.createElement("button");
    button.type = "button";
    button.className = "quote-selection small";
    button.dataset.quoteSelection = "";
    button.textContent = label(form, "quote-selection");
    // Keep the selection when the button is pressed with a mouse.
    button.addEventListener("mousedown", (e) => e.preventDefault());
    button.addEventListener("click", use);
    body.after(button);
  }
  const box = body.parentElement.getBoundingClientRect();
  const rects = range.getClientRects();
  const last = rects.length ? rects[rects.length - 1] : range.getBoundingClientRect();
  const width = button.offsetWidth || 160;
  let x = document.documentElement.dir === "rtl" ? last.left - box.left : last.right - box.left - width;
  x = Math.max(0, Math.min(x, box.width - width));
  button.style.top = `${last.bottom - box.top + 6}px`;
  button.style.left = `${x}px`;
  button.hidden = false;
}

function hide() {
  if (button) button.hidden = true;
}

// selectedQuote is the text selected in the measure now, or "": read again
// when the button is used, as the last selectionchange may not have been
// handled yet (a quick drag, then a click).
function selectedQuote() {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return "";
  const body = bodyOf(sel.anchorNode);
  if (!body || bodyOf(sel.focusNode) !== body) return "";
  return sel.toString().trim().slice(0, MAX_QUOTE);
}

function use() {
  const form = document.getElementById("comment-form");
  quote = selectedQuote() || quote;
  if (!form || !quote) return;
  const field = form.querySelector('[name="anchor_quote"]');
  const details = field?.closest("details");
  if (details) details.open = true;
  if (field) {
    field.value = quote;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  hide();
  document.getSelection()?.removeAllRanges();
  const box = form.querySelector('textarea[name="body"]');
  box?.scrollIntoView({ block: "center" });
  box?.focus({ preventScroll: true });
}
