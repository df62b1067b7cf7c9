"""Claims -> LaunchContext, with each LMS's quirks smoothed out."""

from __future__ import annotations

from lti_tool.lti.context import PlatformRef, build_context, product_family
from tests.support.platform import load_fixture

REF = PlatformRef(id=1, issuer="https://x", client_id="c", name="X")
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def ctx(sample: str, **changes):
    body = load_fixture(sample)
    body.update(changes)
    return build_context(body, launch_id="l1", platform=REF)


def test_canvas_custom_values_are_strings_whatever_their_json_type():
    learner = ctx("canvas-resource-link-learner")
    assert learner.custom["canvas_course_id"] == "4812"
    assert learner.custom["points_possible"] == "10"
    assert ctx("canvas-resource-link-instructor").custom["canvas_course_id"] == "4812"


def test_unexpanded_substitutions_count_as_missing():
    learner = ctx("canvas-resource-link-learner")
    assert learner.person.sourced_id is None
    c = ctx("canvas-resource-link-instructor",
            **{CLAIM + "custom": {"assignment": "$Canvas.assignment.id", "ok": "1"}})
    assert c.custom == {"ok": "1"}


def test_moodle_empty_lis_values_are_none():
    assert ctx("moodle-resource-link-learner").person.sourced_id is None
    assert ctx("moodle-resource-link-instructor").person.sourced_id == "RBC-STAFF-2207"


def test_moodle_learner_without_name_or_email():
    person = ctx("moodle-resource-link-learner").person
    assert (person.sub, person.name, person.email) == ("1207", None, None)


def test_course_resource_link_and_presentation():
    c = ctx("moodle-resource-link-instructor")
    assert c.course.context_id == "58"
    assert c.course.types == ("CourseSection",)
    assert c.resource_link.id == "23"
    assert c.resource_link.description.startswith("Titrate 25 mL")
    assert c.locale == "en"
    assert c.return_url.startswith("https://learn.riverbend.example.ac.uk/mod/lti/return.php")
    assert c.nrps_url.endswith("/bindings/7/memberships")


def test_canvas_deep_linking_settings():
    c = ctx("canvas-deep-linking-request")
    assert c.is_deep_linking
    dl = c.deep_linking
    assert dl.accept_types == ("ltiResourceLink",)
    assert dl.accept_multiple is False
    assert "data=" in dl.return_url


def test_moodle_old_string_booleans_and_arrays_are_parsed():
    body = load_fixture("moodle-deep-linking-request")
    body[DL] = {**body[DL], "accept_multiple": "true", "accept_types": ["ltiResourceLink"]}
    assert build_context(body, launch_id="l", platform=REF).deep_linking.accept_multiple is True
    body[DL]["accept_multiple"] = "false"
    assert build_context(body, launch_id="l", platform=REF).deep_linking.accept_multiple is False


def test_product_family_reads_old_moodle_family_code():
    body = load_fixture("moodle-resource-link-instructor")
    assert product_family(body) == "moodle"
    body[CLAIM + "tool_platform"] = {"family_code": "moodle", "guid": "x"}
    assert product_family(body) == "moodle"
    assert product_family(load_fixture("canvas-resource-link-learner")) == "canvas"


def test_canvas_account_context_type_is_kept_as_given():
    c = ctx("canvas-resource-link-instructor",
            **{CLAIM + "context": {"id": "acct-1", "type": ["Account"]}})
    assert c.course.types == ("Account",)
