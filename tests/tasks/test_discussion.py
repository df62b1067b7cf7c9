"""Discussion: comments and @mentions, safe rendering, and what's new on the dashboard."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import sqlalchemy as sa
from flask import current_app, g, render_template_string

from lti_tool.activity.services import whats_new
from lti_tool.courses import registry
from lti_tool.courses.context import CourseContext
from lti_tool.courses.registry import AudienceMember, Subject
from lti_tool.discussion.models import Comment, Mention
from lti_tool.discussion.services import BODY_MAX_CHARS, find_mentions, render_body
from lti_tool.extensions import db
from lti_tool.planning.models import Plan, SpaceMember
from tests.support.sql import count_statements
from tests.tasks.helpers import (
    LEARNER,
    course,
    course_space,
    launch,
    person,
    plan,
    post,
    task,
    team_space,
)


def comment_url(space_id: int, plan_id: int) -> str:
    return f"/courses/1/discussion/plan/{plan_id}/comments"


def counts(news) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return tuple(len(news.items(name)) for name in ("mentions", "tasks", "changed-plans"))


def test_comment_with_mentions_of_members_only(app, platform, team):
    ada, ben, _ = team
    space = course_space()
    unit = plan(space)
    plan_page = f"/courses/1/spaces/{space.id}/plans/{unit.id}"
    body = "Thanks @ben colleague, can you check? @Cy Other and @Nobody stay plain. @Ada Teacher"
    # Names that match nobody who can read the plan are said before anything is posted.
    resp = post(ada, comment_url(space.id, unit.id), {"body": body, "next": plan_page})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "@Cy, @Nobody match nobody who can read this" in page
    assert 'name="confirm_unmatched" type="hidden" value="@Cy @Nobody"' in page
    assert "Post as it is" in page
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    resp = post(ada, comment_url(space.id, unit.id),
                {"body": body, "next": plan_page, "confirm_unmatched": "@Cy @Nobody"})
    assert resp.status_code == 303
    comment = db.session.scalars(sa.select(Comment)).one()
    assert resp.headers["Location"].endswith(f"{plan_page}#comment-{comment.id}")
    mentioned = db.session.scalars(sa.select(Mention.person_id)).all()
    assert mentioned == [person("teacher-2").id]  # not Cy (not a member), not Ada (the author)

    page = ben.get(plan_page).get_data(as_text=True)
    assert f'id="comment-{comment.id}"' in page
    assert '<mark class="mention">@Ben Colleague</mark>' in page
    assert "@Cy Other and @Nobody stay plain" in page


def test_mentions_in_a_team_space_resolve_to_its_members(app, platform, team):
    ada, _, _ = team
    space = team_space("Science", person("teacher-1"), person("teacher-3"))
    unit = plan(space)
    resp = post(ada, comment_url(space.id, unit.id), {"body": "@Cy Other and @Ben Colleague"})
    assert "@Ben matches nobody who can read this" in resp.get_data(as_text=True)  # not a member
    post(ada, comment_url(space.id, unit.id),
         {"body": "@Cy Other and @Ben Colleague", "confirm_unmatched": "@ben"})
    assert db.session.scalars(sa.select(Mention.person_id)).all() == [person("teacher-3").id]


def test_longest_name_wins_and_words_must_end():
    class P:
        def __init__(self, pid: int, name: str) -> None:
            self.id, self.display_name = pid, name

    members = [AudienceMember(P(1, "Ada")), AudienceMember(P(2, "Ada Teacher"))]
    spans = find_mentions("hi @ada teacher, and @Ada. not @Adam or me@ada", members)
    assert [(s.person_id, s.name) for s in spans] == [(2, "Ada Teacher"), (1, "Ada")]


class Tags(HTMLParser):
    """Every tag and attribute of a piece of HTML, as a browser would parse them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.found.append((tag, dict(attrs)))


def assert_safe(html: str) -> None:
    for tag, attrs in Tags(html).found:
        assert tag not in {"script", "style", "iframe", "object", "embed"}
        assert not [a for a in attrs if a.startswith("on") or a == "style"], (tag, attrs)
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").lower().startswith(("javascript:", "data:"))
        if tag == "mark":
            assert attrs in ({}, {"class": "mention"})


def test_comment_rendering_is_sanitised():
    hostile = (
        '<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) '
        '<mark class="mention">fake</mark> \ue0000\ue001 **bold**'
    )
    html = str(render_body(hostile, []))
    assert_safe(html)
    assert not [t for t, _ in Tags(html).found if t in {"script", "img", "mark"}]
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_mention_inside_a_link_title_cannot_break_out(app, platform, team):
    with current_app.test_request_context("/courses/1/"):
        members = registry.audience(Subject("space", course_space().id))
    source = '[a](https://x.example "@Ben Colleague\\" onmouseover=\\"alert(1)") @Ben Colleague'
    html = str(render_body(source, members))
    assert_safe(html)
    assert html.count('<mark class="mention">@Ben Colleague</mark>') >= 1


def test_bad_comments_keep_the_text_and_say_why(app, platform, team):
    ada, _, _ = team
    space = course_space()
    unit = plan(space)
    resp = post(ada, comment_url(space.id, unit.id), {"body": "   "})
    assert resp.status_code == 422
    assert "Write something before posting" in resp.get_data(as_text=True)
    long_text = "word " * (BODY_MAX_CHARS // 5 + 10)
    resp = post(ada, comment_url(space.id, unit.id), {"body": long_text})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert f"Keep a comment to {BODY_MAX_CHARS:,} characters" in page
    assert 'aria-describedby="body-hint body-error"' in page
    assert long_text.strip()[:200] in page
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_comment_writes_refused_without_csrf_for_learners_and_outsiders(app, platform, team):
    ada, _, cy = team
    space = course_space()
    unit = plan(space)
    other = team_space("Private", person("teacher-3"))
    secret = plan(other, "Secret")
    learner = launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    assert ada.post(comment_url(space.id, unit.id), data={"body": "hi"}).status_code == 400
    assert post(learner, comment_url(space.id, unit.id), {"body": "hi"}).status_code == 403
    course_2 = course("course-2").id
    assert post(cy, comment_url(space.id, unit.id).replace("/courses/1/", f"/courses/{course_2}/"),
                {"body": "hi"}).status_code == 404
    assert post(ada, comment_url(other.id, secret.id), {"body": "hi"}).status_code == 404
    # Kinds nobody registered, and ids that name nothing.
    for url in ("/courses/1/discussion/nothing/1/comments",
                "/courses/1/discussion/plan/999999/comments"):
        assert post(ada, url, {"body": "hi"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def render_whats_new(sub: str, context_id: str = "course-1") -> str:
    """The dashboard partial for this person, as the dashboard includes it."""
    who, where = person(sub), course(context_id)
    ctx = CourseContext(course=where, person=who, membership=None, roles=frozenset(),
                        permissions=frozenset())
    with current_app.test_request_context(f"/courses/{where.id}/"):
        g.course_id = where.id
        news = whats_new(who, where)
        return render_template_string(
            '{% include "activity/_whats_new.html" %}', ctx=ctx, news=news
        )


def test_whats_new_mentions_tasks_and_changes_then_seen(app, platform, team):
    ada, ben, _ = team
    me, colleague = person("teacher-1"), person("teacher-2")
    space = course_space()
    unit = plan(space, "Cells unit", author=colleague)
    page = render_whats_new("teacher-1")
    assert "Changed since your last visit" in page
    assert "Cells unit" in page

    # Opening the space home records the visit (and creates Ada's member row).
    assert ada.get(f"/courses/1/spaces/{space.id}/").status_code == 200
    member = db.session.scalars(sa.select(SpaceMember).filter_by(person_id=me.id)).one()
    assert member.last_visit_at is not None
    assert "Changed since your last visit" not in render_whats_new("teacher-1")

    post(ben, comment_url(space.id, unit.id), {"body": "@Ada Teacher please look"})
    task(space, "Overdue marking", me, date.today() - timedelta(days=2), plan_row=unit)
    task(space, "Ben's own", colleague, date.today())
    db.session.execute(sa.update(Plan).values(title="Cells unit v2",
                                              updated_at=member.last_visit_at + timedelta(1)))
    db.session.commit()
    page = render_whats_new("teacher-1")
    assert "Ben Colleague</strong> mentioned you" in page
    assert "please look" in page
    assert "Overdue: due" in page
    assert "Overdue marking" in page
    assert "Ben&#39;s own" not in page
    assert "Changed since your last visit" in page
    assert "Cells unit v2" in page
    # Ada's own saves are not news to her.
    db.session.execute(sa.update(Plan).values(updated_by_id=me.id))
    db.session.commit()
    assert "Changed since your last visit" not in render_whats_new("teacher-1")

    # Opening the plan marks the mention seen.
    assert ada.get(f"/courses/1/spaces/{space.id}/plans/{unit.id}").status_code == 200
    assert db.session.scalar(sa.select(Mention.seen_at)) is not None
    assert "mentioned you" not in render_whats_new("teacher-1")


def test_whats_new_hides_spaces_the_teacher_lost(app, platform, team):
    _, ben, _ = team
    me = person("teacher-1")
    space = team_space("Science", me, person("teacher-2"))
    unit = plan(space, author=person("teacher-2"))
    post(ben, comment_url(space.id, unit.id), {"body": "@Ada Teacher hi"})
    task(space, "Team task", me)
    with current_app.test_request_context("/courses/1/"):
        news = whats_new(me, course())
    assert counts(news) == (1, 1, 1)
    db.session.execute(sa.update(SpaceMember).where(SpaceMember.person_id == me.id)
                       .values(status="left"))
    db.session.commit()
    with current_app.test_request_context("/courses/1/"):
        assert whats_new(me, course()).is_empty


def test_whats_new_queries_are_bounded(app, platform, team):
    _, ben, _ = team
    me = person("teacher-1")
    space = course_space()

    def run() -> int:
        with count_statements() as statements:
            render_whats_new("teacher-1")
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            p = plan(space, f"Plan {i}", author=person("teacher-2"))
            task(space, f"T{i}", me, plan_row=p)
            post(ben, comment_url(space.id, p.id), {"body": f"@Ada Teacher {i}"})

    add(3)
    few = run()
    add(12)
    assert run() == few


def test_whats_new_asks_once_when_there_is_nothing_new(app, platform, team):
    space = course_space()
    me, colleague, here = person("teacher-1"), person("teacher-2"), course()
    with count_statements() as statements:
        assert whats_new(me, here).is_empty
    assert len(statements) == 1
    task(space, "Mark the test", me)
    plan(space, "Mine", author=me)
    db.session.refresh(me)
    db.session.refresh(here)
    with count_statements() as statements:
        news = whats_new(me, here)
    # The probe, then the one list that has items (Ada's own plan is not news to her),
    # then the names of what its tasks are about (one query per kind: here, the space).
    assert counts(news) == (0, 1, 0)
    assert len(statements) == 3
    plan(space, "Theirs", author=colleague)
    db.session.refresh(me)
    db.session.refresh(here)
    with count_statements() as statements:
        news = whats_new(me, here)
    assert [c.plan.title for c in news.items("changed-plans")] == ["Theirs"]
    assert len(statements) == 4
