"""Fixtures of the tasks and discussion tests."""

from __future__ import annotations

import pytest

from tests.tasks.helpers import COURSE_2, launch


@pytest.fixture
def team(app, platform):
    """Ada and Ben teach course 1; Cy teaches course 2 only."""
    ada = launch(app, platform)
    ben = launch(app, platform, sub="teacher-2", name="Ben Colleague")
    cy = launch(app, platform, sub="teacher-3", name="Cy Other", context=COURSE_2)
    return ada, ben, cy
