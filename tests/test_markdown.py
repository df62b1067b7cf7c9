"""Plan Markdown: what teachers write renders; what an attacker writes does not run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lti_tool.markdown import ALLOWED_TAGS, render


class Elements(HTMLParser):
    """Every element and attribute the browser would build from the rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.found.append((tag, dict(attrs)))

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<style>body{display:none}</style>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<div onclick=\"alert(1)\" style=\"position:fixed\">raw</div>",
    "[x](vbscript:msgbox(1))",
    "<svg onload=alert(1)></svg>",
    "<details open ontoggle=alert(1)>",
    "[x](https://ok.example \"title\" onmouseover=alert(1))",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_nothing_active(source):
    html = render(source)
    for tag, attrs in Elements(html).found:
        assert tag in ALLOWED_TAGS, (source, html)
        assert tag not in {"script", "style", "iframe", "svg", "div", "details"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (source, html)
            assert name != "style", (source, html)
            if name in ("href", "src"):
                assert (value or "").split(":")[0].lower() in {"http", "https", "mailto"}, html
    # What was typed is still there for the team to see, as text.
    assert "<script>" not in html
    assert "<style>" not in html


def test_raw_html_is_shown_as_text_not_run():
    html = render("Before <script>alert(1)</script> after")
    assert "&lt;script&gt;" in html
    assert "<script>" not in html


def test_links_to_other_sites_open_in_a_new_tab_with_rel_noopener():
    html = render("See [the rubric](https://school.example/rubric) or [me](mailto:a@b.example)"
                  " or [HTTP](HTTP://old.example/) or the [unit](/courses/1/spaces/2/plans/3).")
    link = ('<a href="https://school.example/rubric" target="_blank" rel="noopener noreferrer">'
            "the rubric</a>")
    assert link in html
    assert '<a href="HTTP://old.example/" target="_blank" rel="noopener noreferrer">' in html
    # An e-mail address opens the mail program; a page of Staffroom stays in the LMS frame,
    # where the course session is (a new tab of the tool has none).
    assert '<a href="mailto:a@b.example" rel="noopener noreferrer">me</a>' in html
    assert '<a href="/courses/1/spaces/2/plans/3" rel="noopener noreferrer">unit</a>' in html


@pytest.mark.parametrize("target", ["_self", "_top", "_parent", "frame", "_blank\" onclick=\"x"])
def test_a_typed_target_never_survives(target):
    html = str(render(f'<a href="https://x.example" target="{target}">x</a> [y](/here)'))
    links = [attrs for tag, attrs in Elements(html).found if tag == "a"]
    assert links == [{"href": "/here", "rel": "noopener noreferrer"}], html


def test_comment_links_open_in_a_new_tab_too():
    from lti_tool.discussion.services import render_body

    html = str(render_body("[notes](https://school.example/n) @Nobody", []))
    assert ('<a href="https://school.example/n" target="_blank" rel="noopener noreferrer">'
            "notes</a>") in html


def test_tables_checklists_and_headings_render():
    html = render(
        "## Success criteria\n\n- [ ] I can name the parts\n- [x] I can draw a cell\n\n"
        "| Criterion | Evidence |\n|:--|--:|\n| Names | Quiz |\n"
    )
    assert "<h2>Success criteria</h2>" in html
    assert 'type="checkbox"' in html
    assert 'checked="checked"' in html
    assert "disabled" in html
    assert "<table>" in html
    assert "<td>Names</td>" in html
    assert "style=" not in html  # column alignment would need inline styles, which the CSP refuses


def test_empty_body_renders_empty():
    assert render("") == ""


def test_checklist_boxes_are_labelled_by_their_item_text():
    from lti_tool.markdown import render

    html = str(render("- [ ] Book the lab\n- [x] Print worksheets"))
    box = '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox">'
    assert f"<label>{box} Book the lab</label>" in html
    assert "checked" in html


def test_headings_can_be_moved_down_under_a_title_of_their_own():
    html = str(render("# Unit\n## Starter\n###### Deepest", heading_offset=1))
    assert "<h2>Unit</h2>" in html
    assert "<h3>Starter</h3>" in html
    assert "<h6>Deepest</h6>" in html
    assert "<h2>Starter</h2>" in str(render("## Starter"))


@pytest.mark.parametrize(
    ("source", "link"),
    [
        ("![the class photo](https://school.example/photo.jpg)",
         '<a href="https://school.example/photo.jpg" target="_blank" rel="noopener noreferrer">'
         "the class photo</a>"),
        # A same-origin "image" would make every reader's browser open that page unasked.
        ("![x](/courses/1/spaces/1/plans/2)",
         '<a href="/courses/1/spaces/1/plans/2" rel="noopener noreferrer">x</a>'),
        ("![](https://school.example/p.png \"Pond\")",
         '<a href="https://school.example/p.png" title="Pond" target="_blank" '
         'rel="noopener noreferrer">https://school.example/p.png</a>'),
    ],
)
def test_images_are_links_never_loaded(source, link):
    html = str(render(source))
    assert "<img" not in html
    assert link in html


def test_image_alt_text_is_escaped():
    html = str(render('![<b>"x"</b> & y](https://school.example/p.png)'))
    assert "<b>" not in html
    assert "&amp; y</a>" in html


def test_a_table_is_wrapped_so_that_it_scrolls_on_its_own():
    html = str(render("| Day | Activity |\n|---|---|\n| Mon | Intro |"))
    assert html.startswith('<div class="table-scroll"><table>')
    assert html.rstrip().endswith("</table></div>")
    assert "<th>Day</th>" in html


def test_a_typed_div_is_still_text():
    html = str(render('<div class="table-scroll">x</div>'))
    assert "<div" not in html
