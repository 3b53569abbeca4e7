// Package pdf makes the Pact a print-ready PDF in French, English or
// Arabic (Renderer), and embeds files in a PDF, such as the signed manifest
// that lets anyone check it (Attach, Attachments).
package pdf
