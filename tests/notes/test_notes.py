"""Writing notes: history and concurrent edits, several learners at once, follow-ups in
"My tasks", the shared-note warning, soft delete and purge, and the append-only log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from lti_tool.courses.models import Course, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.notes import services
from lti_tool.notes.models import LearnerNote, LearnerNoteVersion, NoteAudit
from lti_tool.tasks.models import Task
from tests.notes.conftest import add_note, audit_lines, base, page, pid, version_of


def _edit(author, note_id: int, version: str, **fields):  # type: ignore[no-untyped-def]
    data = {"category": "academic", "body": "Edited.", "visibility": "our", "version": version}
    data.update(fields)
    return author.post(f"{base(author)}/{note_id}/edit", data)


def test_edits_keep_history_who_what_when(school) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"], body="First words.")
    assert _edit(ada, note_id, "1", body="Second words.").status_code == 303
    versions = db.session.scalars(sa.select(LearnerNoteVersion).where(
        LearnerNoteVersion.note_id == note_id).order_by(LearnerNoteVersion.number)).all()
    assert [(v.number, v.body) for v in versions] == [(1, "First words."), (2, "Second words.")]
    history = page(bo.get(f"{base(bo)}/{note_id}/history"))
    assert "First words." in history
    assert "Second words." in history
    assert history.count("Ada Teacher") >= 2
    assert [line.action for line in audit_lines(note_id=note_id)] == [
        "create", "edit", "read"]


def test_two_edits_from_one_version_never_lose_the_second_silently(school) -> None:
    ada = school["ada"]
    [note_id] = add_note(ada, ["learner-lea"], body="Start.")
    version = version_of(ada.get(f"{base(ada)}/{note_id}/edit"))
    assert _edit(ada, note_id, version, body="From window one.").status_code == 303
    stale = _edit(ada, note_id, version, body="From window two.")
    assert stale.status_code == 409
    text = page(stale)
    assert "From window two." in text  # my text given back, in the form
    assert "From window one." in text  # what is there now, above it
    assert db.session.get(LearnerNote, note_id).body == "From window one."
    # Saving again from the version the conflict page carries works.
    again = _edit(ada, note_id, version_of(stale), body="From window two.")
    assert again.status_code == 303
    assert db.session.get(LearnerNote, note_id).body == "From window two."


def test_one_note_about_several_learners_at_once(school) -> None:
    ada = school["ada"]
    ids = add_note(ada, ["learner-lea", "learner-max"], body="Group work: led the team.",
                   category="celebration", follow_up="Tell the families", follow_up_owner_id=str(
                       pid("teacher-bo")), follow_up_due="2030-01-31")
    assert len(ids) == 2
    notes = db.session.scalars(sa.select(LearnerNote).where(LearnerNote.id.in_(ids))).all()
    assert {n.learner_id for n in notes} == {pid("learner-lea"), pid("learner-max")}
    tasks = db.session.scalars(sa.select(Task).where(Task.subject_kind == "learner_note")).all()
    assert sorted(t.subject_id for t in tasks) == sorted(ids)
    assert {t.owner_id for t in tasks} == {pid("teacher-bo")}
    assert [line.action for line in audit_lines()] == ["create", "create"]


def test_a_learner_outside_the_course_cannot_be_written_about(school) -> None:
    cy = school["cy"]
    data = {"category": "academic", "body": "x", "visibility": "our",
            "learner": [str(pid("learner-max"))]}
    resp = cy.post(base(cy) + "/new", data)
    assert resp.status_code == 303  # back to the class list: nobody chosen
    assert db.session.scalar(sa.select(sa.func.count(LearnerNote.id))) == 0


def test_the_follow_up_is_in_my_tasks_of_its_owner(school) -> None:
    ada, bo = school["ada"], school["bo"]
    add_note(ada, ["learner-lea"], follow_up="Call home about the trip",
             follow_up_owner_id=str(pid("teacher-bo")))
    mine = page(bo.get(f"/courses/{bo.course_id}/tasks/"))
    assert "Call home about the trip" in mine
    # A teacher who may not read the note does not see its follow-up, even by its URL.
    task_id = db.session.scalar(sa.select(Task.id))
    dee = school["dee"]
    assert dee.get(f"/courses/{dee.course_id}/tasks/{task_id}/edit").status_code == 404


def test_sharing_a_private_note_warns_about_education_records(school) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"], visibility="me", body="Private thought.")
    warned = _edit(ada, note_id, "1", visibility="our", body="Private thought.")
    assert warned.status_code == 422
    assert "education records" in page(warned)
    assert "Private thought." in page(warned)
    assert bo.get(f"{base(bo)}/{note_id}").status_code == 404
    confirmed = _edit(ada, note_id, "1", visibility="our", body="Private thought.",
                      confirm_shared="y")
    assert confirmed.status_code == 303
    assert bo.get(f"{base(bo)}/{note_id}").status_code == 200


def test_bad_input_is_refused_with_the_text_kept(school) -> None:
    ada = school["ada"]
    data = {"category": "nonsense", "body": "Keep me.", "visibility": "nobody",
            "follow_up_due": "2030-02-31", "follow_up_owner_id": "99999",
            "learner": [str(pid("learner-lea"))]}
    resp = ada.post(base(ada) + "/new", data)
    assert resp.status_code == 422
    assert "Keep me." in page(resp)
    assert db.session.scalar(sa.select(sa.func.count(LearnerNote.id))) == 0


def test_soft_delete_then_purge_after_the_retention_period(school, app) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"], follow_up="Check in")
    assert ada.post(f"{base(ada)}/{note_id}/delete").status_code == 303
    assert bo.get(f"{base(bo)}/{note_id}").status_code == 404
    assert ada.get(f"{base(ada)}/{note_id}").status_code == 404
    assert db.session.get(LearnerNote, note_id) is not None  # kept for the period
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notes", "purge"])
    assert "Purged 0 note(s)" in result.output
    db.session.execute(sa.update(LearnerNote).values(deleted_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    result = runner.invoke(args=["notes", "purge"])
    assert "Purged 1 note(s) deleted more than 30 day(s) ago" in result.output, result.output
    db.session.remove()
    assert db.session.get(LearnerNote, note_id) is None
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0  # its follow-up too
    assert db.session.scalar(sa.select(sa.func.count(LearnerNoteVersion.id))) == 0
    assert [line.action for line in audit_lines(note_id=note_id)] == [
        "create", "delete", "purge"]


def test_the_audit_log_refuses_update_and_delete(school) -> None:
    add_note(school["ada"], ["learner-lea"])
    for statement in (sa.update(NoteAudit).values(actor_name="someone else"),
                      sa.delete(NoteAudit)):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
    assert [line.actor_name for line in audit_lines()] == ["Ada Teacher"]


def test_class_list_counts_filters_and_search(school) -> None:
    ada, bo = school["ada"], school["bo"]
    add_note(ada, ["learner-lea"], is_key="y", follow_up="Seat at the front")
    add_note(ada, ["learner-lea"], visibility="me")  # Bo cannot read this one
    listing = services.class_list(db.session.get(Course, bo.course_id),
                                  db.session.get(Person, pid("teacher-bo")))
    rows = {r.name: r for r in listing.rows}
    assert (rows["Lea Learner"].notes, rows["Lea Learner"].key_notes,
            rows["Lea Learner"].open_follow_ups) == (1, 1, 1)
    assert rows["Max Learner"].notes == 0
    none = page(bo.get(base(bo) + "/?show=none_this_term"))
    assert "Max Learner" in none
    assert "Lea Learner" not in none
    found = page(bo.get(base(bo) + "/?q=max"))
    assert "Max Learner" in found
    assert "Lea Learner" not in found
    assert "Lea Learner" in page(bo.get(base(bo) + "/?show=key"))
    assert "Max Learner" not in page(bo.get(base(bo) + "/?show=follow_up"))
