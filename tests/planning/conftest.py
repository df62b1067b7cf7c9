"""Planning fixtures: teachers (and others) as separate browsers that carry CSRF tokens.

CSRF protection stays on, as in production. Each request runs in its own
application context: the ``app`` fixture keeps one open for the whole test,
and Flask-WTF caches the CSRF token on ``g``, which would otherwise leak
between requests and between browsers.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from lti_tool.courses.models import Course
from lti_tool.extensions import db
from tests.conftest import LtiFlow
from tests.support.platform import TestPlatform

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
INSTRUCTOR = [LIS + "membership#Instructor"]
TA = [LIS + "membership/Instructor#TeachingAssistant"]
LEARNER = [LIS + "membership#Learner"]
COURSE_1 = {"id": "course-1", "label": "BIO 7", "title": "Biology Year 7"}
COURSE_2 = {"id": "course-2", "label": "CHEM 8", "title": "Chemistry Year 8"}
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Person:
    """One person's browser, launched from the LMS into one course."""

    def __init__(self, app: Flask, platform: TestPlatform, sub: str, name: str,
                 roles: list[str], context: dict[str, str]) -> None:
        self.app = app
        self.platform = platform
        self.sub = sub
        self.name = name
        self.client: FlaskClient = app.test_client()
        self.launch(roles=roles, context=context)

    def launch(self, roles: list[str] | None = None, context: dict[str, str] | None = None) -> None:
        """A (new) launch from the LMS, which also refreshes this person's course roles."""
        with self.app.app_context():
            LtiFlow(self.client, self.platform).launch(
                sub=self.sub, name=self.name, roles=roles or INSTRUCTOR,
                context=context or COURSE_1,
            )
        ctx_id = (context or COURSE_1)["id"]
        self.course_id = db.session.scalar(db.select(Course.id).filter_by(context_id=ctx_id))
        db.session.remove()

    @property
    def base(self) -> str:
        return f"/courses/{self.course_id}/spaces"

    def _request(self, method: str, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        with self.app.app_context():
            resp = self.client.open(url, method=method, **kwargs)
        db.session.remove()  # the test's own reads see what the request committed
        return resp

    def get(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self._request("GET", url, **kwargs)

    def token(self) -> str:
        """A valid CSRF token for this browser's session, made as Flask-WTF makes it.

        (Pages carry the same token in their forms; signing it here lets a test
        post as people whose pages hold no form, such as a refused learner.)
        """
        with self.client.session_transaction() as sess:
            raw = sess.get("csrf_token") or hashlib.sha1(os.urandom(64)).hexdigest()
            sess["csrf_token"] = raw
        return URLSafeTimedSerializer(self.app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             **kwargs: Any):  # type: ignore[no-untyped-def]
        payload = dict(data or {})
        if csrf:
            payload.setdefault("csrf_token", self.token())
        return self._request("POST", url, data=payload, **kwargs)

    def post_json(self, url: str, body: Any, *, csrf: bool = True):  # type: ignore[no-untyped-def]
        headers = {"X-CSRFToken": self.token()} if csrf else {}
        return self._request("POST", url, json=body, headers=headers)


@pytest.fixture
def people(app: Flask, platform: TestPlatform):  # type: ignore[no-untyped-def]
    """A factory: ``people("t2", "Bo Teacher", roles=TA, context=COURSE_2)``."""

    def make(sub: str, name: str, roles: list[str] | None = None,
             context: dict[str, str] | None = None) -> Person:
        return Person(app, platform, sub, name, roles or INSTRUCTOR, context or COURSE_1)

    return make


@pytest.fixture
def ada(people) -> Person:  # type: ignore[no-untyped-def]
    """The course's teacher."""
    return people("teacher-1", "Ada Teacher")


@pytest.fixture
def bo(people) -> Person:  # type: ignore[no-untyped-def]
    """A colleague teaching the same course."""
    return people("teacher-2", "Bo Colleague")


def page(resp) -> str:  # type: ignore[no-untyped-def]
    import html

    return html.unescape(resp.get_data(as_text=True))


def course_space_id(person: Person) -> int:
    """The course space's id, created by the person's first visit to the spaces page."""
    resp = person.get(person.base + "/")
    assert resp.status_code == 200, resp.status_code
    match = re.search(r'/spaces/(\d+)/"', resp.get_data(as_text=True))
    assert match
    return int(match.group(1))


def plan_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Cells and organisms", "kind": "unit", "starts_on": "", "ends_on": "",
        "course_id": "", "parent_id": "", "objectives": "", "tags": "", "body": "",
        "version": "", "draft_key": "new-unit",
    }
    data.update(overrides)
    return data


def create_plan(person: Person, space_id: int, **fields: Any) -> int:
    resp = person.post(f"{person.base}/{space_id}/plans/new", plan_form(**fields))
    assert resp.status_code == 303, page(resp)
    match = re.search(r"/plans/(\d+)", resp.headers["Location"])
    assert match
    return int(match.group(1))


def person_id(sub: str) -> int:
    from lti_tool.courses.models import Person as PersonRow

    pid = db.session.scalar(db.select(PersonRow.id).filter_by(sub=sub))
    assert pid is not None, sub
    return pid


def member_row(space_id: int, sub: str):  # type: ignore[no-untyped-def]
    from lti_tool.planning.models import SpaceMember

    return db.session.scalars(
        db.select(SpaceMember).filter_by(space_id=space_id, person_id=person_id(sub))
    ).one()


def create_team_space(owner: Person, name: str = "Year 7 science team") -> int:
    resp = owner.post(f"{owner.base}/new", {"name": name, "description": "Grade-level team"})
    assert resp.status_code == 303, page(resp)
    match = re.search(r"/spaces/(\d+)/", resp.headers["Location"])
    assert match
    return int(match.group(1))


def invite(owner: Person, space_id: int, *subs: str):  # type: ignore[no-untyped-def]
    return owner.post(
        f"{owner.base}/{space_id}/members",
        {"action": "invite", "invite-person_ids": [str(person_id(s)) for s in subs]},
    )


def answer(person: Person, space_id: int, accept: bool = True):  # type: ignore[no-untyped-def]
    member_id = member_row(space_id, person.sub).id
    db.session.remove()
    verb = "accept" if accept else "decline"
    return person.post(f"{person.base}/invitations/{member_id}/{verb}")


class StatementCounter:
    """Counts the SQL statements the engine runs inside a ``with`` block."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        import sqlalchemy as sa

        sa.event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        import sqlalchemy as sa

        sa.event.remove(db.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)
