"""Print, PDF, CSV and JSON: parsed, and holding only what the person may read."""

from __future__ import annotations

import csv
import io
import json

from tests.observations.conftest import base, observation, page, start, to_shared


def test_the_pdf_is_a_pdf_with_the_title(amara, tomasz):
    oid = to_shared(tomasz, amara)
    resp = amara.get(f"{base(amara)}/{oid}/observation.pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    body = resp.get_data()
    assert body.startswith(b"%PDF-")
    assert b"/Title (Observation: Year 8 forces, period 3)" in body
    assert resp.headers["Content-Disposition"] == f"attachment; filename=observation-{oid}.pdf"


def test_the_pdf_holds_any_script_and_long_words(amara, tomasz):
    notes = [{"key": "u1", "tag": "note", "body": "Ученики работали — 学生们 — طلاب \u202eevil",
              "at": "2026-12-01T09:00:00Z"},
             {"key": "u2", "tag": "note", "body": "x" * 10_000, "at": "2026-12-01T09:01:00Z"}]
    oid = to_shared(tomasz, amara, notes=notes)
    resp = amara.get(f"{base(amara)}/{oid}/observation.pdf")
    assert resp.status_code == 200
    assert resp.get_data().startswith(b"%PDF-")


def test_the_print_view_uses_the_print_stylesheet(amara, tomasz):
    oid = to_shared(tomasz, amara)
    html = page(amara.get(f"{base(amara)}/{oid}/print"))
    assert "observations.css" in html
    assert "Cold-calling drew in the back row" in html
    assert "data-print" in html


def test_csv_and_json_of_all_my_observations(amara, tomasz, people):
    priya = people("teacher-3", "Priya Raman")
    shared = to_shared(tomasz, amara, rating="4")
    pending = start(amara, priya.sub, lesson_title="=HYPERLINK(\"http://x\")")
    resp = amara.get(f"{base(amara)}/mine.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert rows
    assert {r["observation_id"] for r in rows} == {str(shared)}
    assert {r["rating_label"] for r in rows if r["rating"]} == {"Exemplary"}
    assert {r["rating"] for r in rows} == {"4", ""}  # "" for the evidence-only look-fors
    assert {r["your_role"] for r in rows} == {"observee"}
    assert all(r["observer"] == "Tomasz Nowak" for r in rows)

    data = json.loads(amara.get(f"{base(amara)}/mine.json").get_data(as_text=True))
    by_id = {o["id"]: o for o in data["observations"]}
    assert set(by_id) == {shared, pending}
    assert by_id[shared]["notes"][0]["text"] == "Cold-calling drew in the back row"
    assert by_id[shared]["answers"][0] == {"prompt": "What went well",
                                           "text": "The **starter** hooked everyone."}
    assert by_id[shared]["form"]["version"] == 1
    assert by_id[pending]["lesson"] == "=HYPERLINK(\"http://x\")"  # JSON keeps it as typed
    # Tomasz, the observer, gets his own side: the same observation, his role.
    mine = json.loads(tomasz.get(f"{base(tomasz)}/mine.json").get_data(as_text=True))
    assert [(o["id"], o["your_role"]) for o in mine["observations"]] == [(shared, "observer")]


def test_the_observee_exports_no_feedback_before_it_is_shared(amara, tomasz):
    from tests.observations.conftest import autosave, move, ratings_of

    oid = start(amara, tomasz.sub)
    move(tomasz, oid, "scheduled")
    move(tomasz, oid, "in_progress")
    key = next(iter(ratings_of(oid).values()))
    autosave(tomasz, oid, {"version": observation(oid).version, "notes": [
        {"key": "s1", "tag": "note", "body": "Secret until shared", "at": ""}],
        "ratings": {key: {"rating": "1", "evidence": "hidden evidence"}}})
    text = amara.get(f"{base(amara)}/mine.json").get_data(as_text=True)
    assert "Secret until shared" not in text
    assert "hidden evidence" not in text
    assert "hidden evidence" not in amara.get(f"{base(amara)}/mine.csv").get_data(as_text=True)
    pdf = amara.get(f"{base(amara)}/{oid}/observation.pdf").get_data()
    assert b"Secret until shared" not in pdf
    assert "Secret until shared" in tomasz.get(f"{base(tomasz)}/mine.json").get_data(
        as_text=True)


def test_a_csv_cell_never_starts_a_formula(amara, tomasz):
    notes = [{"key": "f1", "tag": "note", "body": "n", "at": ""}]
    oid = to_shared(tomasz, amara, notes=notes)
    from lti_tool.extensions import db
    from lti_tool.observations.models import ObservationRating

    for rating in db.session.query(ObservationRating).filter_by(observation_id=oid):
        rating.evidence = "=cmd|' /C calc'!A0"
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(amara.get(f"{base(amara)}/mine.csv").get_data(
        as_text=True))))
    assert {r["evidence"] for r in rows} == {"'=cmd|' /C calc'!A0"}
