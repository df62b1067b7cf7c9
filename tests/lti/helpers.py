"""Assertions shared by the login and launch tests."""

from __future__ import annotations

import html

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db


def row_counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(db.select(db.func.count()).select_from(model))
        for model in (Person, Course, Membership)
    )


def assert_refused(resp, status: int, code: str, text: str) -> None:
    """A refusal: the HTTP status, the reason code and message on the page, nothing written."""
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == status, body
    assert f"<code>{code}</code>" in body, body
    assert text in body, body
    assert row_counts() == (0, 0, 0)
