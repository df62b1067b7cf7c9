"""Markdown of plans, rendered to HTML that is safe to show to the whole team.

Two layers, because a plan is written by one teacher and read by the others:

1. ``markdown-it-py`` in CommonMark mode with raw HTML *off* (typed ``<script>``
   shows as text), plus tables, strikethrough and task lists (``- [ ] …``);
   its link validator already refuses ``javascript:``, ``vbscript:`` and
   ``file:`` URLs.
2. ``nh3`` (ammonia) cleans the result against a strict allow-list: no
   ``script``/``style``/``iframe``, no ``on*`` or ``style`` attributes (table
   alignment is dropped: the CSP refuses inline styles anyway), only
   ``http``/``https``/``mailto`` URLs (no ``data:``), and every link gets
   ``rel="noopener noreferrer"``. Should layer 1 ever change behaviour, layer 2
   still holds.

A link to another site opens in a new tab (``target="_blank"``, with the
``rel`` above): inside the LMS frame it would replace Staffroom, and many sites
refuse to be framed at all. A link to a page of Staffroom itself (a path) opens
in the frame, where the course session lives.

Checklists
----------
:func:`task_items` finds the checklist items (``- [ ] …``) of a text in the
order the page shows their boxes, and :func:`set_task` ticks or unticks one by
changing only its ``[ ]`` in the source, so that a tick on a plan's page is a
one-character revision. :func:`render` can put a control of the caller's in
place of each box (the plan page's tick buttons).

Images (``![alt](url)``) are shown as links to the picture, never loaded: the
tool loads no asset from outside itself, and a same-origin "image" would make
every reader's browser request a page of the tool (opening a plan marks its
mentions seen) without a click.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.tasklists import tasklists_plugin

_ELSEWHERE = re.compile(r"^\s*https?://", re.IGNORECASE)


def opens_elsewhere(href: str | None) -> bool:
    """A link to another site (``http(s)://…``): it opens in a new tab, never in the frame."""
    return bool(href and _ELSEWHERE.match(href))


def _image_as_link(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    """``![alt](url)`` -> a link named by its alt text (or its address), never an <img>."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    title = token.attrGet("title")
    title_attr = f' title="{escape(title)}"' if title else ""
    target = ' target="_blank"' if opens_elsewhere(src) else ""
    return f'<a href="{escape(src)}"{title_attr}{target}>{escape(alt)}</a>'


def _link_open(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    if opens_elsewhere(str(token.attrGet("href") or "")):
        token.attrSet("target", "_blank")
    return self.renderToken(tokens, idx, options, env)


_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    # label=True wraps each checklist box in a <label> with its item text (an accessible name).
    .use(tasklists_plugin, label=True)
)
_md.add_render_rule("image", _image_as_link)
_md.add_render_rule("link_open", _link_open)
# A table wider than the page (a long address in a cell) scrolls on its own, not the page.
_md.add_render_rule("table_open", lambda *args: '<div class="table-scroll"><table>\n')
_md.add_render_rule("table_close", lambda *args: "</table></div>\n")

ALLOWED_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "ul", "ol", "li", "strong", "em", "s", "del", "code", "pre",
        "table", "thead", "tbody", "tr", "th", "td", "input", "label", "div",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "ol": {"start"},
    "ul": {"class"},
    "div": {"class"},
    "li": {"class"},
    "input": {"type", "checked", "disabled", "class"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_CLASSES = {"contains-task-list", "task-list-item", "task-list-item-checkbox", "table-scroll"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Keep only the attribute values the Markdown renderer itself produces."""
    if attribute == "class":
        kept = " ".join(c for c in value.split() if c in _CLASSES)
        return kept or None
    if tag == "input" and attribute == "type":
        return value if value == "checkbox" else None
    if attribute == "target":
        return value if value == "_blank" else None
    return value


def render(text: str, heading_offset: int = 0,
           task_control: Callable[[TaskItem], Markup] | None = None) -> Markup:
    """The plan's Markdown as sanitised HTML, ready for a template.

    ``heading_offset`` moves every heading down that many levels (at most to
    ``h6``), for text shown under a heading of its own: in the print view a
    lesson's ``## Starter`` sits below the lesson's title, not beside it.
    ``task_control``, given a checklist item, returns the markup that replaces
    its (disabled) box: a control the caller built and escaped.
    """
    tokens = _md.parse(text or "")
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1:]) + heading_offset, 6)}"
    html = _md.renderer.render(tokens, _md.options, {})
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    if task_control is not None:
        cleaned = _replace_boxes(cleaned, text, task_control)
    return Markup(cleaned)  # noqa: S704 - cleaned by nh3 against the allow-list above


# --- checklists ---------------------------------------------------------------------------

# Typed HTML is shown as text, so an <input> in the cleaned HTML is one the renderer made.
_BOX = re.compile(r'<input class="task-list-item-checkbox"[^>]*>')
# A task item's first line: quote markers and indentation, the list marker, then "[ ]".
_TASK_LINE = re.compile(r"^((?:[ \t]*>)*[ \t]*(?:[-+*]|[0-9]{1,9}[.)])[ \t]+)\[([ xX])\]")


@dataclass(frozen=True)
class TaskItem:
    """One checklist item of a text, as its page shows it."""

    index: int
    """Its place among the text's checklist items (0: the first box on the page)."""
    line: int
    """The line of the source it starts on (0-based)."""
    checked: bool
    text: str
    """Its words as plain text (formatting dropped, spaces collapsed)."""


def _plain(children: list) -> str:  # type: ignore[type-arg]
    words = []
    for child in children:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif child.children:
            words.append(_plain(child.children))
    return " ".join("".join(words).split())


def task_items(text: str) -> list[TaskItem]:
    """The checklist items of a Markdown text, in the order of their boxes on the page."""
    tokens = _md.parse(text or "")
    items: list[TaskItem] = []
    for position, token in enumerate(tokens):
        if token.type != "list_item_open" or "task-list-item" not in str(
            token.attrGet("class") or ""
        ):
            continue
        inline = next((t for t in tokens[position + 1:position + 3] if t.type == "inline"), None)
        if inline is None or token.map is None:
            continue
        children = inline.children or []
        box = next((c for c in children if c.type == "html_inline" and "checkbox" in c.content),
                   None)
        items.append(TaskItem(
            index=len(items), line=token.map[0],
            checked=box is not None and "checked" in box.content,
            text=_plain(children),
        ))
    return items


def find_task(text: str, index: int, words: str) -> TaskItem | None:
    """The item a page showed as box ``index`` with ``words``, in the text as it is now.

    A colleague may have added or removed items since the page was loaded: then the
    item with those words is meant (the one nearest its old place, if several have
    them). None when no item has those words any more.
    """
    items = task_items(text)
    wanted = " ".join((words or "").split())
    if 0 <= index < len(items) and items[index].text == wanted:
        return items[index]
    same = [item for item in items if item.text == wanted]
    if not same:
        return None
    return min(same, key=lambda item: (abs(item.index - index), item.index))


def set_task(text: str, item: TaskItem, checked: bool) -> str:
    """The text with this item ticked (``[x]``) or not (``[ ]``); nothing else changes."""
    lines = text.split("\n")
    if not 0 <= item.line < len(lines):
        raise ValueError("the checklist item is not in this text")
    match = _TASK_LINE.match(lines[item.line])
    if match is None:
        raise ValueError("the checklist item is not in this text")
    mark = "x" if checked else " "
    start = match.start(2)
    lines[item.line] = lines[item.line][:start] + mark + lines[item.line][start + 1:]
    return "\n".join(lines)


def _replace_boxes(html: str, text: str, control: Callable[[TaskItem], Markup]) -> str:
    items = task_items(text)
    boxes = _BOX.findall(html)
    if len(boxes) != len(items):  # never expected: then the boxes stay as they are
        return html
    counter = iter(items)
    return _BOX.sub(lambda _match: str(control(next(counter))), html)
