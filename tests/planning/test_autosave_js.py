"""planning.js, run by node against a small fake DOM: what it sends, keeps and says.

The server side of autosave is tested in test_drafts.py; this checks the
browser side: the debounced POST with the CSRF header, the copy kept in
``localStorage`` when Staffroom cannot be reached (and let go once the server has
the draft), the status text, and that
restoring a browser copy also restores the version it was edited from (so the
save goes through the conflict check instead of overwriting a colleague).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "lti_tool" / "static" / name for name in ("shared.js", "planning.js")]
HARNESS = Path(__file__).parent / "js" / "autosave_harness.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run(scenario: str) -> dict:
    out = subprocess.run(
        [NODE, str(HARNESS), *map(str, SCRIPTS), scenario],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(out.stdout)


def test_a_change_is_posted_as_a_draft_with_the_csrf_header():
    result = run("online")
    (sent,) = result["fetches"]
    assert sent["url"] == "/courses/1/spaces/7/drafts"
    assert sent["method"] == "POST"
    assert sent["headers"]["X-CSRFToken"] == "signed-token"
    assert sent["body"]["plan_key"] == "plan-5"
    assert sent["body"]["base_version"] == 3
    assert sent["body"]["data"]["body"] == "a new sentence"
    assert result["status"].startswith("Saved as draft at ")
    assert result["offered"] is False  # nothing kept locally that differs from the form
    # The server holds the draft now: the browser's copy of the same text is let go, so the
    # next visit does not offer the same changes twice (server draft and browser copy).
    assert result["stored"] is None


def test_offline_the_draft_stays_in_this_browser_and_says_so():
    result = run("offline")
    assert result["status"].startswith("Offline — kept in this browser")
    assert result["stored"]["data"]["body"] == "a new sentence"
    assert result["stored"]["baseVersion"] == 3


def test_a_browser_copy_is_offered_and_restores_with_its_base_version():
    result = run("local-copy")
    assert result["offered"] is True
    assert result["restoredBody"] == "typed while offline"
    assert result["restoredVersion"] == "2"
    # The field says it changed, so that the document editor showing it shows the copy.
    assert result["restoredEvents"] == [{"type": "input", "bubbles": True}]
    assert result["fetches"][0]["body"]["base_version"] == 2
