"""Roster sync: People and Memberships brought in line with the platform's NRPS roster.

The platform is served over real HTTP (tests.lti.test_services.ServiceServer);
the pages are the Canvas and Moodle fixtures.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.courses import roster
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.roster import RosterSyncResult, RosterUnavailableError, sync_roster
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.errors import ServiceError
from lti_tool.lti.models import Platform
from tests.conftest import landed_in
from tests.support.platform import load_fixture
from tests.support.services import ServiceServer, register_with_services
from tests.support.sql import count_statements

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CANVAS_HOST = "https://northwind.instructure.com"
CANVAS_PATH = "/api/lti/courses/4812/names_and_roles"
MOODLE_HOST = "https://learn.riverbend.example.ac.uk"
MOODLE_PATH = "/mod/lti/services.php/CourseSection/58/bindings/7/memberships"
JORDAN = "5f0c8e2a-7b3d-4c1e-9a6f-2d8b0e4c7a13"
PRIYA = "c8a6e4d2-0f9b-4a7c-b5e3-d1f9b7a5c3e1"
AMARA = "b2e4d6f8-1a3c-4e5b-8d7f-9c0a2b4d6e8f"


@pytest.fixture
def registration(app, key_server, services) -> Platform:
    return register_with_services(key_server, services)


def make_course(platform: Platform, services: ServiceServer, path: str = "/roster",
                context_id: str = "course-1") -> Course:
    course = Course(platform_id=platform.id, context_id=context_id, title="Chemistry",
                    nrps_url=services.url(path))
    db.session.add(course)
    db.session.commit()
    return course


def member(user_id: str, *roles: str, status: str = "Active", **fields: Any) -> dict[str, Any]:
    return {"status": status, "user_id": user_id, "roles": list(roles), **fields}


def serve_roster(services: ServiceServer, members: list[dict[str, Any]],
                 path: str = "/roster") -> None:
    """One roster page at the URL sync_roster asks for (the course URL + ``limit``)."""
    services.serve(f"{path}?limit={roster.PAGE_SIZE}", {"id": path, "members": members})


def serve_canvas(services: ServiceServer) -> None:
    """The Canvas fixture page, then a last page with one more learner."""
    page = json.loads(json.dumps(load_fixture("nrps-page-canvas")).replace(
        CANVAS_HOST, services.base))
    services.serve(f"{CANVAS_PATH}?limit={roster.PAGE_SIZE}", page["body"], page["headers"])
    services.serve(f"{CANVAS_PATH}?page=2&per_page=3",
                   {"members": [member("canvas-learner-4", LIS + "membership#Learner")]},
                   {"Link": f'<{services.url(CANVAS_PATH)}?page=1&per_page=3>; rel="first"'})


def memberships(course: Course) -> dict[str, Membership]:
    rows = db.session.execute(
        sa.select(Person.sub, Membership).join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id)
    ).all()
    return {sub: m for sub, m in rows}


def person(sub: str) -> Person:
    return db.session.scalars(sa.select(Person).filter_by(sub=sub)).one()


def snapshot() -> list[tuple[Any, ...]]:
    """Every Person and Membership row, to prove that nothing was written."""
    db.session.expire_all()
    people = db.session.execute(
        sa.select(Person.sub, Person.name, Person.email).order_by(Person.sub)).all()
    links = db.session.execute(
        sa.select(Membership.course_id, Membership.person_id, Membership.roles,
                  Membership.active, Membership.source).order_by(Membership.id)).all()
    return [tuple(r) for r in people] + [tuple(r) for r in links]


def add_member(course: Course, sub: str, roles: str = "instructor", *, active: bool = True,
               name: str | None = None, email: str | None = None) -> Membership:
    """A membership as a launch would have recorded it."""
    found = db.session.scalars(
        sa.select(Person).filter_by(platform_id=course.platform_id, sub=sub)).first()
    someone = found or Person(platform_id=course.platform_id, sub=sub, name=name, email=email)
    link = Membership(course_id=course.id, person=someone, roles=roles,
                      is_staff=roles != "learner", is_learner=roles == "learner",
                      active=active, source="launch")
    db.session.add(link)
    db.session.commit()
    return link


# --- upserts -----------------------------------------------------------------------------


def test_sync_adds_people_and_memberships_from_canvas_pages(registration, services):
    serve_canvas(services)
    course = make_course(registration, services, CANVAS_PATH)

    result = sync_roster(course)

    assert result == RosterSyncResult(added=4, updated=0, deactivated=0, unchanged=0)
    found = memberships(course)
    assert set(found) == {JORDAN, PRIYA, AMARA, "canvas-learner-4"}
    assert (found[JORDAN].roles, found[JORDAN].is_staff, found[JORDAN].is_learner) == (
        "instructor", True, False)
    assert (found[PRIYA].roles, found[PRIYA].is_staff) == ("teaching_assistant", True)
    assert (found[AMARA].roles, found[AMARA].is_staff, found[AMARA].is_learner) == (
        "learner", False, True)
    assert all(m.active and m.source == "nrps" for m in found.values())
    jordan = person(JORDAN)
    assert (jordan.name, jordan.given_name, jordan.family_name, jordan.email) == (
        "Jordan Rivera", "Jordan", "Rivera", "j.rivera@northwind.example.edu")
    assert jordan.platform_id == registration.id
    # Rows inserted in bulk still get their column defaults.
    assert jordan.created_at is not None
    assert jordan.updated_at is not None
    assert found[JORDAN].updated_at is not None
    assert found[JORDAN].last_launch_at is None
    # The page size asked for, and every page read with one token.
    assert services.service_requests[0].path == f"{CANVAS_PATH}?limit={roster.PAGE_SIZE}"
    assert len(services.token_requests) == 1


def test_sync_moodle_short_roles_and_admins(registration, services):
    page = json.loads(json.dumps(load_fixture("nrps-page-moodle")).replace(
        MOODLE_HOST, services.base))
    page["headers"]["Link"] = f'<{services.url(MOODLE_PATH)}?limit=100&from=100>; rel="next"'
    services.serve(f"{MOODLE_PATH}?limit=100", page["body"], page["headers"])
    services.serve(f"{MOODLE_PATH}?limit=100&from=100", {"members": [
        member("2", LIS + "person#Administrator", "Instructor"),
        member("3", LIS + "person#Administrator"),
    ]})
    course = make_course(registration, services, MOODLE_PATH)

    assert sync_roster(course).added == 4

    found = memberships(course)
    assert (found["318"].roles, found["318"].is_staff, found["318"].active) == (
        "instructor", True, True)
    assert (found["1207"].roles, found["1207"].is_learner, found["1207"].active) == (
        "learner", True, True)
    assert (found["2"].roles, found["2"].is_staff, found["2"].active) == (
        "instructor", True, True)
    # A site administrator with no course role is not a member of the course.
    assert (found["3"].roles, found["3"].is_staff, found["3"].active) == ("", False, False)


def test_sync_never_erases_a_known_name_with_a_missing_one(registration, services):
    course = make_course(registration, services)
    add_member(course, "318", name="Morgan Okafor", email="old@riverbend.example.ac.uk")
    serve_roster(services, [
        member("318", "Instructor", email="m.okafor@riverbend.example.ac.uk", name=""),
    ])

    result = sync_roster(course)

    assert result == RosterSyncResult(added=0, updated=1, deactivated=0, unchanged=0)
    morgan = person("318")
    assert morgan.name == "Morgan Okafor"
    assert morgan.email == "m.okafor@riverbend.example.ac.uk"
    assert memberships(course)["318"].source == "nrps"


def test_sync_updates_roles_and_reactivates(registration, services):
    course = make_course(registration, services)
    add_member(course, "ta", "learner")
    add_member(course, "back", "instructor", active=False)
    serve_roster(services, [
        member("ta", LIS + "membership/Instructor#TeachingAssistant"),
        member("back", LIS + "membership#Instructor"),
    ])

    result = sync_roster(course)

    assert result == RosterSyncResult(added=0, updated=2, deactivated=0, unchanged=0)
    found = memberships(course)
    assert (found["ta"].roles, found["ta"].is_staff, found["ta"].is_learner) == (
        "teaching_assistant", True, False)
    assert found["back"].active is True


def test_sync_deactivates_inactive_deleted_and_unlisted_members(registration, services):
    course = make_course(registration, services)
    for sub in ("stays", "inactive", "deleted", "gone", "gone-already"):
        add_member(course, sub, active=sub != "gone-already")
    serve_roster(services, [
        member("stays", "Instructor"),
        member("inactive", "Instructor", status="Inactive"),
        member("deleted", "Instructor", status="Deleted"),
    ])

    result = sync_roster(course)

    assert result == RosterSyncResult(added=0, updated=0, deactivated=3, unchanged=1)
    found = memberships(course)
    assert {sub for sub, m in found.items() if m.active} == {"stays"}
    assert found["gone"].source == "nrps"
    assert found["gone"].roles == "instructor"  # what they were is kept; access is not
    assert found["gone-already"].source == "launch"  # untouched


def test_second_sync_changes_nothing(registration, services):
    serve_canvas(services)
    course = make_course(registration, services, CANVAS_PATH)
    sync_roster(course)
    before = snapshot()

    result = sync_roster(course)

    assert result == RosterSyncResult(added=0, updated=0, deactivated=0, unchanged=4)
    assert snapshot() == before


def test_sync_touches_only_this_course(registration, services):
    course = make_course(registration, services)
    other = make_course(registration, services, "/other", context_id="course-2")
    add_member(other, "elsewhere")
    add_member(other, "both")
    serve_roster(services, [member("both", "Learner", name="Both")])

    sync_roster(course)

    assert all(m.active for m in memberships(other).values())
    assert memberships(other)["both"].roles == "instructor"
    assert memberships(course)["both"].roles == "learner"
    # One Person per platform user, shared by both courses.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2


def test_removed_teacher_loses_access_to_the_course(lti, platform, services, client):
    resp = lti.launch()  # teacher-1, Instructor in course-1
    course_url = landed_in(resp)
    assert client.get(course_url).status_code == 200

    row = db.session.scalars(sa.select(Platform)).one()
    row.auth_token_url = services.url("/token")
    course = db.session.scalars(sa.select(Course)).one()
    course.nrps_url = services.url("/roster")
    db.session.commit()
    serve_roster(services, [member("teacher-2", "Instructor")])

    assert sync_roster(course).deactivated == 1

    assert client.get(course_url).status_code == 403


# --- nothing written on failure ---------------------------------------------------------


@pytest.mark.parametrize(("where", "status"), [("token", 500), ("token", 401), ("page", 500)])
def test_platform_error_writes_nothing(registration, services, where, status):
    course = make_course(registration, services)
    add_member(course, "teacher", name="Known")
    serve_roster(services, [member("new-1", "Instructor", name="Renamed")])
    if where == "token":
        services.token_status = status
    else:
        services.serve(f"/roster?limit={roster.PAGE_SIZE}", {"error": "x"}, status=status)
    before = snapshot()

    with pytest.raises(ServiceError) as caught:
        sync_roster(course)

    assert caught.value.code == ("S1" if where == "token" else "S2")
    assert f"HTTP {status}" in caught.value.message
    assert snapshot() == before
    assert memberships(course)["teacher"].active is True


def test_database_error_part_way_writes_nothing(registration, services, monkeypatch):
    course = make_course(registration, services)
    add_member(course, "teacher", name="Known")
    serve_roster(services, [
        member("teacher", "Learner", name="Renamed"),
        member("new-1", "Instructor"),
        member("new-2", "Instructor"),
    ])
    before = snapshot()
    real = roster._membership
    calls = []

    def failing(*args: Any) -> Membership:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args)

    monkeypatch.setattr(roster, "_membership", failing)
    with pytest.raises(RuntimeError, match="database went away"):
        sync_roster(course)
    assert snapshot() == before


def test_person_added_by_a_concurrent_launch_does_not_break_the_sync(registration, services):
    course = make_course(registration, services)
    serve_roster(services, [member("new-1", "Instructor", name="From roster")])
    launched = []

    def launch_meanwhile(conn, cursor, statement, *args: Any) -> None:
        # Another worker records a launch of the same person, on its own connection,
        # after this sync read the people and just before it inserts them.
        if statement.startswith("INSERT INTO person") and not launched:
            launched.append(statement)
            with db.engine.begin() as other:
                other.execute(sa.insert(Person), {"platform_id": registration.id,
                                                  "sub": "new-1", "name": "From launch"})

    sa.event.listen(db.engine, "before_cursor_execute", launch_meanwhile)
    try:
        result = sync_roster(course)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", launch_meanwhile)

    assert len(launched) == 1
    assert result == RosterSyncResult(added=1, updated=0, deactivated=0, unchanged=0)
    assert person("new-1").name == "From roster"
    assert memberships(course)["new-1"].active is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1


def test_empty_roster_is_refused(registration, services):
    course = make_course(registration, services)
    add_member(course, "teacher")
    serve_roster(services, [])
    before = snapshot()
    with pytest.raises(ServiceError, match="empty roster for Chemistry; nothing was changed"):
        sync_roster(course)
    assert snapshot() == before


def test_course_without_roster_url_cannot_sync(registration, services):
    course = make_course(registration, services)
    course.nrps_url = None
    db.session.commit()
    with pytest.raises(RosterUnavailableError, match="no Names and Roles service URL"):
        sync_roster(course)
    assert services.requests == []


def test_course_of_a_disabled_platform_cannot_sync(registration, services):
    course = make_course(registration, services)
    registration.active = False
    db.session.commit()
    with pytest.raises(RosterUnavailableError, match="not registered or is disabled"):
        sync_roster(course)
    assert services.requests == []


# --- no N+1 ------------------------------------------------------------------------------


def _statements_for(platform: Platform, services: ServiceServer, size: int) -> list[int]:
    """SQL statements of a first sync (all new) and a second (all changed, one gone)."""
    path = f"/roster-{size}"
    course = make_course(platform, services, path, context_id=f"course-{size}")
    people = [member(f"{size}-{i}", "Learner", name=f"P{i}") for i in range(size)]
    serve_roster(services, people, path)
    counts = []
    with count_statements() as first:
        assert sync_roster(course).added == size
    counts.append(len(first))

    changed = [member(f"{size}-{i}", "Instructor", name=f"Q{i}") for i in range(size - 1)]
    serve_roster(services, changed, path)
    course = db.session.get(Course, course.id)
    with count_statements() as second:
        result = sync_roster(course)
    assert result == RosterSyncResult(added=0, updated=size - 1, deactivated=1, unchanged=0)
    counts.append(len(second))
    return counts


def test_query_count_does_not_grow_with_roster_size(registration, services):
    keys.signing_key()  # generated once, outside the measurement
    small = _statements_for(registration, services, 5)
    large = _statements_for(registration, services, 50)
    assert small == large, (small, large)
    assert max(small) <= 10, small
