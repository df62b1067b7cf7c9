"""The practice LMS's deep linking: "Add Staffroom content", the checked response, and
launching the links it placed."""

from __future__ import annotations

import html
import re

from lti_tool.demo import placed
from tests.conftest import auth_request_url
from tests.demo.conftest import LMS, TOOL, iframe_src, post_form

TEACHER, LEARNER = "1001", "2001"


def _through_login(client, src: str):  # type: ignore[no-untyped-def]
    """iframe src -> tool login -> LMS auth -> the launch POST to the tool; its response."""
    # The practice LMS offers its storage: the tool's page stores the state, then goes on.
    auth = client.get(auth_request_url(client.get(src)))
    assert auth.status_code == 200, auth.get_data(as_text=True)
    action, fields = post_form(auth.get_data(as_text=True))
    return client.post(action, data=fields)


def _add_content(client, *targets: str, teacher: str = TEACHER,
                 course: str = ""):  # type: ignore[no-untyped-def]
    """A teacher's "Add Staffroom content" up to the tool's auto-posted response form."""
    frame = client.get(f"{LMS}/demo/staffroom?as={teacher}&add=1{course}")
    assert "<h1>Add Staffroom content</h1>" in frame.get_data(as_text=True)
    picker = _through_login(client, iframe_src(frame.get_data(as_text=True)))
    text = picker.get_data(as_text=True)
    assert "Add Staffroom content to your course" in text, text[:500]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)
    resp = client.post(f"{TOOL}/lti/deep-link", data={"csrf_token": token, "target": list(targets)})
    body = resp.get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', body).group(1))
    jwt = re.search(r'name="JWT" value="([^"]+)"', body).group(1)
    return action, jwt


def test_a_teacher_adds_content_and_launches_the_placed_link(client):
    client.get(f"{LMS}/demo/")
    action, jwt = _add_content(client, "planning-course:here")
    assert action == f"{LMS}/demo/deep-link-return"
    back = client.post(action, data={"JWT": jwt})
    text = back.get_data(as_text=True)
    assert back.status_code == 200, text
    assert "Added to the course" in text
    assert "Planning space of this course" in text
    (link,) = placed.placed_links()
    assert link.url == f"{TOOL}/lti/launch?target=planning-course%3Ahere"
    assert link.custom["staffroom_target"] == "planning-course:here"
    assert link.placed_by == TEACHER
    home = client.get(f"{LMS}/demo/?as={TEACHER}").get_data(as_text=True)
    assert "Planning space of this course" in home
    assert f"link={link.id}" in home
    # Launching the placed link opens the course's planning space.
    frame = client.get(f"{LMS}/demo/staffroom?as={TEACHER}&link={link.id}")
    launched = _through_login(client, iframe_src(frame.get_data(as_text=True)))
    text = launched.get_data(as_text=True)
    assert launched.status_code == 200, text[:400]
    assert re.search(r'href="/courses/\d+/spaces/\d+/" data-follow', text)


def test_the_lms_refuses_a_response_not_signed_by_the_tool(client):
    client.get(f"{LMS}/demo/")
    action, jwt = _add_content(client, "planning-course:here")
    header, payload, signature = jwt.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA"
                                                          else "BBBB")])
    resp = client.post(action, data={"JWT": forged})
    assert resp.status_code == 400
    assert "does not match any key the tool publishes" in resp.get_data(as_text=True)
    assert placed.placed_links() == []
    assert client.post(action, data={"JWT": "not a jwt"}).status_code == 400


def test_learners_cannot_add_content(client):
    resp = client.get(f"{LMS}/demo/staffroom?as={LEARNER}&add=1")
    assert resp.status_code == 403
    assert "Only teachers add content" in resp.get_data(as_text=True)
    assert "Add Staffroom content" not in client.get(f"{LMS}/demo/?as={LEARNER}").get_data(
        as_text=True)


def test_an_unknown_link_is_a_clear_404(client):
    resp = client.get(f"{LMS}/demo/staffroom?as={TEACHER}&link=practice-link-nope")
    assert resp.status_code == 404
    assert "This link is not in the course" in resp.get_data(as_text=True)


def test_a_link_is_placed_in_the_course_it_was_added_from(client):
    """Two practice courses: content added from the second lands there, not in the first."""
    from lti_tool.demo import roster

    second = roster.COURSES[1]
    both = next(m for m in roster.ROSTER if m.is_staff and m.enrolled_in(roster.COURSE)
                and m.enrolled_in(second))
    client.get(f"{LMS}/demo/")
    action, jwt = _add_content(client, "planning-course:here", teacher=both.user_id,
                               course=f"&course={second.context_id}")
    assert client.post(action, data={"JWT": jwt}).status_code == 200
    (link,) = placed.placed_links(second)
    assert placed.placed_links(roster.COURSE) == []
    assert placed.find_link(link.id, roster.COURSE) is None
    # Opened from the first course, the second course's link is not there.
    resp = client.get(f"{LMS}/demo/staffroom?as={both.user_id}&link={link.id}")
    assert resp.status_code == 404
    frame = client.get(
        f"{LMS}/demo/staffroom?as={both.user_id}&link={link.id}&course={second.context_id}")
    launched = _through_login(client, iframe_src(frame.get_data(as_text=True)))
    assert launched.status_code == 200
    text = launched.get_data(as_text=True)
    assert re.search(r'href="/courses/\d+/spaces/\d+/" data-follow', text)
