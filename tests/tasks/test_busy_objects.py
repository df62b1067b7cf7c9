"""A busy plan (a long discussion, many tasks) opens on its latest comments and soonest
tasks, with the rest one link away: the page costs the same however busy the plan is."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.discussion import services as discussion
from lti_tool.discussion.models import Comment, Mention
from lti_tool.extensions import db
from lti_tool.tasks import services as tasks
from lti_tool.tasks.models import Task
from tests.support.sql import count_statements
from tests.tasks.helpers import course_space, launch, person, plan


@pytest.fixture
def ada(app, platform):
    return launch(app, platform)


def _comments(unit_id: int, count: int, body: str = "Comment {i:03d}",
              mention_of: int | None = None) -> None:
    ben = person("teacher-2")
    for i in range(count):
        comment = Comment(subject_kind="plan", subject_id=unit_id, author_id=ben.id,
                          body=body.format(i=i))
        db.session.add(comment)
        db.session.flush()
        if mention_of is not None:
            db.session.add(Mention(comment_id=comment.id, person_id=mention_of))
    db.session.commit()


def _shown_comments(html: str) -> list[str]:
    return re.findall(r'<div class="comment-body"><p>(Comment \d+)', html)


def test_a_long_discussion_opens_on_its_latest_comments(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    space = course_space()
    unit = plan(space)
    _comments(unit.id, discussion.RECENT + 5)
    url = f"/courses/1/spaces/{space.id}/plans/{unit.id}"
    html = ada.get(url).get_data(as_text=True)
    assert _shown_comments(html) == [f"Comment {i:03d}" for i in range(5, discussion.RECENT + 5)]
    assert f'href="{url}?comments=all#discussion-heading"' in html
    everything = ada.get(f"{url}?comments=all").get_data(as_text=True)
    assert len(_shown_comments(everything)) == discussion.RECENT + 5
    assert "Show the earlier comments" not in everything


def test_only_the_mentions_a_page_shows_are_seen(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    me = person("teacher-1")
    space = course_space()
    unit = plan(space)
    _comments(unit.id, 3, "Old {i}", mention_of=me.id)
    _comments(unit.id, discussion.RECENT)
    url = f"/courses/1/spaces/{space.id}/plans/{unit.id}"
    ada.get(url)
    unseen = sa.select(sa.func.count(Mention.id)).where(Mention.seen_at.is_(None))
    assert db.session.scalar(unseen) == 3  # the old mentions were not on the page
    ada.get(f"{url}?comments=all")  # where "What's new" and search send the teacher
    assert db.session.scalar(unseen) == 0


def test_a_mention_in_whats_new_opens_the_whole_discussion(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    me = person("teacher-1")
    space = course_space()
    unit = plan(space)
    _comments(unit.id, 1, "Old {i}", mention_of=me.id)
    comment_id = db.session.scalar(sa.select(Comment.id))
    dashboard = ada.get("/courses/1/").get_data(as_text=True)
    assert (f'href="/courses/1/spaces/{space.id}/plans/{unit.id}?comments=all'
            f'#comment-{comment_id}"') in dashboard


def test_a_plan_with_many_tasks_shows_the_soonest_and_links_to_all(app, platform, ada):
    space = course_space()
    unit = plan(space)
    me = person("teacher-1")
    db.session.add_all(
        Task(subject_kind="plan", subject_id=unit.id, title=f"Task {i:03d}", owner_id=me.id,
             due_on=date.today() + timedelta(days=i))
        for i in range(tasks.SUBJECT_SHOWN + 4)
    )
    db.session.commit()
    url = f"/courses/1/spaces/{space.id}/plans/{unit.id}"
    html = ada.get(url).get_data(as_text=True)
    titles = re.findall(r'<span class="task-title">(Task \d+)</span>', html)
    assert titles == [f"Task {i:03d}" for i in range(tasks.SUBJECT_SHOWN)]
    assert f'href="{url}?tasks=all#subject-tasks-heading"' in html
    everything = ada.get(f"{url}?tasks=all").get_data(as_text=True)
    assert len(re.findall(r'class="task-title"', everything)) == tasks.SUBJECT_SHOWN + 4


def test_a_busy_plan_page_costs_what_a_quiet_one_does(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    space = course_space()
    unit = plan(space)
    me = person("teacher-1")
    url = f"/courses/1/spaces/{space.id}/plans/{unit.id}"

    def busier(n: int) -> None:
        _comments(unit.id, n, "Comment {i:03d} @Ada Teacher", mention_of=me.id)
        db.session.add_all(Task(subject_kind="plan", subject_id=unit.id, title=f"T{i}",
                                owner_id=me.id) for i in range(n))
        db.session.commit()

    busier(2)
    ada.get(url)
    with count_statements() as quiet:
        small = ada.get(url).get_data(as_text=True)
    busier(discussion.RECENT * 2)
    with count_statements() as busy:
        large = ada.get(url).get_data(as_text=True)
    assert len(busy) == len(quiet)
    assert len(_shown_comments(small)) == 2
    assert len(_shown_comments(large)) == discussion.RECENT
    assert len(re.findall(r'class="task-title"', large)) == tasks.SUBJECT_SHOWN


def test_a_plan_page_asks_who_may_see_the_plan_once(app, platform, ada, monkeypatch):
    """Its tasks' owners and its discussion's mentions come from one reading of the audience,
    and the space's access says who may add tasks and comments (no second check)."""
    from lti_tool.courses import registry
    from lti_tool.planning import kinds

    space = course_space()
    unit = plan(space)
    asked: list[int] = []
    checked: list[object] = []
    real_members, real_can_see = kinds._members, registry.can_see
    monkeypatch.setattr(kinds, "_members", lambda sid: asked.append(sid) or real_members(sid))
    monkeypatch.setattr(registry, "can_see",
                        lambda *a, **k: checked.append(a) or real_can_see(*a, **k))
    html = ada.get(f"/courses/1/spaces/{space.id}/plans/{unit.id}").get_data(as_text=True)
    assert "Add a task" in html
    assert "Post comment" in html
    assert asked == [space.id]
    assert checked == []
