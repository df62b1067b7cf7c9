"""Everyday rough edges (issue 16), each with the test that keeps it smooth.

The page-not-found page inside the frame offers a way back to the course; task
buttons on the dashboard come back to the dashboard, also when it is the answer to
the launch itself; ``make run`` says how to create the first administrator; the
README's opening says which features exist today. (Links in new tabs:
tests/test_markdown.py; the template chooser's cards: tests/browser/test_rough_edges.py.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.tasks.models import Task
from tests.conftest import LtiFlow
from tests.tasks.helpers import COURSE_1, INSTRUCTOR, course_space, launch, person, post, task

ROOT = Path(__file__).resolve().parents[1]


def test_page_not_found_in_a_launched_course_leads_back_to_its_dashboard(app, platform):
    ada = launch(app, platform)
    for path in ("/courses/1/no-such-page", "/courses/1/spaces/999999/plans/1",
                 "/courses/1/discussion/comments/999999/edit"):
        resp = ada.get(path)
        assert resp.status_code == 404, path
        html = resp.get_data(as_text=True)
        assert "Page not found" in html
        assert '<a class="button" href="/courses/1/">Back to the course dashboard</a>' in html
        assert "open Staffroom again" not in html


@pytest.mark.parametrize("path", ["/courses/7/nothing", "/no-such-page", "/courses/²/x"])
def test_page_not_found_elsewhere_says_to_open_staffroom_from_the_course(app, platform, path):
    ada = launch(app, platform)
    resp = ada.get(path)
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "open Staffroom again from your course in your LMS" in html
    assert "Back to the course dashboard" not in html


def test_task_buttons_on_the_dashboard_come_back_to_it(app, platform):
    ada = launch(app, platform)
    mine = task(course_space(), "Mark the lab reports", person("teacher-1"), date.today())
    # The dashboard as the launch itself answers it (its address is /lti/launch) ...
    launched = LtiFlow(ada, platform).launch(sub="teacher-1", name="Ada Teacher",
                                             roles=[INSTRUCTOR], context=COURSE_1)
    html = launched.get_data(as_text=True)
    assert "Mark the lab reports" in html
    # ... and as a later visit shows it: every task button returns to the dashboard.
    for page in (html, ada.get("/courses/1/").get_data(as_text=True)):
        forms = re.findall(r'<form method="post" action="/courses/1/tasks/\d+/status".*?</form>',
                           page, re.DOTALL)
        assert forms
        for form in forms:
            assert '<input type="hidden" name="next" value="/courses/1/">' in form
        assert f"/courses/1/tasks/{mine.id}/edit?next=/courses/1/" in page
    resp = post(ada, f"/courses/1/tasks/{mine.id}/status", {"status": "doing",
                                                            "next": "/courses/1/"})
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/courses/1/"
    assert db.session.scalar(sa.select(Task.status)) == "doing"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_says_how_to_create_the_first_administrator():
    done = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                          timeout=30, check=True)
    said = "\n".join(line for line in done.stdout.splitlines() if line.startswith("echo "))
    assert "The admin page (/admin/) needs an administrator account first" in said
    assert "flask --app lti_tool admin create --username you" in said
    # The command it names exists, and says what it asks for.
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/flask --app lti_tool admin create --username you" in readme


def test_the_readme_opening_says_which_features_exist_today():
    opening = (ROOT / "README.md").read_text().split("\n\n")[1]
    # All three features are built: the opening names each, and none as coming.
    for feature in ("co-planning", "peer observation", "shared learner notes"):
        assert f"**{feature}**" in opening
    assert "being added" not in opening
    assert "coming" not in opening
