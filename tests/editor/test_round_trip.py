"""The editor stores Markdown: what it writes back means what the text meant.

The built bundle's own converter (the code the browser runs, run here by node)
opens each text and writes it out again, as the editor does when a teacher
changes one word of a plan. The result must render, with Staffroom's renderer
(lti_tool/markdown.py), to the same HTML as the text did: no table, checklist,
link or heading lost or gained, nothing typed turned into formatting. The ready
templates come back byte for byte, and a second round changes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lti_tool.markdown import render, task_items
from lti_tool.planning.builtin_templates import BUILTIN_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "lti_tool" / "static" / "editor" / "editor.js"
HARNESS = Path(__file__).parent / "js" / "round_trip.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

# What teachers write, and what the tests of the renderer use (tests/test_markdown.py).
SAMPLES = [
    "## Success criteria\n\n- [ ] I can name the parts\n- [x] I can draw a cell\n\n"
    "| Criterion | Evidence |\n|:--|--:|\n| Names | Quiz |\n",
    "See [the rubric](https://school.example/rubric) or [me](mailto:a@b.example).\n",
    "[x](https://ok.example \"A title\") and ![the class photo](https://school.example/p.jpg)\n",
    "# Unit\n## Starter\n###### Deepest\n",
    "- [ ] Book the lab\n- [x] Print worksheets\n  - [ ] nested under it\n",
    "1. one\n2. two\n\n   a second paragraph in two\n3. three\n",
    "7. seven\n8. eight\n",
    "> A quote\n> on two lines\n\nAfter it.\n",
    "Some **bold**, *italic*, ***both***, `code`, ~~struck~~ and a hard  \nbreak.\n",
    "```\ncode block\n\n\n  keeps its spaces\n```\n",
    "---\n\nAbove was a rule.\n",
    "| a | b |\n|---|---|\n| pipe \\| inside | `x` |\n| **bold** | [l](https://x.example) |\n",
    # Text that only looks like syntax stays text.
    "\\# not a heading\n\n1\\. not a list\n\n\\- not a bullet\n\n\\> not a quote\n",
    "snake_case and 2 * 3 and a_b_c, price 5$ & Tom &amp; Jerry\n",
    "Typed HTML <b>stays text</b> and <script>alert(1)</script>, a < b > c.\n",
    "A bare address https://school.example stays text.\n",
    "Mention @Ada Teacher and mail me@school.example.\n",
    "Line one\nline two of the same paragraph\n",
    "\\[ ] not a checklist item\n",
    # What the renderer's hostile tests feed it (tests/test_markdown.py).
    "<img src=x onerror=alert(1)>\n",
    "[click](javascript:alert(1))\n",
    "<div onclick=\"alert(1)\" style=\"position:fixed\">raw</div>\n",
    "[x](https://ok.example \"title\" onmouseover=alert(1))\n",
]
TEMPLATE_TEXTS = [(f"{t.key}:{part}", getattr(t, part)) for t in BUILTIN_TEMPLATES
                  for part in ("objectives", "body")]


def _html(text: str) -> str:
    """Rendered HTML with the spacing between tags made uniform."""
    html = str(render(text))
    return re.sub(r">\s+<", "><", html).strip()


@pytest.fixture(scope="module")
def converted() -> dict:
    texts = SAMPLES + [text for _, text in TEMPLATE_TEXTS]
    out = subprocess.run(
        [NODE, str(HARNESS), str(BUNDLE)], input=json.dumps(texts),
        capture_output=True, text=True, timeout=60, check=True,
    )
    body = json.loads(out.stdout)
    return {"by_text": dict(zip(texts, body["results"], strict=True)),
            "unmatched": body["unmatched"]}


@pytest.mark.parametrize("text", SAMPLES + [text for _, text in TEMPLATE_TEXTS],
                         ids=[f"sample-{i}" for i in range(len(SAMPLES))]
                         + [name for name, _ in TEMPLATE_TEXTS])
def test_a_text_written_back_by_the_editor_renders_the_same(converted, text):
    result = converted["by_text"][text]
    assert _html(result["once"]) == _html(text), result["once"]
    # Opening and saving again changes nothing more: history shows only real edits.
    assert result["twice"] == result["once"]


@pytest.mark.parametrize(("name", "text"), TEMPLATE_TEXTS, ids=[n for n, _ in TEMPLATE_TEXTS])
def test_the_ready_templates_come_back_as_written(converted, name, text):
    once = converted["by_text"][text]["once"]
    if name == "unit:objectives":
        # "…able to:\n- …": the editor puts the blank line Markdown allows before a list.
        assert once == text.replace(":\n- ", ":\n\n- ", 1)
    else:
        assert once == text


def test_tables_and_checklists_survive_with_their_state(converted):
    text = SAMPLES[0]
    once = converted["by_text"][text]["once"]
    assert "| Criterion | Evidence |\n|:---|---:|\n| Names | Quiz |" in once
    assert [(i.text, i.checked) for i in task_items(once)] == [
        ("I can name the parts", False), ("I can draw a cell", True)]


def test_text_that_looks_like_syntax_is_escaped_only_where_needed(converted):
    once = converted["by_text"][SAMPLES[13]]["once"]
    assert "snake_case" in once  # an underscore inside a word is no emphasis
    assert "2 \\* 3" in once
    assert "Tom & Jerry" in once  # "&" that starts no entity stays as typed
    html = converted["by_text"][SAMPLES[14]]["once"]
    assert "\\<b>stays text\\</b>" in html
    assert "a < b > c" in html


def test_the_editor_flags_the_same_unmatched_mentions_as_the_server(converted):
    from lti_tool.courses.registry import AudienceMember
    from lti_tool.discussion.services import unmatched_mentions

    class P:
        def __init__(self, pid: int, name: str) -> None:
            self.id, self.display_name = pid, name

    members = [AudienceMember(P(1, "Ada Teacher")), AudienceMember(P(2, "Ada"))]
    text = "Hi @ada teacher, @Bob! me@mail.example @ben-jones. @Ada"
    assert unmatched_mentions(text, members) == ["@Bob", "@ben-jones"]
    assert converted["unmatched"] == ["@Bob", "@ben-jones"]
