"""Observation fixtures: teachers as separate browsers (test clients) carrying CSRF tokens,
and helpers that take an observation through its cycle as people do, page by page."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.observations.models import Observation
from tests.planning.conftest import COURSE_1, COURSE_2, INSTRUCTOR, LEARNER, TA, Person, page

__all__ = ["COURSE_1", "COURSE_2", "INSTRUCTOR", "LEARNER", "TA", "Person", "page"]


@pytest.fixture
def people(app, platform):  # type: ignore[no-untyped-def]
    def make(sub: str, name: str, roles: list[str] | None = None,
             context: dict[str, str] | None = None) -> Person:
        return Person(app, platform, sub, name, roles or INSTRUCTOR, context or COURSE_1)

    return make


@pytest.fixture
def amara(people) -> Person:  # type: ignore[no-untyped-def]
    """The observee of most tests."""
    return people("teacher-1", "Amara Okafor")


@pytest.fixture
def tomasz(people) -> Person:  # type: ignore[no-untyped-def]
    """Her colleague in the same course, who observes."""
    return people("teacher-2", "Tomasz Nowak")


def base(person: Person) -> str:
    return f"/courses/{person.course_id}/observations"


def person_id(sub: str) -> int:
    from lti_tool.courses.models import Person as PersonRow

    pid = db.session.scalar(sa.select(PersonRow.id).filter_by(sub=sub))
    assert pid is not None, sub
    return pid


def template_id(person: Person, name: str = "Peer observation (non-evaluative)") -> int:
    resp = person.get(base(person) + "/new")
    assert resp.status_code == 200, resp.status_code
    match = re.search(r'<option [^>]*value="(\d+)"[^>]*>' + re.escape(name), page(resp))
    assert match, name
    return int(match.group(1))


def request_form(person: Person, colleague_sub: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "as_role": "observee", "colleague_id": str(person_id(colleague_sub)),
        "template_id": str(template_id(person)), "lesson_title": "Year 8 forces, period 3",
        "lesson_id": "", "scheduled_on": "", "message": "Could you watch my questioning?",
    }
    data.update(overrides)
    return data


def start(person: Person, colleague_sub: str, **overrides: Any) -> int:
    """``person`` asks ``colleague_sub`` (invites them to observe, by default); returns the id."""
    resp = person.post(base(person) + "/new", request_form(person, colleague_sub, **overrides))
    assert resp.status_code == 303, page(resp)[:3000]
    match = re.search(r"/observations/(\d+)$", resp.headers["Location"])
    assert match
    return int(match.group(1))


def observation(observation_id: int) -> Observation:
    db.session.expire_all()
    found = db.session.get(Observation, observation_id)
    assert found is not None
    return found


def move(person: Person, observation_id: int, to: str, version: int | None = None):  # type: ignore[no-untyped-def]
    if version is None:
        version = observation(observation_id).version
    db.session.remove()
    return person.post(f"{base(person)}/{observation_id}/move", {"to": to, "version": str(version)})


def autosave(person: Person, observation_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return person.post_json(f"{base(person)}/{observation_id}/autosave", body)


def ratings_of(observation_id: int) -> dict[str, str]:
    """criterion text -> criterion key of the observation's look-fors."""
    return {r.criterion: r.criterion_key for r in observation(observation_id).ratings}


def prompts_of(observation_id: int) -> dict[str, str]:
    return {p["label"]: p["key"]
            for p in observation(observation_id).template_version.structure["prompts"]}


def to_shared(observer: Person, observee: Person, *, notes: list[dict[str, Any]] | None = None,
              rating: str = "3") -> int:
    """An observation the observee asked for, accepted, started, filled and shared."""
    oid = start(observee, observer.sub)
    assert move(observer, oid, "scheduled").status_code == 303
    assert move(observer, oid, "in_progress").status_code == 303
    keys = ratings_of(oid)
    prompts = prompts_of(oid)
    body = {
        "version": observation(oid).version,
        "notes": notes if notes is not None else [
            {"key": "n1", "tag": "strength", "body": "Cold-calling drew in the back row",
             "at": "2026-12-01T09:05:00Z"}],
        "ratings": {key: {"rating": rating, "evidence": "Seen in the starter"}
                    for key in keys.values()},
        "answers": {prompts["What went well"]: "The **starter** hooked everyone."},
    }
    resp = autosave(observer, oid, body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert move(observer, oid, "shared").status_code == 303
    return oid
