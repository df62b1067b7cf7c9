"""Role URIs -> course roles; institution and system roles kept apart."""

from __future__ import annotations

import pytest

from lti_tool.lti.roles import CourseRole, parse_roles, roles_from_names

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("values", "course", "staff", "learner"),
    [
        ([LIS + "membership#Instructor"], {CourseRole.INSTRUCTOR}, True, False),
        ([LIS + "membership/Instructor#TeachingAssistant"],
         {CourseRole.TEACHING_ASSISTANT}, True, False),
        ([LIS + "membership#Learner"], {CourseRole.LEARNER}, False, True),
        (["Instructor"], {CourseRole.INSTRUCTOR}, True, False),
        (["Learner"], {CourseRole.LEARNER}, False, True),
        ([LIS + "membership#ContentDeveloper"], {CourseRole.CONTENT_DEVELOPER}, True, False),
        ([LIS + "membership#Administrator"], {CourseRole.ADMINISTRATOR}, True, False),
        ([LIS + "membership#Mentor"], {CourseRole.MENTOR}, False, False),
        ([LIS + "membership/Learner#NonCreditLearner"], {CourseRole.LEARNER}, False, True),
        ([LIS + "membership#Learner", LIS + "membership#Instructor"],
         {CourseRole.LEARNER, CourseRole.INSTRUCTOR}, True, False),
        ([], set(), False, False),
    ],
)
def test_course_roles(values, course, staff, learner):
    roles = parse_roles(values)
    assert set(roles.course) == course
    assert roles.is_staff is staff
    assert roles.is_learner is learner


def test_institution_and_system_roles_do_not_grant_course_roles():
    roles = parse_roles([
        LIS + "institution/person#Administrator",
        LIS + "institution/person#Instructor",
        LIS + "system/person#SysAdmin",
    ])
    assert roles.course == frozenset()
    assert not roles.is_staff
    assert roles.is_platform_admin
    assert roles.institution == {"Administrator", "Instructor"}
    assert roles.system == {"SysAdmin"}


def test_canvas_teacher_who_is_also_an_institution_student_is_staff():
    roles = parse_roles([
        LIS + "institution/person#Instructor",
        LIS + "institution/person#Student",
        LIS + "membership#Instructor",
        LIS + "system/person#User",
    ])
    assert roles.is_staff
    assert not roles.is_platform_admin


def test_moodle_nrps_person_administrator_is_an_institution_role():
    roles = parse_roles([LIS + "person#Administrator", "Instructor"])
    assert roles.is_platform_admin
    assert roles.course == {CourseRole.INSTRUCTOR}


@pytest.mark.parametrize("values", [None, "Instructor", {"a": 1}, [1, None, {"x": 1}]])
def test_malformed_role_claims_give_no_roles(values):
    assert parse_roles(values).course == frozenset()


def test_unknown_roles_are_kept_apart():
    roles = parse_roles(["http://example.com/roles#Wizard", "Instructor"])
    assert roles.unknown == {"http://example.com/roles#Wizard"}
    assert roles.is_staff


def test_role_names_round_trip():
    roles = parse_roles([LIS + "membership/Instructor#TeachingAssistant", "Learner"])
    assert roles_from_names(roles.course_role_names()) == roles.course
    assert roles_from_names("instructor bogus") == {CourseRole.INSTRUCTOR}
