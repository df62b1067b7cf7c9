"""One date format on every page, following the launch's locale."""

from __future__ import annotations

from datetime import date

import pytest

from lti_tool.dates import parse_locale
from tests.conftest import LtiFlow
from tests.tasks.helpers import COURSE_1, INSTRUCTOR, course_space, person, task


@pytest.mark.parametrize(("locale", "shown", "lang"), [
    ("en-US", "Mar 31, 2030", "en-US"),
    ("en-GB", "31 Mar 2030", "en-GB"),
    ("de", "31.03.2030", "de"),
    (None, "31 Mar 2030", "en-GB"),  # no locale in the launch: British English
    ("xx-nonsense", "31 Mar 2030", "en-GB"),
])
def test_task_dates_follow_the_launch_locale(app, platform, client, locale, shown, lang):
    presentation = {"document_target": "iframe"} | ({"locale": locale} if locale else {})
    LtiFlow(client, platform).launch(sub="teacher-1", name="Ada Teacher", roles=[INSTRUCTOR],
                                     context=COURSE_1, launch_presentation=presentation)
    task(course_space(), "Mark the tests", person("teacher-1"), date(2030, 3, 31))
    page = client.get("/courses/1/tasks/").get_data(as_text=True)
    assert f"Due <time datetime=\"2030-03-31\">{shown}</time>" in page
    assert f'<html lang="{lang}">' in page


def test_locales_are_read_as_the_lms_writes_them():
    assert parse_locale("en-GB") == "en_GB"
    assert parse_locale("pt_BR") == "pt_BR"
    assert parse_locale("fr") == "fr"
    for bad in ("", None, "x" * 40, "../../etc", "en-GB\x00"):
        assert parse_locale(bad) is None
