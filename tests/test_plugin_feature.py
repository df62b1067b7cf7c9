"""A feature defined only in this test plugs into every shared block by registering.

"Memos": a note from one teacher to one named colleague. Its rule admits the
author and the reader, nobody else, not even other staff of the same course.
Registering the kind (and one what's-new section) is all it does: no line of
tasks, discussion, search or what's new knows it, yet its memos get tasks, a
discussion with mentions, search hits and what's-new entries, each visible only
to the two people its rule admits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lti_tool.courses import registry
from lti_tool.courses.registry import Kind, NewsSection, Subject, SubjectInfo
from lti_tool.discussion.models import Mention
from lti_tool.extensions import db
from lti_tool.search.services import index, search
from lti_tool.tasks.models import Task
from tests.tasks.helpers import launch, person, post


class MemoBase(DeclarativeBase):
    """The test feature's own metadata: its table is not part of the application's schema."""


class Memo(MemoBase):
    __tablename__ = "test_memo"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column()
    author_id: Mapped[int] = mapped_column()
    reader_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))


def memo_rule(person_id: Any, platform_id: Any) -> sa.ColumnElement[bool]:
    """The feature's one rule: the author and the reader, on the memo's platform."""
    return sa.and_(
        Memo.platform_id == platform_id,
        sa.or_(Memo.author_id == person_id, Memo.reader_id == person_id),
    )


def describe(ids: Collection[int]) -> dict[int, SubjectInfo]:
    rows = db.session.execute(sa.select(Memo.id, Memo.title).where(Memo.id.in_(ids))).all()
    return {
        mid: SubjectInfo(Subject("memo", mid), title, "courses.dashboard",
                         {"_anchor": f"memo-{mid}"}, "Memos")
        for mid, title in rows
    }


def addressed_to(person_id: Any, platform_id: Any, course_id: Any) -> sa.Select:
    return sa.select(Memo).where(Memo.reader_id == person_id, memo_rule(person_id, platform_id))


MEMO = Kind(name="memo", label="memo", model=Memo, rule=memo_rule, describe=describe)
NEWS = NewsSection(
    name="memos", order=5, statement=addressed_to, load=lambda rows: [m for (m,) in rows],
    template="memos/_news.html",
)
NEWS_TEMPLATE = (
    '<h3>Memos for you</h3><ul>{% for memo in items %}'
    '<li class="memo">{{ memo.title }}</li>{% endfor %}</ul>'
)


@pytest.fixture
def memos(app) -> Iterator[None]:
    """The feature, registered with this application only."""
    registry.register_kind(app, MEMO)
    registry.register_news(app, NEWS)
    app.jinja_env.loader = ChoiceLoader(
        [app.jinja_env.loader, DictLoader({"memos/_news.html": NEWS_TEMPLATE})]
    )
    MemoBase.metadata.create_all(db.engine)
    yield
    db.session.remove()
    MemoBase.metadata.drop_all(db.engine)


@pytest.fixture
def people(app, platform, memos):
    """Ada writes to Ben; Cy teaches the same course but is neither author nor reader."""
    clients = {
        "ada": launch(app, platform),
        "ben": launch(app, platform, sub="teacher-2", name="Ben Colleague"),
        "cy": launch(app, platform, sub="teacher-3", name="Cy Sameroom"),
    }
    return clients


def write_memo(title: str, author: str = "teacher-1", reader: str = "teacher-2") -> Memo:
    memo = Memo(platform_id=person(author).platform_id, author_id=person(author).id,
                reader_id=person(reader).id, title=title)
    db.session.add(memo)
    db.session.flush()
    index(Subject("memo", memo.id), title=title, body="About the lab rota for next term")
    db.session.commit()
    return memo


def test_a_task_on_a_memo_is_for_its_author_and_reader_only(people):
    memo = write_memo("Lab rota")
    ada, ben, cy = people["ada"], people["ben"], people["cy"]
    new_task = f"/courses/1/tasks/new?on=memo:{memo.id}"
    # The owner must be someone the rule admits: Cy is refused, Ben accepted.
    cy_id = str(person("teacher-3").id)
    refused = post(ada, new_task, {"title": "Swap Tuesdays", "owner_id": cy_id})
    assert refused.status_code == 422
    assert "Unknown colleague" in refused.get_data(as_text=True)
    assert post(ada, new_task, {"title": "Swap Tuesdays",
                                "owner_id": str(person("teacher-2").id)}).status_code == 303
    assert db.session.scalar(sa.select(Task.subject_kind)) == "memo"
    assert "Swap Tuesdays" in ben.get("/courses/1/tasks/").get_data(as_text=True)
    # Cy can neither add a task to the memo nor reach its task, though she teaches the course.
    task_id = db.session.scalar(sa.select(Task.id))
    assert cy.get(new_task).status_code == 404
    assert cy.get(f"/courses/1/tasks/{task_id}/edit").status_code == 404
    assert post(cy, f"/courses/1/tasks/{task_id}/status", {"status": "done"}).status_code == 404
    # The rule decides at every read: once Cy is the reader instead, Ben's list loses it.
    db.session.execute(sa.update(Memo).values(reader_id=person("teacher-3").id))
    db.session.commit()
    assert "Swap Tuesdays" not in ben.get("/courses/1/tasks/").get_data(as_text=True)


def test_a_comment_on_a_memo_mentions_only_whom_the_rule_admits(people):
    memo = write_memo("Lab rota")
    ada, ben, cy = people["ada"], people["ben"], people["cy"]
    url = f"/courses/1/discussion/memo/{memo.id}/comments"
    # Cy is not among the memo's readers: Ada confirmed she means to post the name anyway.
    resp = post(ada, url, {"body": "@Ben Colleague and @Cy Sameroom, thoughts?",
                           "confirm_unmatched": "@Cy"})
    assert resp.status_code == 303
    assert db.session.scalars(sa.select(Mention.person_id)).all() == [person("teacher-2").id]
    assert post(cy, url, {"body": "Me too"}).status_code == 404
    news = ben.get("/courses/1/").get_data(as_text=True)
    assert "Ada Teacher</strong> mentioned you" in news
    assert "Lab rota" in news


def test_a_memo_is_found_by_search_only_by_its_two_people(people):
    write_memo("Lab rota")
    for sub, found in (("teacher-1", True), ("teacher-2", True), ("teacher-3", False)):
        hits = search(person(sub), "rota")
        assert [h.subject.title for h in hits] == (["Lab rota"] if found else []), sub
    page = people["cy"].get("/courses/1/search?q=rota").get_data(as_text=True)
    assert "Lab rota" not in page


def test_a_memo_is_news_to_its_reader_only(people):
    write_memo("Parents' evening")
    ben = people["ben"].get("/courses/1/").get_data(as_text=True)
    assert "Memos for you" in ben
    assert '<li class="memo">Parents&#39; evening</li>' in ben
    for other in ("ada", "cy"):
        assert "Memos for you" not in people[other].get("/courses/1/").get_data(as_text=True)


def test_a_feature_adds_a_card_to_a_plan_page_without_planning_knowing_it(app, people):
    """A subject panel: memos that mention a plan show under it, to their two people only."""
    from lti_tool.courses.registry import SubjectPanel
    from tests.tasks.helpers import course_space, plan

    unit = plan(course_space(), "Forces unit")
    memo = write_memo("About the forces unit")

    def card(subject: Subject) -> str | None:
        if subject != Subject("plan", unit.id) or not registry.can_see(
                Subject("memo", memo.id), people_person()):
            return None
        return f'<section class="memo-card">{memo.title}</section>'

    def people_person():  # type: ignore[no-untyped-def]
        from flask import g
        return g.ctx.person

    registry.register_subject_panel(app, SubjectPanel("memo-card", 50, card))
    url = f"/courses/1/spaces/{unit.space_id}/plans/{unit.id}"
    assert '<section class="memo-card">' in people["ben"].get(url).get_data(as_text=True)
    assert '<section class="memo-card">' not in people["cy"].get(url).get_data(as_text=True)
