/* Markdown in and out of the editor: the stored form of every text Staffroom keeps.

   The editor's document is a ProseMirror tree; what Staffroom stores, diffs, searches,
   exports and renders (lti_tool/markdown.py: markdown-it with raw HTML off, tables,
   strikethrough and task lists) is Markdown. This module turns one into the other with
   @tiptap/markdown's MarkdownManager, adjusted so that a text survives the round trip
   with the meaning the server's renderer gives it:

   - raw HTML is text (the server shows a typed <b> as "<b>", never as bold);
   - a bare address is text (the server does not turn it into a link);
   - text that would read as Markdown syntax is escaped (a paragraph that starts with
     "1. " or "# " stays a paragraph), and nothing more than needed ("snake_case",
     "Tom & Jerry" stay as typed);
   - tables are written compactly ("| a | b |" over "|---|---|"), as the plan templates
     are, and alignment is kept;
   - images are kept as written (the server shows them as links, never loads them).

   The same schema extensions serve the editor and this converter, so a node the
   editor can hold is one this module can write. */

import { mergeAttributes, Node } from "@tiptap/core";
import { TaskItem, TaskList } from "@tiptap/extension-list";
import { Table, TableCell, TableHeader, TableRow } from "@tiptap/extension-table";
import { MarkdownManager } from "@tiptap/markdown";
import Paragraph from "@tiptap/extension-paragraph";
import StarterKit from "@tiptap/starter-kit";
import { Marked } from "marked";

// --- text escaping ---------------------------------------------------------------------

const ENTITY = /^&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});/;

/** Escape what inline Markdown would read as syntax in a run of plain text. */
export function escapeInline(text) {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    const prev = i > 0 ? text[i - 1] : "";
    const next = i + 1 < text.length ? text[i + 1] : "";
    if (c === "\\" || c === "`" || c === "*" || c === "[" || c === "]" || c === "~") {
      out += "\\" + c;
    } else if (c === "_") {
      // Inside a word an underscore never emphasises (CommonMark): "snake_case" stays.
      out += /[\p{L}\p{N}]/u.test(prev) && /[\p{L}\p{N}]/u.test(next) ? c : "\\_";
    } else if (c === "<") {
      // Only where it could open a tag, an autolink or a comment.
      out += /[A-Za-z/!?]/.test(next) ? "\\<" : c;
    } else if (c === "&") {
      out += ENTITY.test(text.slice(i)) ? "\\&" : c;
    } else {
      out += c;
    }
  }
  return out;
}

const BLOCK_START = [
  /^(#{1,6})(?=[ \t]|$)/, // ATX heading
  /^(>)/, // quote
  /^([-+*])(?=[ \t]|$)/, // bullet
  /^(\d{1,9})([.)])(?=[ \t]|$)/, // numbered item
  /^(=+|-+)[ \t]*$/, // setext underline, or a thematic break
  /^(\|)/, // a table row
];

/** A paragraph's line that would start a block of another kind, escaped to stay text. */
export function escapeLineStart(line) {
  const trimmed = line.replace(/^[ \t]+/, ""); // leading spaces would make a code block
  for (const pattern of BLOCK_START) {
    const match = pattern.exec(trimmed);
    if (!match) { continue; }
    if (/^\d/.test(match[0])) { return match[1] + "\\" + match[2] + trimmed.slice(match[0].length); }
    return "\\" + trimmed;
  }
  return trimmed;
}

// --- nodes with Staffroom's own Markdown --------------------------------------------------

/* A paragraph: Tiptap's, with every line kept a paragraph line. */
const StaffroomParagraph = Paragraph.extend({
  renderMarkdown(node, helpers, context) {
    const rendered = this.parent(node, helpers, context);
    if (!rendered) { return rendered; }
    // Hard breaks end a line with two spaces: only what starts each line changes.
    return rendered.split("\n").map(escapeLineStart).join("\n");
  },
});
function renderCell(cell, helpers) {
  const parts = (cell.content || []).map((child) => helpers.renderChildren([child]));
  // A cell is one line: line breaks become spaces (a typed <br> would show as text).
  const text = parts.join(" ").replace(/\s+/g, " ").trim();
  return text.replace(/\\.|\|/g, (m) => (m === "|" ? "\\|" : m));
}

function alignMarker(align) {
  if (align === "left") { return ":---"; }
  if (align === "right") { return "---:"; }
  if (align === "center") { return ":---:"; }
  return "---";
}

/** A table as "| a | b |" rows under "|---|---|", the shape of the plan templates. */
export function renderTable(node, helpers) {
  const rows = (node.content || []).map((row) => (row.content || []));
  const width = rows.reduce((max, cells) => Math.max(max, cells.length), 0);
  if (!width) { return ""; }
  const line = (cells) => "| " + Array.from({ length: width }, (_, i) => (cells[i] || "")).join(" | ") + " |";
  const texts = rows.map((cells) => cells.map((cell) => renderCell(cell, helpers)));
  const hasHeader = rows[0].some((cell) => cell.type === "tableHeader");
  const aligns = Array.from({ length: width }, (_, i) => {
    const found = rows.map((cells) => cells[i] && cells[i].attrs && cells[i].attrs.align).find(Boolean);
    return found || null;
  });
  const out = [line(hasHeader ? texts[0] : []), "|" + aligns.map(alignMarker).join("|") + "|"];
  (hasHeader ? texts.slice(1) : texts).forEach((cells) => out.push(line(cells)));
  return out.join("\n");
}

const StaffroomTable = Table.extend({
  renderMarkdown: (node, helpers) => renderTable(node, helpers),
  // No inline styles (the CSP refuses them) and no column widths: the page lays it out.
  renderHTML({ HTMLAttributes }) {
    return ["table", mergeAttributes(this.options.HTMLAttributes, HTMLAttributes), ["tbody", 0]];
  },
});

function alignedCell(base) {
  return base.extend({
    addAttributes() {
      const parent = this.parent ? this.parent() : {};
      return {
        ...parent,
        align: {
          ...(parent.align || {}),
          renderHTML: (attributes) => (attributes.align ? { "data-align": attributes.align } : {}),
        },
        colwidth: { ...(parent.colwidth || {}), renderHTML: () => ({}) },
      };
    },
  });
}

/* An image, kept as written: shown in the editor as its name, never loaded. */
const MarkdownImage = Node.create({
  name: "image",
  inline: true,
  group: "inline",
  atom: true,
  selectable: true,
  addAttributes() {
    return { src: { default: "" }, alt: { default: "" }, title: { default: null } };
  },
  parseHTML() { return [{ tag: "span[data-image-src]", getAttrs: (el) => ({
    src: el.getAttribute("data-image-src"), alt: el.textContent, title: el.getAttribute("title") }) }]; },
  renderHTML({ node }) {
    const attrs = { "data-image-src": node.attrs.src, class: "editor-image" };
    if (node.attrs.title) { attrs.title = node.attrs.title; }
    return ["span", attrs, node.attrs.alt || node.attrs.src];
  },
  markdownTokenName: "image",
  parseMarkdown: (token, helpers) => helpers.createNode("image", {
    src: token.href || "", alt: token.text || "", title: token.title || null,
  }),
  renderMarkdown: (node) => {
    const alt = escapeInline(node.attrs.alt || "");
    const src = String(node.attrs.src || "").replace(/[()\s]/g, (c) => encodeURIComponent(c));
    const title = node.attrs.title ? ` "${String(node.attrs.title).replace(/"/g, '\\"')}"` : "";
    return `![${alt}](${src}${title})`;
  },
});

// --- the extensions, shared by the editor and the converter ---------------------------------

/** Every node and mark a Staffroom text may hold, configured as the editor uses them. */
export function schemaExtensions({ taskLabel } = {}) {
  const kit = StarterKit.configure({
    paragraph: false,
    underline: false, // no Markdown for it
    code: {},
    heading: { levels: [1, 2, 3, 4, 5, 6] },
    link: {
      openOnClick: false,
      autolink: false,
      linkOnPaste: true,
      protocols: ["mailto"],
      defaultProtocol: "https",
      isAllowedUri: (url) => /^(https?:|mailto:|\/|#)/i.test(url),
      HTMLAttributes: { rel: "noopener noreferrer", target: null },
    },
  });
  return [
    kit,
    StaffroomParagraph,
    TaskList,
    TaskItem.configure({
      nested: true,
      a11y: taskLabel ? { checkboxLabel: taskLabel } : undefined,
    }),
    StaffroomTable.configure({ resizable: false }),
    TableRow,
    alignedCell(TableHeader),
    alignedCell(TableCell),
    MarkdownImage,
  ];
}

// --- the converter --------------------------------------------------------------------------

/* marked, as the server's markdown-it reads: no bare-address links (no "linkify"). */
function staffroomMarked() {
  const marked = new Marked({ gfm: true, breaks: false });
  marked.use({ tokenizer: { url() { return undefined; } } });
  return marked;
}

class StaffroomMarkdownManager extends MarkdownManager {
  /* Raw HTML is text, as on the server (markdown-it with html off). */
  parseHTMLToken(token) {
    return this.htmlAsLiteralText(token.text || token.raw || "", !!token.block);
  }

  /* Plain text escaped just enough (see escapeInline); code is written as it is. */
  encodeTextForMarkdown(text, node, parentNode) {
    const inCode = (parentNode && parentNode.type && this.codeTypes.has(parentNode.type)) ||
      (node.marks || []).some((m) => this.codeTypes.has(typeof m === "string" ? m : m.type));
    return inCode ? text : escapeInline(text);
  }
}

/** parse(markdown) -> editor JSON; serialize(JSON) -> markdown, ending with one newline. */
export function createConverter(options = {}) {
  const manager = new StaffroomMarkdownManager({
    marked: staffroomMarked(),
    extensions: options.extensions || schemaExtensions(),
    indentation: { style: "space", size: 2 },
  });
  return {
    manager,
    parse(markdown) {
      return manager.parse(String(markdown || "").replace(/\r\n?/g, "\n"));
    },
    serialize(json) {
      const text = manager.serialize(json).replace(/\n{3,}/g, (run, offset, all) =>
        insideFence(all, offset) ? run : "\n\n").replace(/\s+$/, "");
      return text ? text + "\n" : "";
    },
  };
}

/* Is this offset inside a fenced code block? (blank lines there are the author's) */
function insideFence(text, offset) {
  const before = text.slice(0, offset).split("\n");
  let open = null;
  for (const line of before) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (!fence) { continue; }
    if (open === null) { open = fence[1][0]; } else if (fence[1][0] === open) { open = null; }
  }
  return open !== null;
}

/** The round trip, for the tests: what the editor would store for this text. */
export function roundTrip(markdown, converter = createConverter()) {
  return converter.serialize(converter.parse(markdown));
}
