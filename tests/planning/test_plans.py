"""Plans: templates, units with lessons, validation that keeps input, history, print, export."""

from __future__ import annotations

import re

import pytest

from lti_tool.extensions import db
from lti_tool.planning.builtin_templates import BUILTIN_TEMPLATES
from lti_tool.planning.models import Plan, PlanRevision, SpaceTemplate
from tests.planning.conftest import (
    COURSE_2,
    StatementCounter,
    course_space_id,
    create_plan,
    create_team_space,
    page,
    plan_form,
)


@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.key)
def test_create_from_each_builtin_template(ada, template):
    sid = course_space_id(ada)
    form = page(ada.get(f"{ada.base}/{sid}/plans/new?template=builtin:{template.key}"))
    first_heading = template.body.splitlines()[0]
    assert first_heading in form  # the template's text is in the form, ready to edit
    assert f'<option selected value="{template.kind.value}">' in form
    pid = create_plan(ada, sid, title=f"Our {template.name}", kind=template.kind.value,
                      objectives=template.objectives, body=template.body,
                      draft_key=f"new-{template.kind.value}")
    plan = db.session.get(Plan, pid)
    assert plan.kind == template.kind
    assert plan.body == template.body
    assert plan.version == 1
    shown = page(ada.get(f"{ada.base}/{sid}/plans/{pid}"))
    assert f"Our {template.name}" in shown
    assert "<h2>" in shown  # the Markdown headings are rendered


def test_template_chooser_offers_builtin_space_and_blank_starts(ada):
    sid = course_space_id(ada)
    text = page(ada.get(f"{ada.base}/{sid}/plans/new"))
    for template in BUILTIN_TEMPLATES:
        assert template.name in text
    assert "Blank note" in text


def test_unit_with_two_lessons_in_date_order(ada):
    sid = course_space_id(ada)
    unit = create_plan(ada, sid, title="Cells", starts_on="2025-09-01", ends_on="2025-09-30")
    form = page(ada.get(f"{ada.base}/{sid}/plans/new?template=builtin:lesson&parent={unit}"))
    assert f'<option selected value="{unit}">Cells</option>' in form
    later = create_plan(ada, sid, title="Microscopes", kind="lesson", parent_id=str(unit),
                        starts_on="2025-09-10", draft_key="new-lesson")
    earlier = create_plan(ada, sid, title="What is a cell?", kind="lesson",
                          parent_id=str(unit), starts_on="2025-09-03", draft_key="new-lesson")
    assert db.session.get(Plan, later).parent_id == unit
    home = page(ada.get(f"{ada.base}/{sid}/"))
    lessons = home[home.index('aria-label="Lessons of Cells"'):]
    assert lessons.index("What is a cell?") < lessons.index("Microscopes")
    unit_page = page(ada.get(f"{ada.base}/{sid}/plans/{unit}"))
    assert "Lessons in this unit" in unit_page
    assert f"/plans/{earlier}" in unit_page
    lesson_page = page(ada.get(f"{ada.base}/{sid}/plans/{later}"))
    assert "Part of" in lesson_page
    assert f"/plans/{unit}" in lesson_page


def test_space_home_groups_meetings_cycles_and_notes(ada):
    sid = course_space_id(ada)
    for title, kind in [("Week 3 PLC", "meeting"), ("Fractions PLC cycle", "plc_cycle"),
                        ("Reading inquiry", "inquiry"), ("Parent evening", "note")]:
        create_plan(ada, sid, title=title, kind=kind, draft_key=f"new-{kind}")
    home = page(ada.get(f"{ada.base}/{sid}/"))
    for heading, title in [("Meetings", "Week 3 PLC"), ("PLC cycles", "Fractions PLC cycle"),
                           ("Inquiry cycles", "Reading inquiry"), ("Notes", "Parent evening")]:
        section = home[home.index(f">{heading}</h2>"):]
        assert section.index(title) < section.index("</section>")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Give the plan a title"),
        ({"title": "x" * 201}, "title", "200"),
        ({"starts_on": "2025-10-10", "ends_on": "2025-10-01"}, "ends_on",
         "The end date is before the start date"),
        ({"starts_on": "2025-02-31"}, "starts_on", "Not a valid date"),
        ({"body": "x" * 100_001}, "body", "longer than 100,000 characters"),
        ({"kind": "lesson", "parent_id": "99999"}, "parent_id", "Choose a unit of this space"),
        ({"body": "<<<<<<< theirs\na\n=======\nb\n>>>>>>> mine"}, "body", "conflict"),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field_and_keeps_the_rest(ada, fields, field,
                                                                       message):
    sid = course_space_id(ada)
    data = plan_form(objectives="Explain osmosis", tags="NGSS MS-LS1-1", **{
        "title": "Keep me", "body": "My careful lesson notes", **fields,
    })
    resp = ada.post(f"{ada.base}/{sid}/plans/new", data)
    assert resp.status_code == 422
    text = page(resp)
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', text, re.S)
    assert error
    assert message in error.group(1)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"',
                     text)
    assert f"{field}-error" in re.search(rf'<[^>]*id="{field}"[^>]*>', text).group(0)
    assert "Explain osmosis" in text
    assert "NGSS MS-LS1-1" in text
    if field != "body":
        assert "My careful lesson notes" in text
    assert db.session.scalar(db.select(db.func.count(Plan.id))) == 0


def test_team_plan_course_must_be_one_of_the_members_courses(people, ada):
    people("teacher-9", "Ola Elsewhere", context=COURSE_2)
    sid = create_team_space(ada)
    from lti_tool.courses.models import Course

    other = db.session.scalar(db.select(Course.id).filter_by(context_id="course-2"))
    mine = db.session.scalar(db.select(Course.id).filter_by(context_id="course-1"))
    resp = ada.post(f"{ada.base}/{sid}/plans/new", plan_form(course_id=str(other)))
    assert resp.status_code == 422
    assert "Choose one of your courses" in page(resp)
    pid = create_plan(ada, sid, course_id=str(mine))
    assert db.session.get(Plan, pid).course_id == mine
    assert "Biology Year 7" in page(ada.get(f"{ada.base}/{sid}/plans/{pid}"))


def test_every_save_is_a_revision_with_a_readable_diff_and_restore(ada, bo):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Cells", body="Starter\nMicroscope lab\nExit ticket")
    edit = f"{ada.base}/{sid}/plans/{pid}/edit"
    resp = bo.post(f"{bo.base}/{sid}/plans/{pid}/edit", plan_form(
        title="Cells", version="1", body="Starter\nOnion cell lab\nExit ticket"))
    assert resp.status_code == 303
    resp = ada.post(edit, plan_form(title="Cells and tissues", version="2",
                                    body="Starter\nOnion cell lab\nExit ticket\nHomework"))
    assert resp.status_code == 303
    revisions = db.session.scalars(
        db.select(PlanRevision).filter_by(plan_id=pid).order_by(PlanRevision.version)
    ).all()
    assert [r.version for r in revisions] == [1, 2, 3]
    history = page(ada.get(f"{ada.base}/{sid}/plans/{pid}/history"))
    assert "Version 3" in history
    assert "Bo Colleague" in history
    assert "Ada Teacher" in history
    rev2 = page(ada.get(f"{ada.base}/{sid}/plans/{pid}/history/2"))
    assert "Saved by Bo Colleague" in rev2
    assert re.search(r"removed</td>\s*<td[^>]*>2</td>\s*<td[^>]*><del>Microscope lab</del>", rev2)
    assert re.search(r"added</td>\s*<td[^>]*>2</td>\s*<td[^>]*><ins>Onion cell lab</ins>", rev2)
    rev3 = page(ada.get(f"{ada.base}/{sid}/plans/{pid}/history/3"))
    assert "Cells and tissues" in rev3
    assert "Changed fields" in rev3
    # Restore version 1: a new version 4 equal to it; nothing is deleted.
    resp = ada.post(f"{ada.base}/{sid}/plans/{pid}/history/1/restore")
    assert resp.status_code == 303
    plan = db.session.get(Plan, pid)
    assert plan.version == 4
    assert plan.title == "Cells"
    assert plan.body == "Starter\nMicroscope lab\nExit ticket"
    rev4 = db.session.scalars(db.select(PlanRevision).filter_by(plan_id=pid, version=4)).one()
    assert rev4.restored_from == 1
    assert db.session.scalar(
        db.select(db.func.count(PlanRevision.id)).filter_by(plan_id=pid)) == 4
    assert "Restored version 1" in page(ada.get(f"{ada.base}/{sid}/plans/{pid}/history"))


def test_archive_hides_a_plan_without_deleting_it(ada):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Old unit")
    assert ada.post(f"{ada.base}/{sid}/plans/{pid}/archive", {"archived": "1"}).status_code == 303
    home = page(ada.get(f"{ada.base}/{sid}/"))
    assert "Archived plans (1)" in home
    assert db.session.get(Plan, pid).archived
    ada.post(f"{ada.base}/{sid}/plans/{pid}/archive", {"archived": "0"})
    assert "Archived plans" not in page(ada.get(f"{ada.base}/{sid}/"))


def test_save_as_template_and_start_from_it(ada, bo):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Lab lesson", kind="lesson", draft_key="new-lesson",
                      objectives="Use a microscope safely", body="## Safety briefing\n...")
    resp = ada.post(f"{ada.base}/{sid}/plans/{pid}/save-template", {"name": ""})
    assert resp.status_code == 422
    assert "Give the template a name" in page(resp)
    assert ada.post(f"{ada.base}/{sid}/plans/{pid}/save-template",
                    {"name": "Practical lesson"}).status_code == 303
    template = db.session.scalars(db.select(SpaceTemplate)).one()
    assert template.kind == "lesson"
    assert template.body == "## Safety briefing\n..."
    assert "Practical lesson" in page(bo.get(f"{bo.base}/{sid}/templates"))
    form = page(bo.get(f"{bo.base}/{sid}/plans/new?template=space:{template.id}"))
    assert "## Safety briefing" in form
    assert "Use a microscope safely" in form
    db.session.remove()
    assert bo.post(f"{bo.base}/{sid}/templates/{template.id}/delete").status_code == 303
    assert db.session.scalar(db.select(db.func.count(SpaceTemplate.id))) == 0


def test_hostile_markdown_in_a_plan_is_shown_inert(ada):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Hostile",
                      body="<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n"
                           "<img src=x onerror=alert(1)>\n\n- [ ] safe checklist")
    text = ada.get(f"{ada.base}/{sid}/plans/{pid}").get_data(as_text=True)
    assert "<script>alert" not in text
    assert 'href="javascript:' not in text
    assert "<img src=x onerror" not in text
    assert 'class="task-list-item"' in text


def test_print_view_of_a_unit_with_its_lessons(ada):
    sid = course_space_id(ada)
    unit = create_plan(ada, sid, title="Forces", objectives="Explain balanced forces",
                       body="## Big idea\nForces change motion")
    create_plan(ada, sid, title="Pushes and pulls", kind="lesson", parent_id=str(unit),
                draft_key="new-lesson", body="## Starter\nTug of war",
                objectives="Name a push")
    resp = ada.get(f"{ada.base}/{sid}/plans/{unit}/print")
    text = page(resp)
    assert resp.status_code == 200
    assert 'class="print-view"' in text
    assert "Forces" in text
    assert "Explain balanced forces" in text
    assert "Pushes and pulls" in text
    assert "Tug of war" in text
    # Headings nest: unit h1, its sections and its lessons h2, a lesson's sections h3.
    assert re.search(r'<h1 id="plan-\d+-title">Forces</h1>', text)
    assert "<h2>Big idea</h2>" in text
    assert re.search(r'<h2 id="plan-\d+-title">Pushes and pulls</h2>', text)
    assert "<h3>Learning objectives</h3>" in text
    assert "<h3>Starter</h3>" in text
    assert 'class="breadcrumb"' not in text
    assert 'class="space-nav"' not in text
    assert "<script>" not in text
    assert "data-print" in text


def test_markdown_export_of_a_unit_with_its_lessons(ada):
    sid = course_space_id(ada)
    unit = create_plan(ada, sid, title="Forces & Motion: Year 7", tags="NGSS MS-PS2-2",
                       starts_on="2025-01-06", ends_on="2025-01-31", body="## Big idea")
    create_plan(ada, sid, title="Pushes and pulls", kind="lesson", parent_id=str(unit),
                draft_key="new-lesson", objectives="Name forces", body="Tug of war")
    resp = ada.get(f"{ada.base}/{sid}/plans/{unit}/export.md")
    assert resp.status_code == 200
    assert resp.mimetype == "text/markdown"
    assert resp.headers["Cache-Control"] == "no-store"  # a plan may name learners
    assert resp.headers["Content-Disposition"] == (
        "attachment; filename=forces-motion-year-7.md"
    )
    text = resp.get_data(as_text=True)
    assert text.startswith("# Forces & Motion: Year 7\n")
    assert "- Dates: 2025-01-06 to 2025-01-31" in text
    assert "- Standards and tags: NGSS MS-PS2-2" in text
    assert "## Pushes and pulls" in text
    assert "### Learning objectives\n\nName forces" in text


def _fill(space_id: int, count: int) -> None:
    """``count`` plans: units, each with two lessons, and other kinds, straight into the DB."""
    from lti_tool.planning.models import PlanKind

    made = 0
    while made < count:
        unit = Plan(space_id=space_id, kind=PlanKind.UNIT, title=f"Unit {made}")
        db.session.add(unit)
        db.session.flush()
        made += 1
        for i in range(2):
            db.session.add(Plan(space_id=space_id, kind=PlanKind.LESSON, parent_id=unit.id,
                                title=f"Lesson {made}-{i}"))
            made += 1
        db.session.add(Plan(space_id=space_id, kind=PlanKind.MEETING, title=f"Meeting {made}"))
        made += 1
    db.session.commit()
    db.session.remove()


def test_space_home_query_count_does_not_grow_with_plans(ada):
    sid = course_space_id(ada)
    ada.get(f"{ada.base}/{sid}/")  # warm up: first-visit work is not what we measure
    _fill(sid, 5)
    with StatementCounter() as few:
        assert ada.get(f"{ada.base}/{sid}/").status_code == 200
    _fill(sid, 45)
    with StatementCounter() as many:
        resp = ada.get(f"{ada.base}/{sid}/")
    assert resp.status_code == 200
    # One window of each list: units with their lessons, and meetings.
    from lti_tool.planning.services import LIST_SHOWN, UNITS_SHOWN

    shown = set(re.findall(r"/plans/(\d+)\"", page(resp)))
    assert len(shown) == UNITS_SHOWN * 3 + LIST_SHOWN
    assert f"Units 1–{UNITS_SHOWN} of 14" in page(resp)  # 2 + 12 units, undated: from the first
    assert f"?units={UNITS_SHOWN}#units-heading" in page(resp)
    assert many.count == few.count, many.statements


def test_a_plan_offers_its_objectives_as_criteria(app, platform):
    """Other features (an observation's look-fors) build on a plan's points, one per line."""
    from lti_tool.courses import registry
    from tests.tasks.helpers import course_space, launch, plan

    launch(app, platform)
    unit = plan(course_space(), "Forces", objectives=(
        "By the end learners will be able to:\n- draw force arrows\n\n* explain balance\n"))
    assert registry.kind("plan").criteria(unit.id) == ["draw force arrows", "explain balance"]
