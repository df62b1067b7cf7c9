/* One Markdown text box, upgraded to a document editor.

   The server renders <textarea data-editor="markdown">; this keeps that textarea as the
   form's field (hidden while the editor shows, its value always the editor's Markdown,
   an "input" event after each change so that autosave sees it) and puts a toolbar and
   the editor in front of it. "Markdown" shows the textarea itself again, for those who
   prefer the source; a text with merge conflict markers opens there, since the markers
   only make sense as source. */

import { Editor, Extension } from "@tiptap/core";
import { TaskItem } from "@tiptap/extension-list";

import { createConverter, schemaExtensions } from "./markdown.js";
import { mentionExtension, peopleSource, unmatchedMentions } from "./mentions.js";
import { buildToolbar } from "./toolbar.js";

const CONFLICT = /^(<{7}|={7}|>{7})( |$)/m;
const SYNC_DELAY_MS = 120;
let counter = 0;

function labelFor(textarea) {
  const label = textarea.id ? document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`) : null;
  if (label && !label.id) { label.id = `${textarea.id}-label`; }
  return label;
}

/* Checklist items: Ctrl+Enter ticks the one at the caret (the box itself is no tab stop). */
const TickShortcut = Extension.create({
  name: "staffroomTick",
  addKeyboardShortcuts() {
    return {
      "Mod-Enter": ({ editor }) => {
        const { $from } = editor.state.selection;
        for (let depth = $from.depth; depth > 0; depth -= 1) {
          const node = $from.node(depth);
          if (node.type.name === "taskItem") {
            const pos = $from.before(depth);
            return editor.chain().command(({ tr }) => {
              tr.setNodeMarkup(pos, undefined, { ...node.attrs, checked: !node.attrs.checked });
              return true;
            }).run();
          }
        }
        return false;
      },
    };
  },
});

/* The checkbox in the editor is for the mouse and touch: keyboard users tick with Ctrl+Enter,
   and Tab goes on to the next field instead of stopping at every box. */
const QuietTaskItem = TaskItem.extend({
  addNodeView() {
    const parent = this.parent && this.parent();
    if (!parent) { return null; }
    return (props) => {
      const view = parent(props);
      const box = view.dom && view.dom.querySelector("input[type=checkbox]");
      if (box) { box.tabIndex = -1; }
      return view;
    };
  },
});

export function upgrade(textarea) {
  if (textarea.dataset.editorReady) { return null; }
  textarea.dataset.editorReady = "1";
  counter += 1;
  const id = textarea.id || `md-editor-${counter}`;
  const form = textarea.form;
  const label = labelFor(textarea);
  const mentionsUrl = textarea.getAttribute("data-mentions-url");
  const loadPeople = mentionsUrl ? peopleSource(mentionsUrl) : null;
  const converter = createConverter();
  const required = textarea.required;

  // --- the frame around the editor --------------------------------------------------------
  const wrapper = document.createElement("div");
  wrapper.className = "md-editor";
  const bar = document.createElement("div");
  bar.className = "md-editor-bar";
  const surface = document.createElement("div");
  surface.className = "md-editor-surface";
  const keys = document.createElement("p");
  keys.id = `${id}-editor-keys`;
  keys.className = "md-editor-keys hint";
  keys.textContent = "Tab indents a list item and moves between table cells; Ctrl+Enter ticks a "
    + "checklist item. To leave the editor, press Escape, then Tab."
    + (mentionsUrl ? " Type @ to mention a colleague." : "");
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "md-source-toggle secondary";
  toggle.textContent = "Markdown";
  toggle.setAttribute("aria-pressed", "false");
  toggle.setAttribute("aria-controls", id);
  toggle.title = "Show the text as Markdown source";

  let announceTimer = null;
  function announce(text) {
    // Cleared first, so that the same words said twice are announced twice.
    status.textContent = "";
    if (announceTimer) { window.clearTimeout(announceTimer); }
    announceTimer = window.setTimeout(() => { status.textContent = text; }, 30);
  }

  const describedBy = [textarea.getAttribute("aria-describedby"), keys.id].filter(Boolean).join(" ");
  const rows = parseInt(textarea.getAttribute("rows") || "6", 10);
  const ui = {
    id,
    container: wrapper,
    announce,
    content: () => editor.view.dom,
  };

  // --- the editor ------------------------------------------------------------------------
  const extensions = schemaExtensions({
    taskLabel: (node, checked) => `${checked ? "Ticked" : "Not ticked"}: ${node.textContent || "empty checklist item"}`,
  }).map((ext) => (ext.name === "taskItem" ? QuietTaskItem.configure(ext.options) : ext));
  extensions.push(TickShortcut);
  if (loadPeople) { extensions.push(mentionExtension(loadPeople, ui)); }

  const attributes = {
    id: `${id}-editor`,
    class: "md-content markdown",
    role: "textbox",
    "aria-multiline": "true",
    "aria-describedby": describedBy,
    spellcheck: "true",
  };
  if (label) { attributes["aria-labelledby"] = label.id; }
  if (required) { attributes["aria-required"] = "true"; }
  if (textarea.getAttribute("aria-invalid")) { attributes["aria-invalid"] = textarea.getAttribute("aria-invalid"); }

  const editor = new Editor({
    element: surface,
    extensions,
    injectCSS: false, // the CSP refuses inline styles: editor.css holds them
    content: converter.parse(textarea.value),
    editorProps: { attributes },
  });
  editor.view.dom.style.minHeight = `${Math.max(3, rows) * 1.6}em`;

  // --- keeping the textarea (the form's field) in step --------------------------------------
  let syncing = false;
  let pending = null;
  let dirty = false; // the document changed since the textarea was last written
  function flush() {
    if (pending) { window.clearTimeout(pending); pending = null; }
    // Only a change made here is written: a text opened and left alone keeps its exact bytes.
    if (mode !== "rich" || !dirty) { return; }
    dirty = false;
    const markdown = converter.serialize(editor.getJSON());
    if (markdown === textarea.value) { return; }
    textarea.value = markdown;
    syncing = true;
    try {
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    } finally {
      syncing = false;
    }
  }
  editor.on("update", () => {
    dirty = true;
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(flush, SYNC_DELAY_MS);
  });
  // Someone else changed the field (a restored draft): show it.
  textarea.addEventListener("input", () => {
    if (syncing || mode !== "rich") { return; }
    dirty = false;
    if (CONFLICT.test(textarea.value)) { showSource(false); return; }
    editor.commands.setContent(converter.parse(textarea.value), { emitUpdate: false });
  });

  // --- rich text or Markdown source ----------------------------------------------------------
  let mode = "rich";
  let toolbar = null;

  function showSource(focus) {
    flush();
    mode = "source";
    wrapper.dataset.mode = "source";
    surface.hidden = true;
    toolbar.element.hidden = true;
    keys.hidden = true;
    textarea.hidden = false;
    textarea.required = required;
    toggle.setAttribute("aria-pressed", "true");
    toggle.title = "Back to the document editor";
    if (focus) { textarea.focus(); }
  }

  function showRich(focus) {
    if (CONFLICT.test(textarea.value)) {
      announce("The text still holds conflict markers: resolve them here in the Markdown first.");
      return false;
    }
    editor.commands.setContent(converter.parse(textarea.value), { emitUpdate: false });
    dirty = false;
    mode = "rich";
    wrapper.dataset.mode = "rich";
    surface.hidden = false;
    toolbar.element.hidden = false;
    keys.hidden = false;
    textarea.hidden = true;
    textarea.required = false; // a hidden required field would block the form
    toggle.setAttribute("aria-pressed", "false");
    toggle.title = "Show the text as Markdown source";
    if (focus) { editor.commands.focus(); }
    return true;
  }

  toggle.addEventListener("click", () => {
    if (mode === "rich") {
      showSource(true);
      announce("Markdown source shown.");
    } else if (showRich(true)) {
      announce("Document editor shown.");
    }
  });

  toolbar = buildToolbar(editor, { id, label: label ? label.textContent.trim() : "the text", announce });
  bar.appendChild(toolbar.element);
  bar.appendChild(toggle);
  wrapper.appendChild(bar);
  wrapper.appendChild(toolbar.linkPanel);
  wrapper.appendChild(surface);
  wrapper.appendChild(keys);
  wrapper.appendChild(status);
  textarea.parentNode.insertBefore(wrapper, textarea);
  wrapper.appendChild(textarea);

  // --- the keyboard: a way out, and the label and error links lead in ----------------------------
  let tabLeaves = false;
  // Seen before ProseMirror's own handlers (capture, on the frame around the editor):
  // Escape arms the way out, and the Tab after it moves the focus as anywhere else.
  wrapper.addEventListener("keydown", (event) => {
    if (event.target !== editor.view.dom) { return; }
    if (event.key === "Escape") {
      if (!editor.view.dom.getAttribute("aria-activedescendant")) { // no @ list open
        tabLeaves = true;
        announce("Press Tab to leave the editor.");
      }
    } else if (event.key === "Tab" && tabLeaves) {
      tabLeaves = false;
      event.stopPropagation();
    } else if (event.key !== "Shift") {
      tabLeaves = false;
    }
  }, true);
  editor.on("blur", () => { tabLeaves = false; });

  if (label) {
    label.addEventListener("click", (event) => {
      if (mode === "rich") { event.preventDefault(); editor.commands.focus(); }
    });
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.getAttribute("href") !== `#${textarea.id}` || mode !== "rich") { return; }
    event.preventDefault();
    editor.commands.focus();
  });

  // --- posting: the latest Markdown, and a mention that reaches nobody is said first ------------
  if (form) {
    form.addEventListener("submit", (event) => {
      flush();
      if (loadPeople && !event.defaultPrevented) { checkMentions(event); }
    }, true);
    window.addEventListener("pagehide", flush);
  }

  function confirmedNames() {
    const input = form.querySelector("input[name=confirm_unmatched]");
    return new Set((input ? input.value : "").split(/\s+/).filter(Boolean).map((n) => n.toLocaleLowerCase()));
  }

  // The people are fetched only when needed: at the first "@" typed (the suggestions) or
  // when a text with an "@" is posted. Then the form goes on, or the names are said first.
  let checked = false;
  function checkMentions(event) {
    if (checked) { checked = false; return; } // the post that follows a passed check
    if (!textarea.value.includes("@")) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    const submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
    loadPeople().then((people) => {
      const confirmed = confirmedNames();
      const unmatched = people === null ? [] : unmatchedMentions(textarea.value, people)
        .filter((name) => !confirmed.has(name.toLocaleLowerCase()));
      if (unmatched.length) {
        showUnmatched(unmatched);
        return;
      }
      // Nobody unknown (or the list could not be had: the server asks the same question).
      checked = true;
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  }

  function showUnmatched(unmatched) {
    let box = wrapper.querySelector(".md-unmatched");
    if (!box) {
      box = document.createElement("div");
      box.className = "md-unmatched form-errors";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      wrapper.appendChild(box);
    }
    box.replaceChildren();
    const text = document.createElement("p");
    const names = unmatched.join(", ");
    text.textContent = `${names} ${unmatched.length === 1 ? "matches" : "match"} nobody who can read this, `
      + "so nobody will be told. Change the name (type @ to choose from the list), or post as it is.";
    const post = document.createElement("button");
    post.type = "button";
    post.className = "secondary";
    post.textContent = "Post as it is";
    post.addEventListener("click", () => {
      let input = form.querySelector("input[name=confirm_unmatched]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "confirm_unmatched";
        form.appendChild(input);
      }
      // Exactly these names are confirmed: the server asks again about any other.
      input.value = [...confirmedNames(), ...unmatched].join(" ");
      box.remove();
      checked = true;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "secondary";
    edit.textContent = "Change the name";
    edit.addEventListener("click", () => {
      box.remove();
      if (mode === "rich") { editor.commands.focus(); } else { textarea.focus(); }
    });
    const actions = document.createElement("p");
    actions.className = "row-actions";
    actions.append(edit, post);
    box.append(text, actions);
    box.focus();
  }

  // --- start ----------------------------------------------------------------------------------
  textarea.hidden = true;
  textarea.required = false;
  wrapper.dataset.mode = "rich";
  if (CONFLICT.test(textarea.value)) {
    showSource(false);
  }
  return { editor, showSource, showRich, flush };
}
