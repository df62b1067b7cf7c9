"""Two teachers, one plan: a stale save is refused, shown, and merged; nothing is lost."""

from __future__ import annotations

import re
import threading

import pytest

from lti_tool.courses.models import Person as PersonRow
from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import Plan, PlanRevision
from tests.planning.conftest import course_space_id, create_plan, page, plan_form

BODY = "## Starter\nRecall quiz\n\n## Main\nMicroscope lab\n\n## Plenary\nExit ticket"


@pytest.fixture
def shared_lesson(ada, bo):  # type: ignore[no-untyped-def]
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Cells lesson", kind="lesson", body=BODY,
                      objectives="Name the parts of a cell", draft_key="new-lesson")
    return sid, pid


def edit_url(person, sid: int, pid: int) -> str:  # type: ignore[no-untyped-def]
    return f"{person.base}/{sid}/plans/{pid}/edit"


def loaded_version(person, sid: int, pid: int) -> str:  # type: ignore[no-untyped-def]
    """Open the edit page as the teacher's browser does, and read the version it carries."""
    text = person.get(edit_url(person, sid, pid)).get_data(as_text=True)
    match = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', text)
    assert match, text
    return match.group(1)


def test_stale_save_is_refused_with_both_texts_and_an_automatic_merge(ada, bo, shared_lesson):
    sid, pid = shared_lesson
    ada_version = loaded_version(ada, sid, pid)
    bo_version = loaded_version(bo, sid, pid)
    bo_body = BODY.replace("Recall quiz", "Recall quiz on organelles")
    resp = bo.post(edit_url(bo, sid, pid), plan_form(
        title="Cells lesson", kind="lesson", version=bo_version, body=bo_body,
        objectives="Name the parts of a cell"))
    assert resp.status_code == 303
    ada_body = BODY.replace("Exit ticket", "Exit ticket: draw a labelled cell")
    resp = ada.post(edit_url(ada, sid, pid), plan_form(
        title="Cells lesson", kind="lesson", version=ada_version, body=ada_body,
        objectives="Name the parts of a cell"))
    assert resp.status_code == 409
    text = page(resp)
    assert "Bo Colleague saved this plan while you were editing" in text
    # Their change, as a diff with words, not colour alone.
    assert re.search(r"removed</td>\s*<td[^>]*>\d+</td>\s*<td[^>]*><del>Recall quiz</del>", text)
    assert re.search(r"added</td>\s*<td[^>]*>\d+</td>\s*<td[^>]*><ins>Recall quiz on organelles",
                     text)
    # My text, untouched, to copy from.
    mine = re.search(r'<textarea id="mine-body" readonly rows="12">\n?(.*?)</textarea>', text, re.S)
    assert mine
    assert mine.group(1) == ada_body
    # The merge of both, in the form, based on the current version.
    form_body = re.search(r'<textarea[^>]*id="body"[^>]*>\n?(.*?)</textarea>', text, re.S)
    assert form_body
    assert "Recall quiz on organelles" in form_body.group(1)
    assert "Exit ticket: draw a labelled cell" in form_body.group(1)
    assert "<<<<<<<" not in form_body.group(1)
    assert 'name="version" type="hidden" value="2"' in text
    assert "already combines both" in text
    plan = db.session.get(Plan, pid)
    assert plan.version == 2
    assert plan.body == bo_body
    db.session.remove()
    # Saving the merge is accepted as version 3 with both changes.
    resp = ada.post(edit_url(ada, sid, pid), plan_form(
        title="Cells lesson", kind="lesson", version="2", body=form_body.group(1),
        objectives="Name the parts of a cell"))
    assert resp.status_code == 303
    plan = db.session.get(Plan, pid)
    assert plan.version == 3
    assert "organelles" in plan.body
    assert "labelled cell" in plan.body


def test_overlapping_edits_get_conflict_markers_to_resolve(ada, bo, shared_lesson):
    sid, pid = shared_lesson
    bo.post(edit_url(bo, sid, pid), plan_form(
        title="Cells lesson: onions", kind="lesson", version="1",
        body=BODY.replace("Microscope lab", "Microscope lab with onion skin")))
    resp = ada.post(edit_url(ada, sid, pid), plan_form(
        title="Cells lesson: cheeks", kind="lesson", version="1",
        body=BODY.replace("Microscope lab", "Microscope lab with cheek swabs")))
    assert resp.status_code == 409
    text = page(resp)
    form_body = re.search(r'<textarea[^>]*id="body"[^>]*>\n?(.*?)</textarea>', text, re.S).group(1)
    assert (
        "<<<<<<< saved by Bo Colleague (version 2)\nMicroscope lab with onion skin\n=======\n"
        "Microscope lab with cheek swabs\n>>>>>>> your version"
    ) in form_body
    assert "You both changed the same lines in 1 place" in text
    # Title: both changed it; the form keeps mine and names theirs.
    assert 'value="Cells lesson: cheeks"' in text
    assert "Title: Bo Colleague set “Cells lesson: onions”" in text
    # The form says which version the edit started from, for the panel below.
    assert 'id="merged_from" name="merged_from" type="hidden" value="1"' in text
    # Saving with the markers still in is refused, with the text kept and the panel of what
    # Bo changed still there to resolve them with.
    resp = ada.post(edit_url(ada, sid, pid), plan_form(
        title="Cells lesson", kind="lesson", version="2", merged_from="1", body=form_body))
    assert resp.status_code == 422
    refused = page(resp)
    assert "still holds a conflict" in refused
    assert "Microscope lab with cheek swabs" in refused
    assert "What Bo Colleague changed" in refused
    assert "You both changed the same lines in 1 place" in refused
    assert re.search(r"added</td>\s*<td[^>]*>\d+</td>\s*<td[^>]*><ins>Microscope lab with onion",
                     refused)
    resolved = form_body.split("<<<<<<<")[0] + "Microscope lab: onion skin and cheek swabs" + \
        form_body.split("your version")[1]
    resp = ada.post(edit_url(ada, sid, pid), plan_form(
        title="Cells lesson", kind="lesson", version="2", body=resolved))
    assert resp.status_code == 303
    assert "onion skin and cheek swabs" in db.session.get(Plan, pid).body


def test_a_save_without_its_version_is_refused(ada, shared_lesson):
    sid, pid = shared_lesson
    resp = ada.post(edit_url(ada, sid, pid), plan_form(title="x", kind="lesson", version=""))
    assert resp.status_code == 400
    resp = ada.post(edit_url(ada, sid, pid), plan_form(title="x", kind="lesson", version="7"))
    assert resp.status_code == 400
    # Digits that are not ASCII ("²".isdigit() is true) are not a version either: a 400.
    resp = ada.post(edit_url(ada, sid, pid), plan_form(title="x", kind="lesson", version="²"))
    assert resp.status_code == 400
    # A made-up merged_from is ignored: the page is the ordinary refused save.
    resp = ada.post(edit_url(ada, sid, pid), plan_form(title="", kind="lesson", version="1",
                                                       merged_from="²"))
    assert resp.status_code == 422
    assert "saved this plan while you were editing" not in page(resp)
    assert db.session.get(Plan, pid).version == 1


def test_the_version_check_is_atomic_in_the_database(ada, bo, shared_lesson):
    """Two saves that both read version 1: only one UPDATE can match ``version = 1``."""
    sid, pid = shared_lesson
    plan = db.session.get(Plan, pid)
    ada_row = db.session.scalars(db.select(PersonRow).filter_by(sub="teacher-1")).one()
    data = services.plan_data(plan)
    data.body = "first"
    assert services.save_plan(plan, ada_row, 1, data) == 2
    data.body = "second"
    with pytest.raises(services.StaleVersionError) as refused:
        services.save_plan(plan, ada_row, 1, data)  # the in-memory plan still said version 1
    assert refused.value.current_version == 2
    assert db.session.get(Plan, pid).body == "first"


def test_simultaneous_saves_from_two_connections_cannot_both_win(app, ada, bo, shared_lesson):
    sid, pid = shared_lesson
    db.session.remove()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def save(sub: str, body: str) -> None:
        with app.app_context():
            plan = db.session.get(Plan, pid)
            person = db.session.scalars(db.select(PersonRow).filter_by(sub=sub)).one()
            data = services.plan_data(plan)
            data.body = body
            barrier.wait()
            try:
                results.append(services.save_plan(plan, person, 1, data))
            except services.StaleVersionError as exc:
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=("teacher-1", "Ada's text")),
               threading.Thread(target=save, args=("teacher-2", "Bo's text"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(type(r).__name__ for r in results) == ["StaleVersionError", "int"]
    plan = db.session.get(Plan, pid)
    assert plan.version == 2
    revisions = db.session.scalars(db.select(PlanRevision).filter_by(plan_id=pid)).all()
    assert sorted(r.version for r in revisions) == [1, 2]
    winner = next(r for r in revisions if r.version == 2)
    assert plan.body == winner.body  # the plan and its history agree on who won
