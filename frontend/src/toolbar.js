/* The formatting toolbar: one tab stop, arrow keys between its buttons (the ARIA toolbar
   pattern), each button named, with its shortcut, and pressed while its format applies. */

const MOD = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || "") ? "⌘" : "Ctrl";

function isIn(editor, type) {
  return editor.isActive(type);
}

/* Each entry: what it is called, what it shows, its shortcut, what it does, when it is on. */
function commands(editor, openLink) {
  const chain = () => editor.chain().focus();
  return [
    { group: "Text" },
    { name: "Heading", face: "H2", keys: `${MOD}+Alt+2`, aria: "Control+Alt+2",
      run: () => chain().toggleHeading({ level: 2 }).run(),
      on: () => editor.isActive("heading", { level: 2 }) },
    { name: "Subheading", face: "H3", keys: `${MOD}+Alt+3`, aria: "Control+Alt+3",
      run: () => chain().toggleHeading({ level: 3 }).run(),
      on: () => editor.isActive("heading", { level: 3 }) },
    { name: "Bold", face: "B", keys: `${MOD}+B`, aria: "Control+B", className: "md-bold",
      run: () => chain().toggleBold().run(), on: () => isIn(editor, "bold") },
    { name: "Italic", face: "I", keys: `${MOD}+I`, aria: "Control+I", className: "md-italic",
      run: () => chain().toggleItalic().run(), on: () => isIn(editor, "italic") },
    { name: "Link", face: "Link", keys: `${MOD}+K`, aria: "Control+K",
      run: () => openLink(), on: () => isIn(editor, "link") },
    { group: "Blocks" },
    { name: "Bulleted list", face: "• List", keys: `${MOD}+Shift+8`, aria: "Control+Shift+8",
      run: () => chain().toggleBulletList().run(), on: () => isIn(editor, "bulletList") },
    { name: "Numbered list", face: "1. List", keys: `${MOD}+Shift+7`, aria: "Control+Shift+7",
      run: () => chain().toggleOrderedList().run(), on: () => isIn(editor, "orderedList") },
    { name: "Checklist", face: "☐ Checklist", keys: `${MOD}+Shift+9`, aria: "Control+Shift+9",
      run: () => chain().toggleTaskList().run(), on: () => isIn(editor, "taskList") },
    { name: "Quote", face: "❝ Quote", keys: `${MOD}+Shift+B`, aria: "Control+Shift+B",
      run: () => chain().toggleBlockquote().run(), on: () => isIn(editor, "blockquote") },
    { group: "Table" },
    { name: "Insert a table", face: "Table", outsideTable: true,
      run: () => chain().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run() },
    { name: "Add a row below", face: "+ Row", inTable: true,
      run: () => chain().addRowAfter().run() },
    { name: "Add a column to the right", face: "+ Column", inTable: true,
      run: () => chain().addColumnAfter().run() },
    { name: "Delete this row", face: "− Row", inTable: true,
      run: () => chain().deleteRow().run() },
    { name: "Delete this column", face: "− Column", inTable: true,
      run: () => chain().deleteColumn().run() },
    { name: "Delete the table", face: "✕ Table", inTable: true,
      run: () => chain().deleteTable().run() },
    { group: "History" },
    { name: "Undo", face: "↶", keys: `${MOD}+Z`, aria: "Control+Z",
      run: () => chain().undo().run(), enabled: () => editor.can().undo() },
    { name: "Redo", face: "↷", keys: `${MOD}+Shift+Z`, aria: "Control+Shift+Z",
      run: () => chain().redo().run(), enabled: () => editor.can().redo() },
  ];
}

/* The link form: an address field under the toolbar (no dialog, no window.prompt). It is
   not a <form>: it sits inside the page's form, and Enter must apply the link, not post. */
function linkPanel(editor, id, announce) {
  const panel = document.createElement("div");
  panel.className = "md-link-panel";
  panel.hidden = true;
  panel.setAttribute("role", "group");
  panel.setAttribute("aria-labelledby", `${id}-link-label`);
  const label = document.createElement("label");
  label.id = `${id}-link-label`;
  label.htmlFor = `${id}-link-url`;
  label.textContent = "Link address";
  const input = document.createElement("input");
  // Text, not type=url: the field sits inside the page's form, and a half-typed address must
  // never stop that form from being sent (the address is checked here, on "Apply link").
  input.type = "text";
  input.inputMode = "url";
  input.spellcheck = false;
  input.id = `${id}-link-url`;
  input.placeholder = "https://…";
  input.autocomplete = "url";
  const apply = document.createElement("button");
  apply.type = "button";
  apply.textContent = "Apply link";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = "Remove link";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "secondary";
  cancel.textContent = "Cancel";
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = `${id}-link-error`;
  error.hidden = true;
  const row = document.createElement("div");
  row.className = "md-link-row";
  row.append(input, apply, remove, cancel);
  panel.append(label, row, error);

  function close(focusEditor) {
    panel.hidden = true;
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    if (focusEditor) { editor.commands.focus(); }
  }

  function applyLink() {
    let href = input.value.trim();
    if (!href) { editor.chain().focus().extendMarkRange("link").unsetLink().run(); close(false); return; }
    if (!/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith("/") && !href.startsWith("#")) {
      href = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(href) ? `mailto:${href}` : `https://${href}`;
    }
    if (!/^(https?:|mailto:|\/|#)/i.test(href)) {
      error.textContent = "Links can go to web addresses (https://…) and e-mail addresses only.";
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", error.id);
      input.focus();
      return;
    }
    const { empty } = editor.state.selection;
    const chain = editor.chain().focus().extendMarkRange("link");
    if (empty && !editor.isActive("link")) {
      // Nothing selected: the address itself becomes the linked text.
      chain.insertContent({ type: "text", text: href.replace(/^mailto:/, ""), marks: [{ type: "link", attrs: { href } }] }).run();
    } else {
      chain.setLink({ href }).run();
    }
    announce("Link applied.");
    close(false);
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); applyLink(); }
    if (event.key === "Escape") { event.preventDefault(); close(true); }
  });
  apply.addEventListener("click", applyLink);
  remove.addEventListener("click", () => {
    editor.chain().focus().extendMarkRange("link").unsetLink().run();
    announce("Link removed.");
    close(false);
  });
  cancel.addEventListener("click", () => close(true));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); close(true); }
  });

  return {
    element: panel,
    open() {
      input.value = editor.getAttributes("link").href || "";
      remove.hidden = !editor.isActive("link");
      panel.hidden = false;
      input.focus();
      input.select();
    },
  };
}

export function buildToolbar(editor, { id, label, announce }) {
  const link = linkPanel(editor, id, announce);
  const toolbar = document.createElement("div");
  toolbar.className = "md-toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", `Formatting of ${label}`);
  toolbar.setAttribute("aria-controls", `${id}-editor`);

  const buttons = [];
  let group = null;
  commands(editor, () => link.open()).forEach((entry) => {
    if (entry.group) {
      group = document.createElement("div");
      group.className = "md-toolbar-group";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", entry.group);
      toolbar.appendChild(group);
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = `md-tool ${entry.className || ""}`.trim();
    button.tabIndex = buttons.length === 0 ? 0 : -1;
    button.setAttribute("aria-label", entry.name);
    button.title = entry.keys ? `${entry.name} (${entry.keys})` : entry.name;
    if (entry.aria) { button.setAttribute("aria-keyshortcuts", entry.aria); }
    if (entry.on) { button.setAttribute("aria-pressed", "false"); }
    const face = document.createElement("span");
    face.setAttribute("aria-hidden", "true");
    face.textContent = entry.face;
    button.appendChild(face);
    // The editor keeps its selection: a press acts on it without taking the focus away.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => {
      if (button.getAttribute("aria-disabled") === "true") { return; }
      entry.run();
    });
    group.appendChild(button);
    buttons.push({ button, entry });
  });

  function roveTo(target) {
    buttons.forEach(({ button }) => { button.tabIndex = button === target ? 0 : -1; });
    target.focus();
  }
  toolbar.addEventListener("keydown", (event) => {
    const shown = buttons.map(({ button }) => button).filter((button) => !button.hidden);
    const current = shown.indexOf(document.activeElement);
    if (current < 0) { return; }
    const last = shown.length - 1;
    const moves = { ArrowRight: current === last ? 0 : current + 1,
      ArrowLeft: current === 0 ? last : current - 1, Home: 0, End: last };
    if (event.key in moves) {
      event.preventDefault();
      roveTo(shown[moves[event.key]]);
    }
  });
  toolbar.addEventListener("focusin", (event) => {
    const index = buttons.findIndex(({ button }) => button === event.target);
    if (index >= 0) { buttons.forEach(({ button }, i) => { button.tabIndex = i === index ? 0 : -1; }); }
  });

  function refresh() {
    const inTable = editor.isActive("table");
    let focusLost = false;
    buttons.forEach(({ button, entry }) => {
      if (entry.on) { button.setAttribute("aria-pressed", entry.on() ? "true" : "false"); }
      // The table's own tools show while the caret is in a table, "Table" (insert) elsewhere.
      const shown = entry.inTable ? inTable : !(entry.outsideTable && inTable);
      if (button.hidden === shown) {
        if (!shown && button.tabIndex === 0) { focusLost = true; }
        button.hidden = !shown;
      }
      const enabled = entry.enabled ? entry.enabled() : true;
      // Disabled buttons stay reachable (the toolbar pattern), and do nothing.
      button.setAttribute("aria-disabled", enabled ? "false" : "true");
    });
    if (focusLost) { buttons[0].button.tabIndex = 0; }
  }
  editor.on("transaction", refresh);
  editor.on("selectionUpdate", refresh);
  refresh();

  editor.view.dom.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k") {
      event.preventDefault();
      link.open();
    }
  });

  return { element: toolbar, linkPanel: link.element, refresh };
}
