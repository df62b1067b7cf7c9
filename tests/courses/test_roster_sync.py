"""The roster sync around launches: after the response, when due, one worker at a time;
``rel="differences"``; platform errors that keep the last good roster; statement counts.

The platform is served over real HTTP (tests.support.services.ServiceServer).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.cache import get_cache
from lti_tool.courses import roster
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.roster import (
    RosterSyncResult,
    RosterUnavailableError,
    refresh,
    roster_status,
    sync_if_due,
    sync_roster,
)
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.errors import ServiceError
from tests.conftest import LtiFlow, landed_in, register
from tests.courses.test_roster import make_course, member, memberships, snapshot
from tests.support.platform import TestPlatform
from tests.support.services import ServiceServer, register_with_services
from tests.support.sql import count_statements

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
FULL = f"/roster?limit={roster.PAGE_SIZE}"
DIFF = "/roster/changes?since=1"


@pytest.fixture
def registration(app, key_server, services):
    return register_with_services(key_server, services)


def serve_full(services: ServiceServer, members: list[dict[str, Any]],
               differences: bool = True) -> None:
    headers = {"Content-Type": "application/json"}
    if differences:
        headers["Link"] = f'<{services.url(DIFF)}>; rel="differences"'
    services.serve(FULL, {"id": "/roster", "members": members}, headers)


STAFF = [member("t-1", "Instructor", name="Ada Teacher"),
         member("t-2", "Instructor", name="Ben Teacher"),
         member("k-1", "Learner", name="Cy Learner"),
         member("k-2", "Learner", name="Di Learner")]


# --- differences -------------------------------------------------------------------------


def test_the_next_sync_asks_only_the_differences(registration, services):
    course = make_course(registration, services)
    serve_full(services, STAFF)
    assert sync_roster(course).added == 4
    assert course.roster_differences_url == services.url(DIFF)
    services.serve(DIFF, {"members": [
        member("k-3", "Learner", name="Eve New"),                      # added
        member("t-2", "Learner", name="Ben Renamed"),                  # changed
        member("k-1", "Learner", status="Deleted"),                    # removed
        member("t-1", "Instructor", status="Inactive"),                # suspended
    ]})
    services.requests.clear()

    result = sync_roster(course)

    assert [r.path for r in services.service_requests] == [DIFF]
    assert result == RosterSyncResult(added=1, updated=1, deactivated=2, unchanged=0,
                                      differences=True)
    found = memberships(course)
    assert found["k-3"].active
    assert found["k-3"].is_learner
    assert (found["t-2"].roles, found["t-2"].is_staff) == ("learner", False)
    assert not found["k-1"].active
    assert not found["t-1"].active
    assert found["k-2"].active  # unlisted in a differences answer: unchanged
    assert db.session.get(Course, course.id).roster_member_count == 3


def test_a_refused_differences_link_falls_back_to_the_whole_roster(registration, services):
    course = make_course(registration, services)
    serve_full(services, STAFF)
    sync_roster(course)
    services.serve(DIFF, {"error": "expired"}, status=410)
    serve_full(services, STAFF[:3])

    result = sync_roster(course)

    assert result.differences is False
    assert result.deactivated == 1
    assert not memberships(course)["k-2"].active


def test_a_removed_teacher_loses_access_through_differences(lti, platform, services, client):
    nrps = {"context_memberships_url": services.url("/roster"), "service_versions": ["2.0"]}
    platform_row = _use_services(services)
    assert platform_row
    resp = lti.launch(**{NRPS: nrps})
    course_url = landed_in(resp)
    course = db.session.scalars(sa.select(Course)).one()
    serve_full(services, [member("teacher-1", "Instructor"), *STAFF])
    sync_roster(course)
    services.serve(DIFF, {"members": [member("teacher-1", "Instructor", status="Deleted")]})

    sync_roster(db.session.get(Course, course.id))

    assert client.get(course_url).status_code == 403


def _use_services(services: ServiceServer):
    from lti_tool.lti.models import Platform

    row = db.session.scalars(sa.select(Platform)).one()
    row.auth_token_url = services.url("/token")
    db.session.commit()
    return row


# --- platform errors keep the last good roster ---------------------------------------------


def _break(services: ServiceServer, how: str) -> None:
    if how == "token 401":
        services.token_status = 401
    elif how == "page 401":
        services.revoked.update(services.issued)  # every token refused, even a new one
        services.token_fields = {"token_type": "Bearer", "expires_in": 3600}
        services.serve(FULL, {"error": "unauthorized"}, status=401)
    elif how == "malformed JSON":
        services.serve(FULL, b"<html>Service Unavailable</html>")
    elif how == "timeout":
        services.token_delay = 1.5
    else:
        services.serve(FULL, {"error": "no"}, status=int(how))


@pytest.mark.parametrize("how", ["token 401", "page 401", "403", "500", "503",
                                 "malformed JSON", "timeout"])
def test_each_platform_error_keeps_the_last_good_roster(app: Flask, registration, services,
                                                        how):
    course = make_course(registration, services)
    serve_full(services, STAFF, differences=False)
    refresh(course)
    synced_at = course.roster_synced_at
    before = snapshot()
    _break(services, how)
    services.issued.clear()  # no cached token helps: the platform is asked again
    get_cache().clear()
    app.config["HTTP_TIMEOUT"] = 0.5

    with pytest.raises(ServiceError):
        refresh(db.session.get(Course, course.id))

    assert snapshot() == before
    db.session.expire_all()
    stored = db.session.get(Course, course.id)
    assert stored.roster_synced_at == synced_at
    assert stored.roster_member_count == 4
    assert stored.roster_error
    assert stored.roster_attempted_at > synced_at
    status = roster_status(stored)
    assert (status.source, status.member_count, status.last_error) == (
        "nrps", 4, stored.roster_error)


def test_the_dashboard_shows_the_last_sync_and_the_last_error(client, key_server, services):
    flow = _teacher(client, key_server, services)
    serve_full(services, [member("teacher-1", "Instructor"), *STAFF], differences=False)
    assert _launch(flow, services).status_code == 200  # and its sync after the response
    course = db.session.scalars(sa.select(Course)).one()
    refresh(course)
    page = client.get("/courses/1/").get_data(as_text=True)
    assert "Roster last synced from the LMS" in page
    assert "5 members found (staff and learners)" in page
    assert "The last roster sync failed" not in page

    services.serve(FULL, {"error": "forbidden"}, status=403)
    with pytest.raises(ServiceError):
        refresh(db.session.get(Course, course.id))
    page = flow.client.get("/courses/1/").get_data(as_text=True)
    assert "5 members found" in page
    assert "The last roster sync failed, so the last good roster is kept" in page
    assert "HTTP 403" in page


def test_a_success_clears_the_last_error(registration, services):
    course = make_course(registration, services)
    services.serve(FULL, {"error": "no"}, status=500)
    with pytest.raises(ServiceError):
        refresh(course)
    assert db.session.get(Course, course.id).roster_error
    serve_full(services, STAFF)
    refresh(db.session.get(Course, course.id))
    assert db.session.get(Course, course.id).roster_error is None


def test_a_course_without_roster_service_records_why(registration, services):
    course = make_course(registration, services)
    course.nrps_url = None
    db.session.commit()
    with pytest.raises(RosterUnavailableError):
        refresh(course)
    assert "no Names and Roles service URL" in db.session.get(Course, course.id).roster_error


# --- after the launch's response, when due, one at a time ----------------------------------


def _teacher(client, key_server, services) -> LtiFlow:
    tp = TestPlatform(issuer="https://lms.example.test", client_id="client-abc",
                      deployment_ids=["deployment-1"], key_server=key_server,
                      auth_token_url=services.url("/token"))
    register(tp)
    return LtiFlow(client, tp)


def _launch(flow: LtiFlow, services: ServiceServer):
    flow.state = None
    nrps = {"context_memberships_url": services.url("/roster"), "service_versions": ["2.0"]}
    return flow.launch(**{NRPS: nrps})


def test_a_launch_syncs_the_roster_after_its_response(client, key_server, services):
    flow = _teacher(client, key_server, services)
    serve_full(services, [member("teacher-1", "Instructor"), *STAFF])
    flow.start()
    nrps = {"context_memberships_url": services.url("/roster"), "service_versions": ["2.0"]}
    id_token = flow.tp.sign(flow.tp.payload(None, nonce=flow.nonce, **{NRPS: nrps}))
    # Not buffered: the response is not yet sent in full (and not closed) when this returns.
    resp = client.post("/lti/launch", data={"state": flow.state, "id_token": id_token},
                       buffered=False)
    assert resp.status_code == 200
    assert services.service_requests == []  # nothing asked before the page was sent

    resp.close()  # the server has sent the page: what was scheduled runs now

    assert [r.path for r in services.service_requests] == [FULL]
    course = db.session.scalars(sa.select(Course)).one()
    assert roster_status(course).source == "nrps"
    assert roster_status(course).member_count == 5
    page = client.get("/courses/1/").get_data(as_text=True)
    assert "Ben Teacher" in page  # roster staff who never launched are on the team


def test_a_launch_without_the_nrps_claim_schedules_nothing(client, key_server, services):
    flow = _teacher(client, key_server, services)
    flow.launch().close()
    assert services.requests == []
    course = db.session.scalars(sa.select(Course)).one()
    status = roster_status(course)
    assert (status.source, status.synced_at, status.offers_roster) == ("launches", None, False)


def test_a_fresh_roster_is_not_synced_again_until_it_is_older_than_the_max_age(
    app, client, key_server, services,
):
    flow = _teacher(client, key_server, services)
    serve_full(services, [member("teacher-1", "Instructor"), *STAFF], differences=False)
    _launch(flow, services).close()
    assert len(services.service_requests) == 1

    _launch(flow, services).close()
    assert len(services.service_requests) == 1  # synced a moment ago

    course = db.session.scalars(sa.select(Course)).one()
    max_age = app.config["ROSTER_SYNC_MAX_AGE"]
    assert max_age == 3600
    course.roster_attempted_at = utcnow() - timedelta(seconds=max_age - 60)
    db.session.commit()
    _launch(flow, services).close()
    assert len(services.service_requests) == 1

    course.roster_attempted_at = utcnow() - timedelta(seconds=max_age + 1)
    db.session.commit()
    _launch(flow, services).close()
    assert len(services.service_requests) == 2


def test_a_failed_attempt_also_waits_for_the_max_age(registration, services):
    course = make_course(registration, services)
    services.serve(FULL, {"error": "no"}, status=500)
    assert sync_if_due(course.id) is None
    assert len(services.service_requests) == 1
    assert sync_if_due(course.id) is None
    assert len(services.service_requests) == 1


def test_two_concurrent_syncs_one_runs_the_other_skips(app, registration, services):
    course = make_course(registration, services)
    keys.signing_key()
    serve_full(services, STAFF)
    services.token_delay = 0.6  # the first sync is still waiting for its token ...
    results: list[Any] = []

    def first_worker() -> None:
        with app.app_context():
            results.append(sync_if_due(course.id))

    worker = threading.Thread(target=first_worker)
    worker.start()
    deadline = time.monotonic() + 5
    while not services.token_requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert services.token_requests, "the first sync never started"

    second = sync_if_due(course.id)  # ... when the second launch's sync comes

    worker.join(10)
    assert second is None
    assert results
    assert results[0] is not None
    assert results[0].added == 4
    assert len(services.token_requests) == 1
    assert len(services.service_requests) == 1
    assert get_cache().get(f"{roster.LOCK_PREFIX}{course.id}") is None  # released


def test_a_sync_finished_by_another_worker_meanwhile_is_not_repeated(registration, services):
    course = make_course(registration, services)
    serve_full(services, STAFF)
    # Another worker synced after we read the course and before we took the lock.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Course).where(Course.id == course.id)
                     .values(roster_attempted_at=utcnow()))
    db.session.get(Course, course.id)  # the stale copy this worker holds
    assert sync_if_due(course.id) is None
    assert services.requests == []


# --- a constant number of statements per roster page ----------------------------------------


def _first_sync_statements(platform, services: ServiceServer, pages: int, page_size: int,
                           monkeypatch) -> int:
    monkeypatch.setattr(roster, "PAGE_SIZE", page_size)
    path = f"/big-{pages}"
    course = make_course(platform, services, path, context_id=f"big-{pages}")
    # One member already launched; one active membership the roster no longer lists.
    people = [member(f"{pages}-{i}", "Learner", name=f"P{i}") for i in range(pages * page_size)]
    db.session.add_all([
        Membership(course=course, person=Person(platform_id=platform.id, sub=f"{pages}-0"),
                   roles="learner", is_learner=True),
        Membership(course=course, person=Person(platform_id=platform.id, sub=f"gone-{pages}"),
                   roles="learner", is_learner=True),
    ])
    db.session.commit()
    services.serve(f"{path}?limit={page_size}", {"members": people})
    course = db.session.get(Course, course.id)
    with count_statements() as statements:
        result = sync_roster(course)
    assert (result.added, result.updated, result.deactivated) == (
        pages * page_size - 1, 1, 1)
    return len(statements)


def test_statements_per_roster_page_are_at_most_three(registration, services, monkeypatch):
    keys.signing_key()
    two = _first_sync_statements(registration, services, 2, 5, monkeypatch)
    six = _first_sync_statements(registration, services, 6, 5, monkeypatch)
    assert six - two == 3 * 4  # three statements for each page more: read, people, memberships
    # And a constant few per sync: the platform and the tool's key, the course's active
    # members, those no longer listed, the member count and the course's sync state.
    assert two <= 3 * 2 + 6, two


def test_an_unchanged_roster_reads_and_writes_nothing_per_member(registration, services):
    course = make_course(registration, services)
    serve_full(services, STAFF, differences=False)
    sync_roster(course)
    with count_statements() as statements:
        result = sync_roster(db.session.get(Course, course.id))
    assert result.unchanged == 4
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT")]


# --- where a feature's list of people comes from --------------------------------------------


def test_the_roster_source_partial_says_launches_or_roster(app, registration, services):
    from flask import render_template

    course = make_course(registration, services)

    def shown() -> str:
        with app.test_request_context("/"):
            status = roster_status(db.session.get(Course, course.id))
            return render_template("courses/_roster_source.html", roster=status)

    assert "Built from launches" in shown()
    assert "until the LMS roster is read" in shown()
    serve_full(services, STAFF)
    refresh(course)
    assert "From the LMS roster, synced" in shown()
    assert "(4 members)" in shown()
    services.serve(DIFF, {"error": "no"}, status=500)
    services.serve(FULL, {"error": "no"}, status=500)
    with pytest.raises(ServiceError):
        refresh(db.session.get(Course, course.id))
    assert "The last roster sync failed, so the last good list is kept." in shown()
    assert "(4 members)" in shown()
