/* Builds the editor into lti_tool/static/editor/ (served by Staffroom itself):
     editor.js   the bundle (Tiptap, ProseMirror, marked and Staffroom's code)
     editor.css  its styles
     loader.js   what every page includes: loads the two above where a Markdown box is
     BUILD.json  the hash of the sources it was built from

   The built files are committed, so that `make run` and `make test` need no Node.js;
   tests/test_editor_build.py fails when the sources (src/, package.json,
   package-lock.json, this file) no longer hash to BUILD.json's "sources": then run
   `npm ci && npm run build` here and commit the result. */

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "lti_tool", "static", "editor");

/** The files the build reads, in a stable order (the test hashes the same list). */
function sourceFiles() {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
  return ["build.mjs", "package.json", "package-lock.json", ...walk(join(here, "src"))
    .map((path) => relative(here, path))]
    .map((path) => path.split("\\").join("/"))
    .sort();
}

/** sha256 over "<path>\0<bytes>\0" for every source file. */
function sourcesHash() {
  const hash = createHash("sha256");
  for (const path of sourceFiles()) {
    hash.update(path);
    hash.update("\0");
    hash.update(readFileSync(join(here, path)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  minify: true,
  target: ["es2020", "chrome100", "safari15", "firefox100"],
  legalComments: "linked",
  logLevel: "warning",
};
await esbuild.build({ ...common, entryPoints: [join(here, "src", "index.js")], format: "iife",
  outfile: join(out, "editor.js") });
await esbuild.build({ ...common, entryPoints: [join(here, "src", "loader.js")], format: "iife",
  outfile: join(out, "loader.js"), legalComments: "none" });
await esbuild.build({ ...common, entryPoints: [join(here, "src", "editor.css")],
  outfile: join(out, "editor.css"), legalComments: "none" });

const versions = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8")).packages;
const build = {
  sources: sourcesHash(),
  files: sourceFiles(),
  esbuild: esbuild.version,
  tiptap: versions["node_modules/@tiptap/core"].version,
};
writeFileSync(join(out, "BUILD.json"), JSON.stringify(build, null, 2) + "\n");
console.log(`Built ${relative(process.cwd(), out)} from sources ${build.sources.slice(0, 12)}`);
