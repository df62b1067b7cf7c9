"""Deep linking to anything (issue 14): the picker, the response JWT, each target's launch,
refusals, the resource link record, course copies and the relaunch to a page."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

import jwt
import pytest

from lti_tool.courses.models import Course, CourseCopy, PlacedLink
from lti_tool.extensions import db
from lti_tool.observations.models import ObservationTemplate
from tests.conftest import LtiFlow
from tests.planning.conftest import (
    COURSE_2,
    INSTRUCTOR,
    LEARNER,
    answer,
    course_space_id,
    create_plan,
    create_team_space,
    invite,
    page,
    person_id,
)
from tests.support.platform import TOOL_BASE

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LAUNCH = TOOL_BASE + "/lti/launch"
RETURN = "https://lms.example.test/deep_linking_response?data=keep"


def dl_settings(**changes: Any) -> dict[str, Any]:
    return {"deep_link_return_url": RETURN, "accept_types": ["ltiResourceLink"],
            "accept_multiple": True, "data": "opaque-data-1", **changes}


def launch(person, *, roles: list[str] | None = None, context: dict | None = None,
           target_link_uri: str = LAUNCH, **claims: Any):  # type: ignore[no-untyped-def]
    """A launch of ``person`` in their own browser; the response."""
    with person.app.app_context():
        flow = LtiFlow(person.client, person.platform)
        flow.start(target_link_uri=target_link_uri)
        resp = flow.launch(sub=person.sub, name=person.name, roles=roles or INSTRUCTOR,
                           context=context or {"id": "course-1", "label": "BIO 7",
                                               "title": "Biology Year 7"},
                           target_link_uri=target_link_uri, **claims)
    db.session.remove()
    return resp


def picker(person, roles: list[str] | None = None, **settings: Any):  # type: ignore[no-untyped-def]
    return launch(person, roles=roles, message_type="LtiDeepLinkingRequest", resource_link=None,
                  **{DL + "deep_linking_settings": dl_settings(**settings)})


def choose(person, *targets: str):  # type: ignore[no-untyped-def]
    return person.post("/lti/deep-link", {"target": list(targets)})


def response_claims(person, resp) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The response JWT, verified against the key set the tool publishes at /lti/jwks.json."""
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:400]
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', body).group(1))
    assert action == RETURN
    token = re.search(r'name="JWT" value="([^"]+)"', body).group(1)
    published = person.get("/lti/jwks.json").get_json()
    kid = jwt.get_unverified_header(token)["kid"]
    (key,) = [k for k in published["keys"] if k["kid"] == kid]
    return jwt.decode(token, jwt.PyJWK.from_dict(key), algorithms=["RS256"],
                      audience=person.platform.issuer)


def placed(person, target: str, rl: str, *, custom: bool = True, address: bool = True,
           more: dict[str, str] | None = None, **claims: Any):  # type: ignore[no-untyped-def]
    """A launch of a placed link, as the LMS sends it (custom and address optional)."""
    uri = LAUNCH + "?target=" + quote(target, safe="") if address else LAUNCH
    extra = {"staffroom_target": target} if custom else {}
    extra.update(more or {})
    return launch(person, target_link_uri=uri, resource_link={"id": rl, "title": "Link"},
                  custom=extra, **claims)


@pytest.fixture
def unit(ada):  # type: ignore[no-untyped-def]
    space = course_space_id(ada)
    unit_id = create_plan(ada, space, title="Cells and organisms")
    lesson_id = create_plan(ada, space, title="Looking at onion cells", kind="lesson",
                            draft_key="new-lesson", parent_id=str(unit_id))
    return space, unit_id, lesson_id


# --- the picker and the response ------------------------------------------------------------


def test_picker_offers_what_each_feature_registered(ada, unit):
    space, unit_id, lesson_id = unit
    team = create_team_space(ada, "Science department")
    text = page(picker(ada))
    assert 'value="planning-course:here"' in text
    assert f'value="space:{team}"' in text
    assert f'value="plan:{unit_id}"' in text
    assert "Unit: Cells and organisms" in text
    assert f'value="plan:{lesson_id}"' in text
    assert "Lesson: Looking at onion cells" in text
    forms = db.session.scalars(db.select(ObservationTemplate.id)).all()
    assert forms
    assert all(f'value="observation-form:{f}"' in text for f in forms)
    assert 'value="class-list:here"' in text
    assert 'type="checkbox"' in text  # accept_multiple


def test_single_item_places_use_radio_buttons_and_refuse_two(ada, unit):
    _, unit_id, lesson_id = unit
    text = page(picker(ada, accept_multiple=False))
    assert 'type="radio"' in text
    assert 'type="checkbox"' not in text
    resp = choose(ada, f"plan:{unit_id}", f"plan:{lesson_id}")
    assert resp.status_code == 400
    assert "takes one link: choose one" in page(resp)
    assert 'name="JWT"' not in page(resp)


def test_response_jwt_claims_items_and_data_verified_against_published_jwks(ada, unit):
    _, unit_id, lesson_id = unit
    picker(ada)
    claims = response_claims(ada, choose(ada, f"plan:{unit_id}", f"plan:{lesson_id}"))
    assert claims["iss"] == ada.platform.client_id
    assert claims["aud"] == ada.platform.issuer
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "deployment_id"] == ada.platform.deployment_ids[0]
    assert claims[DL + "data"] == "opaque-data-1"
    items = claims[DL + "content_items"]
    assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert [i["title"] for i in items] == ["Unit: Cells and organisms",
                                          "Lesson: Looking at onion cells"]
    assert items[0]["url"] == f"{LAUNCH}?target=plan%3A{unit_id}"
    assert items[0]["custom"] == {
        "staffroom_target": f"plan:{unit_id}",
        "staffroom_context_history": "$Context.id.history",
        "staffroom_link_history": "$ResourceLink.id.history",
    }


def test_no_data_claim_when_the_request_had_none(ada, unit):
    picker(ada, data=None)
    claims = response_claims(ada, choose(ada, "planning-course:here"))
    assert DL + "data" not in claims


def test_platform_accepting_no_type_we_send_is_refused_clearly(ada, unit):
    text = page(picker(ada, accept_types=["link", "file", "html"]))
    assert "does not accept links to tools" in text
    assert 'name="target"' not in text
    resp = choose(ada, "planning-course:here")
    assert resp.status_code == 400
    assert 'name="JWT"' not in page(resp)


def test_a_target_not_offered_to_this_teacher_is_refused(ada, bo, people, unit):
    other = people("teacher-9", "Cy Elsewhere", context=COURSE_2)
    private = create_team_space(other, "Not Ada's team")
    picker(ada)
    for forged in (f"space:{private}", "plan:999999", "nonsense", "planning-course:there"):
        resp = choose(ada, forged)
        assert resp.status_code == 400, forged
        assert "not yours to place" in page(resp)


def test_learner_gets_no_picker(people):
    learner = people("learner-1", "Lee Learner", roles=LEARNER)
    text = page(picker(learner, roles=LEARNER))
    assert "Staffroom is for your teachers" in text
    assert 'name="target"' not in text


# --- launching each target ------------------------------------------------------------------


def location(resp) -> str:  # type: ignore[no-untyped-def]
    """Where the launch's answer goes on to (``follow-link.js``, from the tool's own page)."""
    text = page(resp)
    assert resp.status_code == 200, text[:500]
    match = re.search(r'<a class="button" href="([^"]+)" data-follow>', text)
    assert match, text[:800]
    return match.group(1)


def test_each_target_opens_its_page(ada, unit):
    space, unit_id, lesson_id = unit
    team = create_team_space(ada, "Science department")
    picker(ada)  # the starter observation forms exist once someone is offered them
    template_id = db.session.scalars(db.select(ObservationTemplate.id)).first()
    base = f"/courses/{ada.course_id}"
    expected = {
        "planning-course:here": f"{base}/spaces/{space}/",
        f"space:{team}": f"{base}/spaces/{team}/",
        f"plan:{unit_id}": f"{base}/spaces/{space}/plans/{unit_id}",
        f"plan:{lesson_id}": f"{base}/spaces/{space}/plans/{lesson_id}",
        f"observation-form:{template_id}": f"{base}/observations/new?template={template_id}",
        "class-list:here": f"{base}/notes/",
    }
    for number, (target, url) in enumerate(expected.items()):
        assert location(placed(ada, target, f"rl-{number}")) == url
        assert ada.get(url).status_code == 200
    form = page(ada.get(expected[f"observation-form:{template_id}"]))
    assert re.search(rf'<option selected value="{template_id}">', form)


def test_a_learner_launching_a_placed_link_gets_the_staff_page(people, ada, unit):
    _, unit_id, _ = unit
    learner = people("learner-1", "Lee Learner", roles=LEARNER)
    resp = placed(learner, f"plan:{unit_id}", "rl-unit", roles=LEARNER)
    assert resp.status_code == 200
    assert "Staffroom is for your teachers" in page(resp)
    assert "Cells and organisms" not in page(resp)


def test_a_target_the_person_may_not_see_is_a_clear_404(ada, bo, people):
    team = create_team_space(ada, "Ada's private team")
    other_course = people("teacher-9", "Cy Elsewhere", context=COURSE_2)
    secret = create_plan(other_course, course_space_id(other_course), title="Secret unit")
    for target in (f"space:{team}", f"plan:{secret}", "plan:99999999", "observation-form:999",
                   "unknown-kind:1", "plan:1 or 1=1"):
        resp = placed(bo, target, "rl-" + target)
        assert resp.status_code == 404, (target, resp.status_code)
        assert "This link does not open for you" in page(resp)
        assert "Secret unit" not in page(resp)


# --- the resource link record ---------------------------------------------------------------


def test_target_is_recovered_from_the_resource_link_record(ada, unit):
    space, unit_id, _ = unit
    assert location(placed(ada, f"plan:{unit_id}", "rl-canvas-1"))
    row = db.session.scalars(db.select(PlacedLink)).one()
    assert (row.resource_link_id, row.target, row.course_id) == (
        "rl-canvas-1", f"plan:{unit_id}", ada.course_id)
    # A placement that sends neither the custom parameter nor the address's target.
    bare = placed(ada, f"plan:{unit_id}", "rl-canvas-1", custom=False, address=False)
    assert location(bare).endswith(f"/spaces/{space}/plans/{unit_id}")
    # Another link without a record is the course's own launch: the dashboard.
    other = placed(ada, "x", "rl-never-placed", custom=False, address=False)
    assert other.status_code == 200
    assert "The course team" in page(other)


def test_the_address_alone_is_enough(ada, unit):
    space, unit_id, _ = unit
    resp = placed(ada, f"plan:{unit_id}", "rl-moodle-7", custom=False)
    assert location(resp).endswith(f"/spaces/{space}/plans/{unit_id}")
    assert db.session.scalar(db.select(PlacedLink.target)) == f"plan:{unit_id}"


def test_a_copied_link_finds_its_original_through_the_link_history(ada, unit):
    space, unit_id, _ = unit
    placed(ada, f"plan:{unit_id}", "rl-original")
    resp = placed(ada, "x", "rl-copy", custom=False, address=False,
                  more={"staffroom_link_history": "rl-older,rl-original"})
    assert location(resp).endswith(f"/spaces/{space}/plans/{unit_id}")
    targets = dict(db.session.execute(
        db.select(PlacedLink.resource_link_id, PlacedLink.target)).all())
    assert targets["rl-copy"] == f"plan:{unit_id}"


# --- course copy ------------------------------------------------------------------------------


SPRING = {"id": "course-1-spring", "label": "BIO 7", "title": "Biology Year 7 (spring)"}


def test_copy_with_history_links_the_new_course_to_the_old_space(ada, people, unit):
    space, unit_id, _ = unit
    placed(ada, f"plan:{unit_id}", "rl-autumn")
    newcomer = people("teacher-5", "Nia Newcomer", context=SPRING)
    assert newcomer.get(f"{newcomer.base}/{space}/plans/{unit_id}").status_code == 404
    # Ada teaches both; the copied link sends the history variables, expanded.
    resp = placed(ada, f"plan:{unit_id}", "rl-spring", context=SPRING, more={
        "staffroom_context_history": "course-1", "staffroom_link_history": "rl-autumn"})
    spring_id = db.session.scalar(db.select(Course.id).filter_by(context_id=SPRING["id"]))
    assert location(resp) == f"/courses/{spring_id}/spaces/{space}/plans/{unit_id}"
    copy = db.session.get(CourseCopy, spring_id)
    assert copy is not None
    assert copy.how == "history"
    # The spring course's staff now share the autumn course's space, and its own
    # "planning space of this course" is that space.
    assert newcomer.get(f"{newcomer.base}/{space}/plans/{unit_id}").status_code == 200
    assert location(placed(newcomer, "planning-course:here", "rl-spring-space",
                           context=SPRING)) == f"/courses/{spring_id}/spaces/{space}/"


def test_history_does_not_link_for_someone_who_does_not_teach_the_old_course(ada, people, unit):
    space, unit_id, _ = unit
    newcomer = people("teacher-5", "Nia Newcomer", context=SPRING)
    resp = placed(newcomer, f"plan:{unit_id}", "rl-spring", context=SPRING, more={
        "staffroom_context_history": "course-1"})
    assert resp.status_code == 404
    assert "a teacher of both courses can link them" in page(resp)
    assert "Biology Year 7" not in page(resp).replace("Biology Year 7 (spring)", "")
    assert db.session.scalars(db.select(CourseCopy)).all() == []


def test_copy_without_history_offers_the_teacher_to_link(ada, people, unit):
    space, unit_id, _ = unit
    newcomer = people("teacher-5", "Nia Newcomer", context=SPRING)
    resp = placed(ada, f"plan:{unit_id}", "rl-spring", context=SPRING)
    text = page(resp)
    assert resp.status_code == 200
    assert "This link was placed in another course" in text
    assert "Link this course to that space" in text
    assert 'name="csrf_token"' in text
    spring_id = db.session.scalar(db.select(Course.id).filter_by(context_id=SPRING["id"]))
    assert db.session.scalars(db.select(CourseCopy)).all() == []
    url = f"/courses/{spring_id}/course-copy"
    # Without the CSRF token nothing is linked.
    assert ada.post(url, {"source_id": str(ada.course_id)}, csrf=False).status_code == 400
    # The newcomer (who does not teach the old course) may not link it.
    refused = newcomer.post(url, {"source_id": str(ada.course_id)})
    assert refused.status_code == 403
    assert db.session.scalars(db.select(CourseCopy)).all() == []
    linked = ada.post(url, {"source_id": str(ada.course_id), "target": f"plan:{unit_id}",
                            "_who": str(person_id("teacher-1"))})
    assert location(linked) == f"/courses/{spring_id}/spaces/{space}/plans/{unit_id}"
    assert db.session.get(CourseCopy, spring_id).how == "teacher"
    assert newcomer.get(f"{newcomer.base}/{space}/plans/{unit_id}").status_code == 200
    # From now on the copied link opens straight away.
    assert location(placed(ada, f"plan:{unit_id}", "rl-spring", context=SPRING))


# --- the relaunch: a page asked for before the session existed -------------------------------


def test_a_plan_opened_in_a_new_tab_is_where_the_next_launch_lands(ada, app, unit):
    space, unit_id, _ = unit
    url = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    new_tab = app.test_client()
    with app.app_context():
        resp = new_tab.get(url)
    assert resp.status_code == 401
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("staffroom_resume=")
    assert all(a in cookie for a in ("Secure", "HttpOnly", "SameSite=None", "Partitioned",
                                     "Max-Age=900"))
    ada.client = new_tab  # the relaunch happens in that browser
    resp = launch(ada)
    assert location(resp) == url
    assert "staffroom_resume=;" in resp.headers["Set-Cookie"]  # used once
    assert ada.get(url).status_code == 200
    assert launch(ada).status_code == 200  # the next launch is the dashboard again


def test_relaunch_still_checks_access(ada, bo, app):
    team = create_team_space(ada, "Ada's team")
    url = f"/courses/{bo.course_id}/spaces/{team}/"
    bo.client = app.test_client()  # a new tab: no session
    with app.app_context():
        assert bo.client.get(url).status_code == 401
    assert location(launch(bo)) == url
    assert bo.get(url).status_code == 404  # not a member: the page refuses as always


@pytest.mark.parametrize("path", [
    "//evil.example/x", "https://evil.example/", "/courses/{other}/spaces/",
    "/courses/{course}/../../admin/", "/courses/{course}//evil.example", "/\\evil.example",
    "/courses/{course}/\x00", "/lti/jwks.json",
])
def test_a_remembered_path_outside_the_course_is_never_followed(ada, app, path):
    from itsdangerous import URLSafeTimedSerializer

    from lti_tool.courses.targets import RESUME_COOKIE, RESUME_SALT

    forged = URLSafeTimedSerializer(app.secret_key, salt=RESUME_SALT).dumps(
        {"c": ada.course_id, "p": path.format(course=ada.course_id, other=ada.course_id + 1)})
    ada.client.set_cookie(RESUME_COOKIE, forged, domain="tool.example.org")
    resp = launch(ada)
    assert resp.status_code == 200
    assert "The course team" in page(resp)


def test_a_tampered_or_foreign_resume_cookie_is_ignored(ada, app):
    from itsdangerous import URLSafeTimedSerializer

    from lti_tool.courses.targets import RESUME_COOKIE, RESUME_SALT

    good = f"/courses/{ada.course_id}/spaces/"
    for value in (
        URLSafeTimedSerializer("another-secret-key", salt=RESUME_SALT).dumps(
            {"c": ada.course_id, "p": good}),
        URLSafeTimedSerializer(app.secret_key, salt=RESUME_SALT).dumps(
            {"c": ada.course_id + 1, "p": good}),
        "garbage",
    ):
        ada.client.set_cookie(RESUME_COOKIE, value, domain="tool.example.org")
        resp = launch(ada)
        assert resp.status_code == 200
        assert "The course team" in page(resp)


@pytest.mark.parametrize(("target", "ok"), [
    ("/courses/7/spaces/3/plans/4", True), ("/courses/7/observations/new?template=2", True),
    ("/courses/7/search/?q=http://x", True), ("/courses/70/", False), ("/courses/7", False),
    ("https://evil/courses/7/", False), ("//evil/courses/7/", False),
    ("/courses/7/a/../../../x", False), ("/courses/7/\\x", False), ("", False), (None, False),
])
def test_in_course(target, ok):
    from lti_tool.courses.links import in_course

    found = in_course(target, 7)
    assert found == (target if ok else None)


def test_team_member_from_another_course_opens_a_team_space_link(ada, people, unit):
    team = create_team_space(ada, "Science department")
    cy = people("teacher-9", "Cy Colleague")
    invite(ada, team, "teacher-9")
    answer(cy, team)
    resp = placed(cy, f"space:{team}", "rl-team", context=COURSE_2)
    course_2 = db.session.scalar(db.select(Course.id).filter_by(context_id=COURSE_2["id"]))
    assert location(resp) == f"/courses/{course_2}/spaces/{team}/"


def test_the_picker_reads_the_same_number_of_statements_whatever_the_plans(ada):
    from tests.planning.conftest import StatementCounter

    space = course_space_id(ada)
    create_plan(ada, space, title="Unit 1")
    picker(ada)  # the starter observation forms are written on the first visit
    counts = []
    for more in range(2):
        with StatementCounter() as counter:
            text = page(picker(ada))
        counts.append(len(counter.statements))
        assert text.count('value="plan:') == 1 + 5 * more
        for n in range(5):
            create_plan(ada, space, title=f"Unit {more}-{n}")
        create_team_space(ada, f"Team {more}")
    assert counts[0] == counts[1]


def browser(app, **environ: str):  # type: ignore[no-untyped-def]
    """A test client whose every request comes from this address and user agent."""
    client = app.test_client()
    client.environ_base.update(environ)
    return client


TABLET = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Tablet browser 1.0"}


def ask_in_a_new_tab(app, path: str) -> None:  # type: ignore[no-untyped-def]
    """``path`` opened with no session, in a tab of the TABLET browser: the 401 page."""
    with app.app_context():
        assert browser(app, **TABLET).get(path).status_code == 401


def test_a_new_tab_whose_cookie_the_frame_cannot_see_still_lands_on_the_page(ada, app, unit):
    """Partitioned or blocked cookies: the new tab's cookie never reaches the LMS frame."""
    space, unit_id, _ = unit
    url = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    with app.app_context():
        assert browser(app, **TABLET).get(url).status_code == 401  # the new tab
    ada.client = browser(app, **TABLET)  # the LMS frame: the same browser, no cookie of it
    assert location(launch(ada)) == url
    assert launch(ada).status_code == 200  # used once: the dashboard again


def test_a_page_remembered_for_one_browser_does_not_move_another(ada, bo, app, unit):
    space, unit_id, _ = unit
    url = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    ask_in_a_new_tab(app, url)
    for other in ({**TABLET, "REMOTE_ADDR": "203.0.113.8"},
                  {**TABLET, "HTTP_USER_AGENT": "Laptop browser 2.0"}):
        bo.client = browser(app, **other)
        resp = launch(bo)
        assert resp.status_code == 200
        assert "The course team" in page(resp)
    # The same address and browser build: the colleague the link was sent to, on the
    # computer they opened it on (or anyone at a school whose tablets are all alike).
    bo.client = browser(app, **TABLET)
    assert location(launch(bo)) == url


def test_the_remembered_page_is_kept_under_a_keyed_hash_not_the_address(ada, app, unit):
    from lti_tool.cache import get_cache

    space, unit_id, _ = unit
    url = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    with app.app_context():
        browser(app, **TABLET).get(url)
    from lti_tool.courses.targets import _browser_key

    with app.test_request_context(url, environ_base=TABLET):
        key = _browser_key(ada.course_id)
        assert get_cache().get(key)["p"] == url
    assert key.startswith(f"requested-path:{ada.course_id}:")
    assert "203.0.113" not in key
    assert "Tablet" not in key


def test_a_placed_link_opens_its_own_target_even_with_a_page_remembered(ada, app, unit):
    space, unit_id, lesson_id = unit
    remembered = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    ask_in_a_new_tab(app, remembered)
    ada.client = browser(app, **TABLET)
    resp = placed(ada, f"plan:{lesson_id}", "rl-lesson")
    assert location(resp) == f"/courses/{ada.course_id}/spaces/{space}/plans/{lesson_id}"
    assert launch(ada).status_code == 200  # the remembered page was used up: the dashboard


def test_the_shared_cache_keeps_no_query_string_so_nobody_chooses_what_a_page_says(ada, bo,
                                                                                   app):
    """Anyone on the school's network with the same browser build shares the cache key."""
    words = "Your session expired: call IT on 0123"
    search = f"/courses/{ada.course_id}/search"
    with app.app_context():
        anonymous = browser(app, **TABLET)
        assert anonymous.get(search, query_string={"q": words}).status_code == 401
    bo.client = browser(app, **TABLET)  # a teacher launches next, from that network
    assert location(launch(bo)) == search
    assert words not in page(bo.get(search))


def test_the_cookie_keeps_the_whole_address_for_its_own_browser(ada, app):
    search = f"/courses/{ada.course_id}/search?q=onion+cells"
    new_tab = app.test_client()
    with app.app_context():
        assert new_tab.get(search).status_code == 401
    ada.client = new_tab
    assert location(launch(ada)) == search


def test_nothing_is_remembered_for_a_course_that_does_not_exist(app):
    from lti_tool.cache import get_cache
    from lti_tool.courses.targets import _browser_key

    with app.app_context():
        resp = browser(app, **TABLET).get("/courses/4242/spaces/")
        assert resp.status_code == 401
    with app.test_request_context("/", environ_base=TABLET):
        assert get_cache().get(_browser_key(4242)) is None


def test_the_newer_of_the_cookie_and_the_cache_wins(ada, app, unit, monkeypatch):
    import time as time_module

    space, unit_id, lesson_id = unit
    older = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    newer = f"/courses/{ada.course_id}/spaces/{space}/plans/{lesson_id}"
    frame = browser(app, **TABLET)
    with app.app_context():
        assert frame.get(older).status_code == 401  # the frame's cookie, and the cache
        real = time_module.time
        monkeypatch.setattr(time_module, "time", lambda: real() + 60)
        assert browser(app, **TABLET).get(newer).status_code == 401  # a new tab, later
    ada.client = frame
    assert location(launch(ada)) == newer


def test_landing_on_a_remembered_page_says_why(ada, app, unit):
    space, unit_id, _ = unit
    url = f"/courses/{ada.course_id}/spaces/{space}/plans/{unit_id}"
    ask_in_a_new_tab(app, url)
    ada.client = browser(app, **TABLET)
    assert location(launch(ada)) == url
    assert "opened the page asked for a few minutes ago" in page(ada.get(url))


def test_the_page_promises_a_return_only_when_it_remembered_the_page(ada, app):
    long_query = "x" * 1200
    with app.app_context():
        kept = app.test_client().get(f"/courses/{ada.course_id}/spaces/")
        too_long = app.test_client().get(f"/courses/{ada.course_id}/search?q={long_query}")
    assert "it will bring you to this page" in page(kept)
    assert too_long.status_code == 401
    assert "it will bring you to this page" not in page(too_long)
    assert "staffroom_resume=" not in too_long.headers.get("Set-Cookie", "")
