// build.mjs — bundles web/src into ../static/js (committed, embedded by the
// Go binary, so neither `go run .` nor `go test ./...` needs Node).
// Run through `go generate ./static/`, or `node build.mjs` from web/.
//
// Two entries, ESM, minified, with code splitting:
//   static/js/app.js             every page
//   static/js/editor.js          edit pages (imports app.js's code, adds CodeMirror)
//   static/js/chunks/*.js        code both share (live.js …): one copy per tab
// `--sourcemap` also writes .map files (left out of the committed build).

import * as esbuild from "esbuild";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "js");
const withMaps = process.argv.includes("--sourcemap");

// Remove only what an earlier build wrote: stale hashed chunks would
// otherwise pile up in the repository and the binary.
mkdirSync(out, { recursive: true });
rmSync(join(out, "chunks"), { recursive: true, force: true });
for (const f of readdirSync(out)) {
  if (/^(app|editor)\.js(\.map)?$/.test(f)) rmSync(join(out, f));
}

const result = await esbuild.build({
  entryPoints: { app: join(here, "src", "app.js"), editor: join(here, "src", "editor.js") },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  chunkNames: "chunks/[name]-[hash]",
  minify: true,
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  sourcemap: withMaps ? "linked" : false,
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

for (const file of Object.keys(result.metafile.outputs).sort()) {
  const size = statSync(file).size;
  console.log(`${relative(join(here, ".."), file).padEnd(40)} ${(size / 1024).toFixed(1).padStart(7)} KiB`);
}
