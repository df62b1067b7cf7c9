/* @mentions: suggestions of colleagues as you type, and names that match nobody.

   The people come from the form's data-mentions-url: everyone who may read the
   discussion (lti_tool.discussion.views.people). A chosen name is written as plain
   text, "@Ada Teacher ", exactly the syntax the server resolves
   (lti_tool.discussion.services.find_mentions). */

import { Extension } from "@tiptap/core";
import { PluginKey } from "@tiptap/pm/state";
import { Suggestion } from "@tiptap/suggestion";

const MAX_SHOWN = 8;
const WORD = /[\p{L}\p{N}_]/u;

/** People of the discussion, fetched once per form when first needed (null if it failed). */
export function peopleSource(url) {
  let loaded = null;
  return function load() {
    if (!loaded) {
      loaded = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => (body && Array.isArray(body.people) ? body.people : null))
        .catch(() => null)
        .then((people) => {
          if (people === null) { loaded = null; } // ask again next time
          return people;
        });
    }
    return loaded;
  };
}

function matches(person, query) {
  const q = query.trim().toLocaleLowerCase();
  if (!q) { return true; }
  const name = person.name.toLocaleLowerCase();
  return name.startsWith(q) || name.split(/\s+/).some((part) => part.startsWith(q));
}

/**
 * The @names in ``text`` that match nobody in ``people``, as the server finds them
 * (lti_tool.discussion.services.unmatched_mentions): longest names first, a mention
 * ends where a word ends, and whatever follows an unmatched @ up to the end of its word
 * is what is reported.
 */
export function unmatchedMentions(text, people) {
  const names = people.map((p) => p.name.toLocaleLowerCase()).sort((a, b) => b.length - a.length);
  const found = [];
  const seen = new Set();
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] !== "@") { continue; }
    const before = i > 0 ? text[i - 1] : "";
    if (before && (WORD.test(before) || before === "@")) { continue; }
    const rest = text.slice(i + 1);
    const lower = rest.toLocaleLowerCase();
    const name = names.find((n) => lower.startsWith(n) && !WORD.test(rest.charAt(n.length)));
    if (name) { i += name.length; continue; }
    const word = /^[\p{L}\p{N}_][\p{L}\p{N}_'’.-]*/u.exec(rest);
    if (!word) { continue; }
    const token = "@" + word[0].replace(/[.'’-]+$/, "");
    if (!seen.has(token.toLocaleLowerCase())) {
      seen.add(token.toLocaleLowerCase());
      found.push(token);
    }
    i += word[0].length;
  }
  return found;
}

/** The suggestion popup: a listbox the editor's textbox points into. */
function popup(ui) {
  let list = null;
  let items = [];
  let active = 0;
  let current = null;
  let unmount = null;

  function optionId(index) { return `${ui.id}-mention-${index}`; }

  function announce(text) { ui.announce(text); }

  function draw() {
    list.replaceChildren();
    // "@Bob said …": once a space follows and nobody matches, this is prose, not a name.
    list.hidden = !items.length && /\s/.test((current && current.query) || "");
    if (!items.length) {
      const empty = document.createElement("li");
      empty.className = "md-suggestion-empty";
      empty.textContent = "Nobody here by that name";
      list.appendChild(empty);
      ui.content().removeAttribute("aria-activedescendant");
      return;
    }
    items.forEach((person, index) => {
      const option = document.createElement("li");
      option.id = optionId(index);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", index === active ? "true" : "false");
      option.className = "md-suggestion";
      const name = document.createElement("span");
      name.className = "md-suggestion-name";
      name.textContent = person.name;
      option.appendChild(name);
      if (person.note) {
        const note = document.createElement("span");
        note.className = "md-suggestion-note";
        note.textContent = person.note;
        option.appendChild(note);
      }
      // Keep the caret in the text: choose on press, never take the focus.
      option.addEventListener("mousedown", (event) => { event.preventDefault(); });
      option.addEventListener("click", () => choose(index));
      list.appendChild(option);
    });
    ui.content().setAttribute("aria-activedescendant", optionId(active));
  }

  function describeActive() {
    if (!items.length) {
      if (!list.hidden) { announce("Nobody here by that name."); }
      return;
    }
    const person = items[active];
    announce(`${person.name}${person.note ? ", " + person.note : ""}, ${active + 1} of ${items.length}. Enter chooses.`);
  }

  function choose(index) {
    if (current && items[index]) { current.command(items[index]); }
  }

  return {
    onStart(props) {
      current = props;
      items = props.items;
      active = 0;
      list = document.createElement("ul");
      list.id = `${ui.id}-mentions`;
      list.className = "md-suggestions";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Colleagues who can read this");
      ui.content().setAttribute("aria-controls", list.id);
      draw();
      unmount = props.mount ? props.mount(list) : null;
      describeActive();
    },
    onUpdate(props) {
      current = props;
      const changed = props.items.length !== items.length ||
        props.items.some((p, i) => !items[i] || items[i].id !== p.id);
      items = props.items;
      if (changed) { active = 0; }
      draw();
      if (changed) { describeActive(); }
    },
    onKeyDown({ event }) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) { return true; }
        active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        draw();
        describeActive();
        return true;
      }
      if ((event.key === "Enter" || event.key === "Tab") && items.length) {
        choose(active);
        return true;
      }
      if (event.key === "Escape") {
        return false; // the plugin closes the list itself
      }
      return false;
    },
    onExit() {
      const content = ui.content();
      content.removeAttribute("aria-activedescendant");
      content.removeAttribute("aria-controls");
      if (unmount) { unmount(); unmount = null; }
      if (list && list.parentNode) { list.parentNode.removeChild(list); }
      list = null;
      current = null;
    },
  };
}

/** The editor extension: "@" opens the suggestions of the form's people. */
export function mentionExtension(load, ui) {
  return Extension.create({
    name: "staffroomMentions",
    addProseMirrorPlugins() {
      return [
        Suggestion({
          editor: this.editor,
          pluginKey: new PluginKey("staffroomMentions"),
          char: "@",
          allowSpaces: true,
          allowedPrefixes: [" ", "(", "\u00a0"],
          container: ui.container,
          // After a chosen name (or a word and a space) the list steps aside.
          shouldShow: ({ query }) => !/\s$/.test(query) && query.length <= 80,
          items: ({ query }) => load().then((people) => (people || [])
            .filter((person) => !person.me && matches(person, query))
            .slice(0, MAX_SHOWN)),
          command: ({ editor, range, props }) => {
            editor.chain().focus().insertContentAt(range, [
              { type: "text", text: `@${props.name} ` },
            ]).run();
            ui.announce(`${props.name} mentioned.`);
          },
          render: () => popup(ui),
        }),
      ];
    },
  });
}
