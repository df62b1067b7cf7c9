/* Runs lti_tool/static/shared.js and planning.js, in that order as the page loads them,
   against a minimal fake DOM (node, no dependencies) and prints what they did as JSON, for
   tests/planning/test_autosave_js.py to check.
   argv: <path to shared.js> <path to planning.js> <scenario: online|offline|local-copy> */
"use strict";
const fs = require("fs");
const vm = require("vm");

const scriptPaths = process.argv.slice(2, -1);
const scenario = process.argv[process.argv.length - 1];
const timers = [];
const fetches = [];
const store = new Map();

function element(props) {
  const listeners = {};
  return Object.assign({
    hidden: false, textContent: "", value: "", focused: false,
    attrs: {},
    getAttribute(name) { return this.attrs[name] ?? null; },
    addEventListener(type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    fire(type) { (listeners[type] || []).forEach((fn) => fn({ type })); },
    dispatchEvent(event) {
      this.dispatched = (this.dispatched || []).concat([{ type: event.type, bubbles: !!event.bubbles }]);
      (listeners[event.type] || []).forEach((fn) => fn(event));
      return true;
    },
    focus() { this.focused = true; },
    querySelector(sel) { return this.children ? this.children[sel] || null : null; },
  }, props);
}

const fields = {
  csrf_token: element({ value: "signed-token" }),
  version: element({ value: "3" }),
  title: element({ value: "Cells" }),
  body: element({ value: "saved body" }),
  objectives: element({ value: "" }),
};
const form = element({
  attrs: {
    "data-autosave-url": "/courses/1/spaces/7/drafts",
    "data-draft-key": "plan-5",
    "data-storage-key": "staffroom-draft:1:7:plan-5",
  },
  elements: { namedItem: (name) => fields[name] || null },
});
const status = element({});
const restoreButton = element({});
const discardButton = element({});
const offer = element({
  hidden: true,
  children: {
    "[data-local-draft-time]": element({}),
    "[data-local-draft=restore]": restoreButton,
    "[data-local-draft=discard]": discardButton,
  },
});

if (scenario === "local-copy") {
  store.set("staffroom-draft:1:7:plan-5", JSON.stringify({
    savedAt: "2025-03-01T10:42:00Z", baseVersion: 2,
    data: { title: "Cells", body: "typed while offline" },
  }));
}

const document = {
  documentElement: { lang: "en-GB" },  // the launch's language, as base.html sets it
  querySelectorAll: () => [],
  querySelector: (sel) => (sel === "form[data-autosave-url]" ? form : null),
  getElementById: (id) => ({ "autosave-status": status, "local-draft-offer": offer }[id] || null),
};
const window = {
  localStorage: {
    getItem: (k) => (store.has(k) ? store.get(k) : null),
    setItem: (k, v) => store.set(k, String(v)),
    removeItem: (k) => store.delete(k),
  },
  setTimeout: (fn) => { timers.push(fn); return timers.length; },
  clearTimeout: () => {},
  addEventListener: () => {},
  print: () => {},
};
function fetch(url, options) {
  fetches.push({ url, method: options.method, headers: options.headers, body: JSON.parse(options.body) });
  if (scenario === "offline") { return Promise.reject(new TypeError("Failed to fetch")); }
  return Promise.resolve({ ok: true, json: () => Promise.resolve({ saved_at: "2025-03-01T10:42:00Z" }) });
}

const page = vm.createContext({ window, document, fetch, Date, JSON, String, isNaN, parseInt, Event });
scriptPaths.forEach((path) => vm.runInContext(fs.readFileSync(path, "utf8"), page));

const offered = !offer.hidden;
if (scenario === "local-copy") { restoreButton.fire("click"); }
const restoredBody = fields.body.value;
const restoredVersion = fields.version.value;
const restoredEvents = fields.body.dispatched || [];
fields.body.value = "a new sentence";
form.fire("input");

// Run the timers as the browser would: one at a time, letting fetch promises settle between.
async function drain() {
  for (let i = 0; i < 10 && timers.length; i += 1) {
    timers.shift()();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

drain().then(() => {
  process.stdout.write(JSON.stringify({
    offered,
    fetches,
    status: status.textContent,
    stored: store.has("staffroom-draft:1:7:plan-5") ? JSON.parse(store.get("staffroom-draft:1:7:plan-5")) : null,
    restoredBody,
    restoredVersion,
    restoredEvents,
    pendingTimers: timers.length,
  }));
});
