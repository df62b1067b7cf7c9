/* Staffroom's editor bundle: every <textarea data-editor="markdown"> becomes a document
   editor (see editor.js). Without this script, or before it runs, the text box works as
   it is: the form posts Markdown either way. */

import { upgrade } from "./editor.js";
import { createConverter, roundTrip } from "./markdown.js";
import { unmatchedMentions } from "./mentions.js";

const api = { upgrade, createConverter, roundTrip, unmatchedMentions, editors: [] };
globalThis.StaffroomEditor = api;

function start() {
  document.querySelectorAll('textarea[data-editor="markdown"]').forEach((textarea) => {
    const made = upgrade(textarea);
    if (made) { api.editors.push(made); }
  });
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}
