"""Who reaches an observation: a matrix of people × every URL of the feature.

The rule admits the observer, the observee and the one colleague the observee shared
the observation with. Everyone else gets 404 on every URL that names the observation
(they must not learn that it exists), or the course area's 403 (a learner) or 401 (no
launch at all). The URLs are read from the application's URL map, so a route added
later is covered without touching this test.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from lti_tool.courses.registry import Subject
from tests.observations.conftest import (
    COURSE_2,
    LEARNER,
    Person,
    base,
    move,
    observation,
    page,
    person_id,
    start,
    to_shared,
)
from tests.support.platform import TestPlatform, register

VIEWERS = ("observer", "observee", "shared colleague")
REFUSED = {
    "third teacher of the course": 404,
    "teacher of another course": 404,
    "learner": 403,
    "outsider (another school's LMS)": 404,
}


def observation_urls(app: Flask, course_id: int, observation_id: int) -> list[tuple[str, str]]:
    """(method, path) of every route of the feature that names an observation."""
    found = []
    for rule in app.url_map.iter_rules():
        in_feature = rule.endpoint.startswith("courses.observations.") or \
            rule.endpoint == "observation_resume.save"
        if not in_feature or "observation_id" not in rule.arguments:
            continue
        path = rule.rule.replace("<int:course_id>", str(course_id)).replace(
            "<int:observation_id>", str(observation_id))
        assert "<" not in path, path
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    assert len(found) >= 10
    return found


def attempt(person: Person, method: str, path: str) -> int:
    own = re.sub(r"^/courses/\d+/", f"/courses/{person.course_id}/", path)
    if method == "GET":
        return person.get(own).status_code
    if "autosave" in own:
        return person.post_json(own, {"version": 1}).status_code
    return person.post(own, {"version": "1", "to": "closed"}).status_code


@pytest.fixture
def world(app, people, amara, tomasz, key_server):  # type: ignore[no-untyped-def]
    """Amara (observee) and Tomasz (observer), shared with Priya; four others refused."""
    priya = people("teacher-3", "Priya Raman")
    others = {
        "third teacher of the course": people("teacher-4", "Sam Whitfield"),
        "teacher of another course": people("teacher-9", "Ola Elsewhere", context=COURSE_2),
        "learner": people("pupil-1", "Aisha Khan", roles=LEARNER),
    }
    second = TestPlatform(issuer="https://other-lms.example.test", client_id="client-xyz",
                          deployment_ids=["deployment-9"], key_server=key_server)
    register(second)
    others["outsider (another school's LMS)"] = Person(
        app, second, "teacher-1", "Amara Okafor", ["http://purl.imsglobal.org/vocab/lis/v2/"
                                                    "membership#Instructor"],
        {"id": "other-school-bio", "label": "BIO", "title": "Biology at another school"})
    oid = to_shared(tomasz, amara)
    resp = amara.post(f"{base(amara)}/{oid}/share", {
        "colleague_id": str(person_id("teacher-3")), "version": str(observation(oid).version)})
    assert resp.status_code == 303, page(resp)
    viewers = {"observer": tomasz, "observee": amara, "shared colleague": priya}
    return oid, viewers, others


def test_the_viewers_read_it(world):
    oid, viewers, _ = world
    for name, person in viewers.items():
        resp = person.get(f"{base(person)}/{oid}")
        assert resp.status_code == 200, name
        assert "Cold-calling drew in the back row" in page(resp), name


@pytest.mark.parametrize("who", list(REFUSED))
def test_everyone_else_is_refused_on_every_observation_url(app, world, who):
    oid, _, others = world
    person = others[who]
    before = observation(oid)
    state, version = before.state, before.version
    for method, path in observation_urls(app, person.course_id, oid):
        status = attempt(person, method, path)
        if path.startswith("/observation-autosave/"):
            assert status == 403, (who, method, path)  # no key: nothing to check it against
        else:
            assert status == REFUSED[who], (who, method, path, status)
    after = observation(oid)
    assert (after.state, after.version) == (state, version)  # nothing changed


def test_no_launch_at_all_is_401_everywhere(app, world, client):
    oid, viewers, _ = world
    course_id = viewers["observee"].course_id
    for method, path in observation_urls(app, course_id, oid):
        if path.startswith("/observation-autosave/"):
            continue
        resp = client.open(path, method=method)
        assert resp.status_code in (400, 401), (method, path, resp.status_code)
        if method == "GET":
            assert resp.status_code == 401


def test_the_viewers_only_get_what_their_part_allows(world):
    """The shared colleague reads; only the observee chooses the focus, shares, reflects."""
    oid, viewers, _ = world
    colleague = viewers["shared colleague"]
    assert colleague.get(f"{base(colleague)}/{oid}/focus").status_code == 403
    assert colleague.post(f"{base(colleague)}/{oid}/share",
                          {"colleague_id": "", "version": "1"}).status_code == 403
    assert colleague.post(f"{base(colleague)}/{oid}/reflection",
                          {"reflection": "x", "version": "1"}).status_code == 403
    assert move(colleague, oid, "closed").status_code == 403
    observer = viewers["observer"]
    assert observer.post(f"{base(observer)}/{oid}/reflection",
                         {"reflection": "x", "version": "1"}).status_code == 403


def test_an_observation_is_only_reached_through_its_own_course(app, people, amara, tomasz):
    oid = start(amara, tomasz.sub)
    amara.launch(context=COURSE_2)  # Amara teaches Chemistry too
    assert amara.get(f"/courses/{amara.course_id}/observations/{oid}").status_code == 404


def test_audience_and_rule_agree(app, world):
    """Who may be given a task or mentioned is exactly whom the rule admits."""
    from lti_tool.courses import registry

    oid, viewers, _ = world
    kind = registry.kind("observation")
    members = {m.id for m in registry.audience(Subject("observation", oid))}
    assert members == {person_id(p.sub) for p in viewers.values()}
    assert {m.id for m in registry.derived_audience(kind, oid)} == members


def test_unsharing_ends_the_colleagues_access(world):
    oid, viewers, _ = world
    amara, priya = viewers["observee"], viewers["shared colleague"]
    resp = amara.post(f"{base(amara)}/{oid}/share",
                      {"colleague_id": "", "version": str(observation(oid).version)})
    assert resp.status_code == 303
    assert priya.get(f"{base(priya)}/{oid}").status_code == 404


def test_the_sharing_rule(people, amara, tomasz):
    """Only the observee shares; with one colleague of the course at a time; never the
    observer, a learner or a teacher of another course; sharing again replaces."""
    priya = people("teacher-3", "Priya Raman")
    sam = people("teacher-4", "Sam Whitfield")
    pupil = people("pupil-1", "Aisha Khan", roles=LEARNER)
    ola = people("teacher-9", "Ola Elsewhere", context=COURSE_2)
    oid = to_shared(tomasz, amara)
    url = f"{base(amara)}/{oid}/share"

    def share(who: Person, sub: str):  # type: ignore[no-untyped-def]
        return who.post(url.replace(f"/courses/{amara.course_id}/",
                                    f"/courses/{who.course_id}/"),
                        {"colleague_id": str(person_id(sub)),
                         "version": str(observation(oid).version)})

    assert share(tomasz, priya.sub).status_code == 403  # the observer may not
    assert share(priya, priya.sub).status_code == 404  # nor anyone else
    for refused in (tomasz, pupil, ola):  # not the observer, a learner, another course
        resp = share(amara, refused.sub)
        assert resp.status_code == 422, refused.name
        assert "Choose a colleague from the list" in page(resp)
    assert observation(oid).shared_with_id is None
    assert share(amara, priya.sub).status_code == 303
    assert priya.get(f"{base(priya)}/{oid}").status_code == 200
    assert share(amara, sam.sub).status_code == 303  # one colleague: Sam replaces Priya
    assert priya.get(f"{base(priya)}/{oid}").status_code == 404
    assert sam.get(f"{base(sam)}/{oid}").status_code == 200
    # The colleague sees only once the feedback is shared, like the observee.
    fresh = start(amara, tomasz.sub)
    move(tomasz, fresh, "scheduled")
    resp = amara.post(f"{base(amara)}/{fresh}/share", {
        "colleague_id": str(person_id(sam.sub)), "version": str(observation(fresh).version)})
    assert resp.status_code == 303
    move(tomasz, fresh, "in_progress")
    from tests.observations.conftest import autosave

    autosave(tomasz, fresh, {"version": observation(fresh).version, "notes": [
        {"key": "c1", "tag": "note", "body": "Not for the coach yet", "at": ""}]})
    assert "Not for the coach yet" not in page(sam.get(f"{base(sam)}/{fresh}"))
    move(tomasz, fresh, "shared")
    assert "Not for the coach yet" in page(sam.get(f"{base(sam)}/{fresh}"))
