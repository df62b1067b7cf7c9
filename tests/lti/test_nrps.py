"""NRPS roster fetching: checklist S2, with the Canvas and Moodle pages from tests/fixtures."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from lti_tool.lti.errors import ServiceError
from lti_tool.lti.nrps import (
    MEMBERSHIP_CONTAINER,
    NRPS_SCOPE,
    MemberStatus,
    RosterMember,
    fetch_members,
    members_request_url,
    parse_member,
)
from lti_tool.lti.roles import CourseRole
from tests.support.platform import load_fixture
from tests.support.services import ServiceServer, register_with_services

CANVAS_HOST = "https://northwind.instructure.com"
MOODLE_HOST = "https://learn.riverbend.example.ac.uk"
MOODLE_PATH = "/mod/lti/services.php/CourseSection/58/bindings/7/memberships"


@pytest.fixture
def registration(app, key_server, services):
    return register_with_services(key_server, services)


def local(page: dict[str, Any], host: str, services: ServiceServer) -> dict[str, Any]:
    """A fixture page with the LMS host replaced by the local server's."""
    return json.loads(json.dumps(page).replace(host, services.base))


def member(user_id: str, *roles: str, **fields: Any) -> dict[str, Any]:
    return {"status": "Active", "user_id": user_id, "roles": list(roles), **fields}


# --- paging --------------------------------------------------------------------------------


def test_s2_three_pages_following_a_mixed_case_next_url_exactly(registration, services):
    page1 = local(load_fixture("nrps-page-canvas"), CANVAS_HOST, services)
    first = "/api/lti/courses/4812/names_and_roles"
    second = "/api/lti/courses/4812/Names_And_Roles?page=2&per_page=3&Cursor=xYz%2FAbC"
    third = "/api/lti/courses/4812/Names_And_Roles?page=3&per_page=3&Cursor=QrS"
    page1["headers"]["Link"] = (
        f'<{services.url(first)}?page=1&per_page=3>; rel="current",'
        f'<{services.url(second)}>; rel="next",<{services.url(first)}?page=1>; rel="first"'
    )
    services.serve(first, page1["body"], page1["headers"])
    services.serve(second, {"id": "p2", "members": [member("u-4", "Learner", name="Dee")]},
                   {"Link": f'<{services.url(third)}>; rel="next"'})
    services.serve(third, {"id": "p3", "members": [member("u-5", "Learner")]},
                   {"Link": f'<{services.url(first)}?page=1>; rel="first"'})

    members = fetch_members(registration, services.url(first))

    assert [m.user_id for m in members] == [
        "5f0c8e2a-7b3d-4c1e-9a6f-2d8b0e4c7a13",
        "c8a6e4d2-0f9b-4a7c-b5e3-d1f9b7a5c3e1",
        "b2e4d6f8-1a3c-4e5b-8d7f-9c0a2b4d6e8f",
        "u-4",
        "u-5",
    ]
    assert [r.path for r in services.service_requests] == [first, second, third]
    assert len(services.token_requests) == 1
    assert services.token_requests[0].form["scope"] == NRPS_SCOPE


def test_s2_accept_header_and_bearer_token_on_every_page(registration, services):
    services.serve("/roster", {"members": [member("a", "Learner")]},
                   {"Link": f'<{services.url("/roster?page=2")}>; rel="next"'})
    services.serve("/roster?page=2", {"members": [member("b", "Learner")]})
    fetch_members(registration, services.url("/roster"))
    assert len(services.service_requests) == 2
    for request in services.service_requests:
        assert request.headers["Accept"] == MEMBERSHIP_CONTAINER
        assert request.headers["Authorization"] == "Bearer token-1"
        assert request.headers["User-Agent"].startswith("Staffroom/")
    assert MEMBERSHIP_CONTAINER == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def test_s2_canvas_comma_joined_link_header(registration, services):
    page1 = local(load_fixture("nrps-page-canvas"), CANVAS_HOST, services)
    assert '"current",<' in page1["headers"]["Link"]  # no space after the comma
    path = "/api/lti/courses/4812/names_and_roles"
    services.serve(f"{path}?limit=100", page1["body"], page1["headers"])
    last_page_link = (
        f'<{services.url(path)}?page=2&per_page=3>; rel="current",'
        f'<{services.url(path)}?page=1&per_page=3>; rel="first",'
        f'<{services.url(path)}?page=2&per_page=3>; rel="last"'
    )
    services.serve(f"{path}?page=2&per_page=3",
                   {"members": [member("u-9", "http://purl.imsglobal.org/vocab/lis/v2/"
                                              "membership#Learner")]},
                   {"Link": last_page_link})

    members = fetch_members(registration, services.url(path), limit=100)

    assert [r.path for r in services.service_requests] == [
        f"{path}?limit=100", f"{path}?page=2&per_page=3"
    ]
    jordan, priya, amara, extra = members
    assert jordan.roles.course == {CourseRole.INSTRUCTOR}
    assert jordan.roles.is_staff
    assert jordan.name == "Jordan Rivera"
    assert jordan.email == "j.rivera@northwind.example.edu"
    assert jordan.picture
    assert jordan.picture.startswith(services.base)
    # membership/Instructor#TeachingAssistant: a TA, who is staff.
    assert priya.roles.course == {CourseRole.TEACHING_ASSISTANT}
    assert priya.roles.is_staff
    assert amara.roles.is_learner
    assert not amara.roles.is_staff
    assert extra.user_id == "u-9"
    assert extra.roles.is_learner
    assert all(m.status is MemberStatus.ACTIVE for m in members)


def test_s2_moodle_short_roles_query_and_next(registration, services):
    page1 = local(load_fixture("nrps-page-moodle"), MOODLE_HOST, services)
    services.serve(f"{MOODLE_PATH}?limit=2&rlid=23", page1["body"], page1["headers"])
    admin = "http://purl.imsglobal.org/vocab/lis/v2/person#Administrator"
    services.serve(f"{MOODLE_PATH}?limit=2&from=2&rlid=23", {
        "id": services.url(MOODLE_PATH),
        "members": [
            # A site administrator teaching the course, and one who is not enrolled.
            member("2", admin, "Instructor", name="Site Admin"),
            member("3", admin),
            # Privacy settings withheld name and email.
            member("1300", "Learner"),
        ],
    })

    members = fetch_members(registration, services.url(MOODLE_PATH), limit=2, rlid="23")

    assert [r.path for r in services.service_requests] == [
        f"{MOODLE_PATH}?limit=2&rlid=23", f"{MOODLE_PATH}?limit=2&from=2&rlid=23"
    ]
    by_id = {m.user_id: m for m in members}
    assert by_id["318"].roles.course == {CourseRole.INSTRUCTOR}
    assert by_id["318"].roles.is_staff
    assert by_id["318"].has_access
    assert by_id["1207"].roles.is_learner
    assert by_id["1207"].given_name == "Sam"
    assert by_id["1207"].family_name == "Lindqvist"
    assert by_id["2"].roles.is_staff
    assert by_id["2"].roles.is_platform_admin
    assert by_id["3"].roles.is_platform_admin
    assert not by_id["3"].roles.has_course_role
    assert not by_id["3"].has_access
    anonymous = by_id["1300"]
    assert (anonymous.name, anonymous.given_name, anonymous.family_name, anonymous.email,
            anonymous.picture) == (None, None, None, None, None)


def test_s2_role_filter_is_sent(registration, services):
    role = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    services.serve("/roster?role=http%3A%2F%2Fpurl.imsglobal.org%2Fvocab%2Flis%2Fv2%2F"
                   "membership%23Instructor", {"members": [member("t", role)]})
    (teacher,) = fetch_members(registration, services.url("/roster"), role=role)
    assert teacher.roles.is_staff


def test_s2_member_listed_on_two_pages_is_kept_once_as_last_seen(registration, services):
    services.serve("/r", {"members": [member("a", "Learner", name="Old")]},
                   {"Link": f'<{services.url("/r?p=2")}>; rel="next"'})
    services.serve("/r?p=2", {"members": [member("a", "Instructor", name="New")]})
    (only,) = fetch_members(registration, services.url("/r"))
    assert only.name == "New"
    assert only.roles.is_staff


# --- refusing what must not be followed ----------------------------------------------------


def test_s2_next_link_to_another_origin_is_refused_without_sending_the_token(
    registration, services
):
    services.serve("/r", {"members": [member("a", "Learner")]},
                   {"Link": '<https://attacker.example/steal>; rel="next"'})
    with pytest.raises(ServiceError, match="https://attacker.example/steal is not on") as caught:
        fetch_members(registration, services.url("/r"))
    assert caught.value.code == "S2"
    assert len(services.service_requests) == 1


def test_s2_next_link_loop_is_refused(registration, services):
    services.serve("/r", {"members": [member("a", "Learner")]},
                   {"Link": f'<{services.url("/r?p=2")}>; rel="next"'})
    services.serve("/r?p=2", {"members": []}, {"Link": f'<{services.url("/r")}>; rel="next"'})
    with pytest.raises(ServiceError, match="already read"):
        fetch_members(registration, services.url("/r"))
    assert len(services.service_requests) == 2


@pytest.mark.parametrize("body", [{"id": "x"}, {"members": {"a": 1}}, ["a"]])
def test_s2_page_that_is_not_a_membership_container_is_an_error(registration, services, body):
    services.serve("/r", body)
    with pytest.raises(ServiceError, match="did not return a membership container"):
        fetch_members(registration, services.url("/r"))


def test_s2_page_error_is_a_service_error(registration, services):
    services.serve("/r", {"members": [member("a", "Learner")]},
                   {"Link": f'<{services.url("/r?p=2")}>; rel="next"'})
    services.serve("/r?p=2", {"errors": ["boom"]}, status=500)
    with pytest.raises(ServiceError, match="HTTP 500") as caught:
        fetch_members(registration, services.url("/r"))
    assert caught.value.code == "S2"


def test_s2_token_error_is_a_service_error(registration, services):
    services.token_status = 401
    services.serve("/r", {"members": [member("a", "Learner")]})
    with pytest.raises(ServiceError, match="HTTP 401") as caught:
        fetch_members(registration, services.url("/r"))
    assert caught.value.code == "S1"
    assert services.service_requests == []


# --- members -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected", "active"),
    [
        ("Active", MemberStatus.ACTIVE, True),
        ("Inactive", MemberStatus.INACTIVE, False),
        ("Deleted", MemberStatus.DELETED, False),
        ("deleted", MemberStatus.DELETED, False),
        (None, MemberStatus.ACTIVE, True),  # absent means Active (NRPS 2.0)
        ("Suspended", MemberStatus.INACTIVE, False),  # unknown grants nothing
    ],
)
def test_member_status(status, expected, active):
    raw = member("u", "Instructor")
    raw["status"] = status
    parsed = parse_member(raw)
    assert parsed is not None
    assert parsed.status is expected
    assert parsed.is_active is active
    assert parsed.has_access is active


def test_members_without_user_id_are_skipped(registration, services, caplog):
    services.serve("/r", {"members": [member("a", "Learner"), {"roles": ["Learner"]},
                                      member("", "Learner"), "junk"]})
    members = fetch_members(registration, services.url("/r"))
    assert [m.user_id for m in members] == ["a"]
    assert "skipped 3 member(s) without a user_id" in caplog.text


def test_member_missing_and_empty_fields_are_none():
    parsed = parse_member({"user_id": 318, "name": "", "email": "  ", "roles": "Instructor"})
    assert parsed is not None
    assert parsed.user_id == parsed.sub == "318"
    assert parsed.name is None
    assert parsed.email is None
    assert not parsed.roles.has_course_role  # roles must be a list


def test_roster_member_is_frozen():
    parsed = parse_member(member("u", "Learner"))
    assert isinstance(parsed, RosterMember)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.name = "changed"  # type: ignore[misc]


# --- query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kwargs", "expected"),
    [
        ("https://lms.example/r", {}, "https://lms.example/r"),
        ("https://lms.example/r", {"limit": 50}, "https://lms.example/r?limit=50"),
        ("https://lms.example/r?type_id=7", {"limit": 50, "rlid": "23"},
         "https://lms.example/r?type_id=7&limit=50&rlid=23"),
        ("https://lms.example/r?limit=3&Token=a%2Fb", {"limit": 100},
         "https://lms.example/r?Token=a%2Fb&limit=100"),
        ("https://lms.example/r?", {"role": "Learner"}, "https://lms.example/r?role=Learner"),
        ("https://lms.example/r", {"role": "http://purl.imsglobal.org/vocab/lis/v2/"
                                           "membership#Instructor", "rlid": "a b"},
         "https://lms.example/r?role=http%3A%2F%2Fpurl.imsglobal.org%2Fvocab%2Flis%2Fv2%2F"
         "membership%23Instructor&rlid=a%20b"),
    ],
)
def test_s2_query_parameters_are_appended_correctly(url, kwargs, expected):
    assert members_request_url(url, **kwargs) == expected


@pytest.mark.parametrize("limit", [0, -1, True, "10"])
def test_s2_limit_must_be_a_positive_integer(limit):
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        members_request_url("https://lms.example/r", limit=limit)

