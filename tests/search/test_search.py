"""Full-text search on both databases: ranking, snippets, access, hostile queries, sync.

The index is written by the services that save plans and comments (``index``), and
its rows go with their plan, space or comment (the ``forget`` triggers).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lti_tool.courses.registry import Subject
from lti_tool.discussion.models import Comment
from lti_tool.discussion.services import add_comment
from lti_tool.extensions import db
from lti_tool.planning import services as planning
from lti_tool.planning.models import Plan, Space
from lti_tool.search.models import SearchDocument, include_in_comparison
from lti_tool.search.services import fts5_query, marked_to_html, search
from tests.support.sql import count_statements
from tests.tasks.helpers import (
    COURSE_2,
    LEARNER,
    course_space,
    deactivate,
    launch,
    person,
    plan,
    team_space,
)


@pytest.fixture
def ada(app, platform):
    return launch(app, platform)


def titles(sub: str, query: str) -> list[str]:
    return [h.subject.title for h in search(person(sub), query)]


def comment_on(unit: Plan, body: str, sub: str = "teacher-1") -> Comment:
    return add_comment(Subject("plan", unit.id), person(sub), body)


def test_ranked_title_over_tags_over_body(app, platform, ada):
    space = course_space()
    plan(space, "Forces lesson", body="We mention photosynthesis once in passing.")
    plan(space, "Photosynthesis unit", body="Light, water and carbon dioxide.")
    plan(space, "Plants lesson", tags="photosynthesis, NGSS MS-LS1-6", body="Leaves.")
    plan(space, "Unrelated", body="Nothing to see.")
    assert titles("teacher-1", "photosynthesis") == [
        "Photosynthesis unit", "Plants lesson", "Forces lesson"]
    # Stemming: a different form of the word finds the same plans.
    assert "Photosynthesis unit" in titles("teacher-1", "Photosynthesis")
    assert sorted(titles("teacher-1", "lessons")) == ["Forces lesson", "Plants lesson"]


def test_comments_and_objectives_are_searched_and_link_to_the_comment(app, platform, ada):
    space = course_space()
    unit = plan(space, "Cells unit", objectives="Describe mitochondria")
    comment = comment_on(unit, "Remember the microscope booking")
    hits = search(person("teacher-1"), "microscope")
    assert [(h.source, h.subject.subject) for h in hits] == [
        (Subject("comment", comment.id), Subject("plan", unit.id))]
    assert titles("teacher-1", "mitochondria") == ["Cells unit"]
    page = ada.get("/courses/1/search?q=microscope").get_data(as_text=True)
    # The whole discussion opens: the comment may be older than the latest ones shown.
    assert (f'href="/courses/1/spaces/{space.id}/plans/{unit.id}?comments=all'
            f'#comment-{comment.id}"') in page
    assert "in a comment" in page


def test_index_follows_every_save_and_delete(app, platform, ada):
    me = person("teacher-1")
    space = course_space()
    unit = plan(space, "Volcanoes unit", body="magma")
    assert titles("teacher-1", "magma") == ["Volcanoes unit"]
    data = planning.plan_data(unit)
    data.body, data.title = "lava flows", "Eruptions unit"
    planning.save_plan(unit, me, unit.version, data)
    assert titles("teacher-1", "magma") == []
    assert titles("teacher-1", "lava") == ["Eruptions unit"]
    comment = comment_on(unit, "obsidian samples")
    assert titles("teacher-1", "obsidian") == ["Eruptions unit"]
    db.session.delete(comment)  # a comment that goes takes its entry along
    db.session.commit()
    assert titles("teacher-1", "obsidian") == []
    comment_on(unit, "pumice samples")
    db.session.delete(unit)  # so does a plan, with its comments' entries
    db.session.commit()
    assert titles("teacher-1", "pumice OR lava") == []
    assert db.session.scalar(sa.select(sa.func.count(SearchDocument.id))) == 0


def test_a_space_that_goes_takes_its_plans_entries_along(app, platform, ada):
    team = team_space("Short-lived", person("teacher-1"))
    comment_on(plan(team, "Glacier unit"), "moraine")
    db.session.execute(sa.delete(Space).where(Space.id == team.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(SearchDocument.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_archived_plans_are_left_out(app, platform, ada):
    unit = plan(course_space(), "Tides unit")
    unit.archived = True
    db.session.commit()
    assert titles("teacher-1", "tides") == []


def test_snippets_are_escaped_and_highlighted(app, platform, ada):
    space = course_space()
    plan(space, "<b>Bold</b> title about osmosis",
         body='<script>alert("x")</script> osmosis <img src=x onerror=alert(1)> water')
    hit = search(person("teacher-1"), "osmosis")[0]
    assert "<script" not in hit.snippet
    assert "<img" not in hit.snippet
    assert "&lt;" in hit.snippet  # the typed markup shows as text
    assert "<mark>osmosis</mark>" in hit.snippet.lower()
    assert "&lt;b&gt;" in hit.title
    assert "<mark>osmosis</mark>" in hit.title.lower()
    page = ada.get("/courses/1/search?q=osmosis").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page


def test_marks_are_balanced_and_the_rest_escaped():
    assert str(marked_to_html("a\ue000<b>\ue001 \ue001c\ue000d")) == (
        "a<mark>&lt;b&gt;</mark> c<mark>d</mark>")


def test_never_returns_other_spaces(app, platform, ada):
    launch(app, platform, sub="teacher-3", name="Cy Other", context=COURSE_2)
    launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    mine = course_space()
    other_course = course_space("course-2")
    other_team = team_space("Private team", person("teacher-3"))
    plan(mine, "Shared secret in my space")
    plan(other_course, "Secret of course two")
    plan(other_team, "Secret of a team")
    assert titles("teacher-1", "secret") == ["Shared secret in my space"]
    assert sorted(titles("teacher-3", "secret")) == ["Secret of a team", "Secret of course two"]
    assert titles("learner-1", "secret") == []
    deactivate("teacher-3", "course-2")
    assert titles("teacher-3", "secret") == ["Secret of a team"]
    page = ada.get("/courses/1/search?q=secret").get_data(as_text=True)
    assert "course two" not in page
    assert "of a team" not in page


@pytest.mark.parametrize("query", [
    '"unclosed', "OR AND", "NOT", "*", "title:x", "a AND (b", "-", '""', "\u0000", "'; DROP",
    "NEAR(a b)", "^start", "x" * 500, "   ", "ünïcödé", "a OR", "OR", "!!! ???", ":*",
])
def test_hostile_queries_never_raise(app, platform, ada, query):
    plan(course_space(), "Unclosed quotes and stars", body="start title drop")
    search(person("teacher-1"), query)
    assert ada.get("/courses/1/search", query_string={"q": query}).status_code == 200


def test_fts5_query_quotes_everything():
    assert fts5_query('"unclosed') == '"unclosed"'
    assert fts5_query("OR AND") == '"OR" AND "AND"'
    assert fts5_query('cells OR "cell wall" -x title:y') == (
        '("cells" OR "cell wall") AND "x" AND "title y"')
    assert fts5_query("!!!") == ""


def test_phrases_and_or(app, platform, ada):
    space = course_space()
    plan(space, "Cell wall lesson")
    plan(space, "Wall of cells")
    plan(space, "Mitosis")
    assert titles("teacher-1", '"cell wall"') == ["Cell wall lesson"]
    assert sorted(titles("teacher-1", "mitosis OR wall")) == [
        "Cell wall lesson", "Mitosis", "Wall of cells"]


def test_search_is_one_query_whatever_the_number_of_hits(app, platform, ada):
    space = course_space()

    def run() -> int:
        with count_statements() as statements:
            assert ada.get("/courses/1/search?q=energy").status_code == 200
        return len(statements)

    for i in range(3):
        plan(space, f"Energy {i}")
    run()  # warm up: per-worker caches (frame-ancestors) are filled by the first request
    few = run()
    for i in range(20):
        plan(space, f"Energy more {i}")
    assert run() == few


def test_existing_plans_indexed_by_the_migration_backfill(app, platform, ada):
    # The backfill statements of the migration rebuild the index from the tables.
    from importlib import import_module

    migration = import_module("lti_tool.migrations.versions.0005_generic_references")
    unit = plan(course_space(), "Glaciers unit", objectives="moraine")
    comment_on(unit, "crevasse")
    db.session.execute(sa.delete(SearchDocument))
    assert titles("teacher-1", "moraine") == []
    for statement in migration.BACKFILL:
        db.session.execute(sa.text(statement), {"newline": "\n"})
    db.session.commit()
    assert titles("teacher-1", "moraine") == ["Glaciers unit"]
    assert titles("teacher-1", "crevasse") == ["Glaciers unit"]


def test_models_and_migrations_agree_besides_sqlite_fts_tables(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_in_comparison}
        )
        assert compare_metadata(context, db.metadata) == []
        if conn.dialect.name == "sqlite":
            names = sa.inspect(conn).get_table_names()
            assert {"search_fts", "search_fts_data", "search_fts_idx"} <= set(names)


def test_a_plan_that_moves_is_found_by_its_new_space_only(app, platform, ada):
    launch(app, platform, sub="teacher-3", name="Cy Other", context=COURSE_2)
    first, second = course_space(), team_space("Elsewhere", person("teacher-3"))
    unit = plan(first, "Rivers unit")
    comment_on(unit, "meander")
    assert titles("teacher-1", "meander") == ["Rivers unit"]
    db.session.execute(sa.update(Plan).where(Plan.id == unit.id).values(space_id=second.id))
    db.session.commit()
    assert titles("teacher-1", "meander") == []
    assert titles("teacher-3", "meander") == ["Rivers unit"]


def test_snippets_read_as_plain_words_not_markdown_source():
    from lti_tool.search.services import START, STOP, marked_to_html

    html = str(marked_to_html(f"## Main {START}activity{STOP}\n- [ ] Why does **it** move"))
    assert html == "Main <mark>activity</mark> Why does it move"
