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

Images (``![alt](url)``) are shown as links to the picture, never loaded: the
tool loads no asset from outside itself, and a same-origin "image" would make
every reader's browser request a page of the tool (opening a plan marks its
mentions seen) without a click.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.tasklists import tasklists_plugin


def _image_as_link(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    """``![alt](url)`` -> a link named by its alt text (or its address), never an <img>."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    title = token.attrGet("title")
    title_attr = f' title="{escape(title)}"' if title else ""
    return f'<a href="{escape(src)}"{title_attr}>{escape(alt)}</a>'


_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    # label=True wraps each checklist box in a <label> with its item text (an accessible name).
    .use(tasklists_plugin, label=True)
)
_md.add_render_rule("image", _image_as_link)
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
    "a": {"href", "title"},
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
    return value


def render(text: str, heading_offset: int = 0) -> Markup:
    """The plan's Markdown as sanitised HTML, ready for a template.

    ``heading_offset`` moves every heading down that many levels (at most to
    ``h6``), for text shown under a heading of its own: in the print view a
    lesson's ``## Starter`` sits below the lesson's title, not beside it.
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
    return Markup(cleaned)  # noqa: S704 - cleaned by nh3 against the allow-list above
