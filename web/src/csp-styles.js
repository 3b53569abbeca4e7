// csp-styles.js — CodeMirror's styles under Pacte's CSP.
//
// CodeMirror (through style-mod) writes its themes into a <style> element
// in <head>. The server's policy, style-src 'self', forbids inline style
// elements, so the browser refuses it (logging one CSP error) and the
// editor would be unstyled. A constructed stylesheet is not inline markup
// and the policy does not cover it, so the same rules are copied into one
// adopted by the document, and kept in step when CodeMirror adds rules.
// They sit in `@layer codemirror`, below every unlayered rule, so the
// site's stylesheet overrides CodeMirror's defaults as it would have
// before (style-mod puts its element first in <head> for that reason).
//
// If the server one day allows the element (a nonce, 'unsafe-inline'),
// its sheet loads and this does nothing.

const MARK = "\u037c"; // style-mod's class-name prefix, present in all its rules
let adopted = false;

/** adoptEditorStyles is called once after the first EditorView exists. */
export function adoptEditorStyles() {
  if (adopted) return;
  if (!("adoptedStyleSheets" in Document.prototype) || !("replaceSync" in CSSStyleSheet.prototype)) return;
  const source = [...document.head.querySelectorAll("style")].find((s) => s.textContent.includes(MARK));
  if (!source || source.sheet) return; // none, or the browser applied it: nothing to fix
  const sheet = new CSSStyleSheet();
  const sync = () => {
    try {
      sheet.replaceSync(`@layer codemirror {\n${source.textContent}\n}`);
    } catch (err) {
      console.warn("pacte editor: styles", err);
    }
  };
  adopted = true;
  sync();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  new MutationObserver(sync).observe(source, { childList: true, characterData: true, subtree: true });
}
