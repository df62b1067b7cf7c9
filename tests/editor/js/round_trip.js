/* Runs the built editor bundle (lti_tool/static/editor/editor.js) in node, without a
   page, and prints what its Markdown converter makes of each text: the Markdown the
   editor would store after opening the text and saving it, and after a second round.
   argv: <path to editor.js>; stdin: a JSON list of Markdown texts. */
"use strict";
const fs = require("fs");
const vm = require("vm");

const context = { console, URL, TextEncoder, TextDecoder, setTimeout, clearTimeout };
context.globalThis = context;
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context);
const api = context.StaffroomEditor;
const converter = api.createConverter();

const texts = JSON.parse(fs.readFileSync(0, "utf8"));
const results = texts.map((text) => {
  const once = converter.serialize(converter.parse(text));
  const twice = converter.serialize(converter.parse(once));
  return { once, twice };
});
process.stdout.write(JSON.stringify({
  results,
  unmatched: api.unmatchedMentions("Hi @ada teacher, @Bob! me@mail.example @ben-jones. @Ada",
    [{ name: "Ada Teacher" }, { name: "Ada" }]),
}));
