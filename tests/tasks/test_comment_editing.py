"""Comments: edited and deleted by their author, @ suggestions, names that match nobody.

An edit names the version it started from and is refused (text kept, the saved
comment shown) if the comment has moved on; its mentions follow the new text and
it shows as edited. A deletion takes the comment's mentions and search entry
along. The @ suggestions are the subject's audience, for whoever may comment.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lti_tool.discussion.models import Comment, Mention
from lti_tool.extensions import db
from lti_tool.search.models import SearchDocument
from lti_tool.search.services import search
from tests.tasks.helpers import (
    LEARNER,
    course,
    course_space,
    launch,
    person,
    plan,
    post,
    team_space,
)


@pytest.fixture
def thread(team):
    """A unit of course 1 with Ada's comment mentioning Ben."""
    ada, _, _ = team
    space = course_space()
    unit = plan(space, "Cells unit")
    page = f"/courses/1/spaces/{space.id}/plans/{unit.id}"
    resp = post(ada, f"/courses/1/discussion/plan/{unit.id}/comments",
                {"body": "@Ben Colleague can you book the microscopes?", "next": page})
    assert resp.status_code == 303
    comment = db.session.scalars(sa.select(Comment)).one()
    return unit, page, comment.id


def edit_url(comment_id: int) -> str:
    return f"/courses/1/discussion/comments/{comment_id}/edit"


def delete_url(comment_id: int) -> str:
    return f"/courses/1/discussion/comments/{comment_id}/delete"


def test_the_author_edits_a_comment_and_it_shows_as_edited(team, thread):
    ada, ben, _ = team
    unit, page, cid = thread
    form = ada.get(edit_url(cid) + f"?next={page}").get_data(as_text=True)
    assert "Edit your comment on “Cells unit”" in form
    assert 'name="version" type="hidden" value="1"' in form
    assert 'data-editor="markdown"' in form
    assert f'data-mentions-url="/courses/1/discussion/plan/{unit.id}/people"' in form
    assert "@Ben Colleague can you book the microscopes?</textarea>" in form

    resp = post(ada, edit_url(cid), {"body": "Booked the spectrometers, thanks.",
                                     "version": "1", "next": page})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"{page}#comment-{cid}")
    comment = db.session.get(Comment, cid)
    assert (comment.body, comment.version) == ("Booked the spectrometers, thanks.", 2)
    assert comment.edited_at is not None
    shown = ben.get(page).get_data(as_text=True)
    assert "Booked the spectrometers, thanks." in shown
    assert re.search(r'<span class="comment-edited">\(edited <time datetime="[^"]+"', shown)
    # Ben is no longer named: his mention (and its "what's new" entry) goes.
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 0
    # Search finds the new words, not the old ones.
    assert [h.subject.title for h in search(person("teacher-2"), "spectrometers")] == [
        "Cells unit"]
    assert search(person("teacher-2"), "microscopes") == []


def test_an_edit_that_names_someone_new_tells_them_and_keeps_earlier_mentions_as_they_were(
    team, thread
):
    ada, ben, _ = team
    unit, page, cid = thread
    ben.get(page)  # Ben has seen his mention
    seen_before = db.session.scalar(sa.select(Mention.seen_at))
    assert seen_before is not None
    resp = post(ada, edit_url(cid), {
        "body": "@Ben Colleague and @Ada Teacher: booked.", "version": "1"})
    assert resp.status_code == 303
    rows = db.session.scalars(sa.select(Mention)).all()
    assert [(r.person_id, r.seen_at) for r in rows] == [(person("teacher-2").id, seen_before)]


def test_an_edit_from_an_older_version_is_refused_and_keeps_the_text(team, thread):
    ada, _, _ = team
    _, page, cid = thread
    assert post(ada, edit_url(cid), {"body": "First tab's words.", "version": "1"}
                ).status_code == 303
    resp = post(ada, edit_url(cid), {"body": "Second tab's words.", "version": "1",
                                     "next": page})
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "This comment was saved elsewhere while you were editing it" in html
    assert "First tab&#39;s words." in html  # what is saved now
    assert "Second tab&#39;s words.</textarea>" in html  # what was typed, kept
    assert 'name="version" type="hidden" value="2"' in html  # saving now replaces it
    assert db.session.get(Comment, cid).body == "First tab's words."


def test_only_the_author_may_edit_or_delete_and_only_where_they_may_see(app, platform, team,
                                                                        thread):
    ada, ben, cy = team
    _, _, cid = thread
    for url in (edit_url(cid), delete_url(cid)):
        assert ben.get(url).status_code == 403
        assert post(ben, url, {"body": "mine now", "version": "1"}).status_code == 403
        other_course = f"/courses/{course('course-2').id}/"
        assert cy.get(url.replace("/courses/1/", other_course)).status_code == 404
    assert ada.post(edit_url(cid), data={"body": "x", "version": "1"}).status_code == 400
    for version in ("", "x", "²", "9" * 12):
        resp = post(ada, edit_url(cid), {"body": "x", "version": version})
        assert resp.status_code == 400, version
    assert post(ada, edit_url(cid), {"body": "  ", "version": "1"}).status_code == 422
    assert post(ada, edit_url(999999), {"body": "x", "version": "1"}).status_code == 404
    learner = launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    assert learner.get(edit_url(cid)).status_code == 403  # staff only, before anything else
    assert db.session.get(Comment, cid).version == 1


def test_the_author_deletes_a_comment_with_its_mentions_and_search_entry(team, thread):
    ada, ben, _ = team
    _, page, cid = thread
    confirm = ada.get(delete_url(cid) + f"?next={page}").get_data(as_text=True)
    assert "Delete your comment on “Cells unit”?" in confirm
    assert "@Ben Colleague can you book the microscopes?" in confirm
    assert db.session.scalar(sa.select(sa.func.count(SearchDocument.id)).where(
        SearchDocument.source_kind == "comment")) == 1
    resp = post(ada, delete_url(cid), {"next": page})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"{page}#discussion-heading")
    assert db.session.get(Comment, cid) is None
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(SearchDocument.id)).where(
        SearchDocument.source_kind == "comment")) == 0
    assert search(person("teacher-2"), "microscopes") == []
    assert "mentioned you" not in ben.get("/courses/1/").get_data(as_text=True)


def test_only_the_authors_own_comments_offer_edit_and_delete(team, thread):
    ada, ben, _ = team
    _, page, cid = thread
    assert f"/discussion/comments/{cid}/edit" in ada.get(page).get_data(as_text=True)
    assert f"/discussion/comments/{cid}/edit" not in ben.get(page).get_data(as_text=True)


def test_people_to_mention_are_the_subjects_audience(app, platform, team):
    ada, ben, cy = team
    unit = plan(course_space(), "Cells unit")
    resp = ada.get(f"/courses/1/discussion/plan/{unit.id}/people")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    people = resp.get_json()["people"]
    assert [(p["name"], p["me"]) for p in people] == [
        ("Ada Teacher", True), ("Ben Colleague", False)]
    # A team space's plan: its members only, wherever they teach.
    secret = plan(team_space("Science", person("teacher-1"), person("teacher-3")), "Secret")
    names = [p["name"] for p in ada.get(
        f"/courses/1/discussion/plan/{secret.id}/people").get_json()["people"]]
    assert names == ["Ada Teacher", "Cy Other"]
    assert ben.get(f"/courses/1/discussion/plan/{secret.id}/people").status_code == 404
    assert ada.get("/courses/1/discussion/nothing/1/people").status_code == 404
    learner = launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    assert learner.get(f"/courses/1/discussion/plan/{unit.id}/people").status_code == 403


def test_a_comment_naming_nobody_is_confirmed_first_and_new_names_asked_again(team):
    ada, _, _ = team
    unit = plan(course_space(), "Cells unit")
    url = f"/courses/1/discussion/plan/{unit.id}/comments"
    resp = post(ada, url, {"body": "@Bob, can you help?"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "@Bob matches nobody who can read this" in html
    assert "Post as it is" in html
    assert "@Bob, can you help?</textarea>" in html
    # The text changed meanwhile: a name not confirmed yet is asked about again.
    resp = post(ada, url, {"body": "@Bob and @Cyd, can you help?", "confirm_unmatched": "@Bob"})
    assert "@Cyd matches nobody" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    resp = post(ada, url, {"body": "@Bob and @Cyd, can you help?",
                           "confirm_unmatched": "@Bob @Cyd"})
    assert resp.status_code == 303
    assert db.session.scalars(sa.select(Comment.body)).one() == "@Bob and @Cyd, can you help?"
