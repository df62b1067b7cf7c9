"""The whole cycle through the pages, as two teachers of one course do it."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.tasks.models import Task
from tests.observations.conftest import (
    autosave,
    base,
    move,
    observation,
    page,
    prompts_of,
    ratings_of,
    start,
)


def test_the_full_cycle_owned_by_the_observee(amara, tomasz):
    oid = start(amara, tomasz.sub)
    assert observation(oid).state == "requested"
    # Tomasz finds the invitation in What's new and accepts.
    news = page(tomasz.get(f"/courses/{tomasz.course_id}/"))
    assert "Amara Okafor invites you to observe a lesson" in news
    assert move(tomasz, oid, "scheduled").status_code == 303
    # Amara chooses the focus: two look-fors.
    focus_page = page(amara.get(f"{base(amara)}/{oid}/focus"))
    assert "Questions drew out and checked what learners think" in focus_page
    structure = observation(oid).template_version.structure
    keys = [c["key"] for s in structure["sections"] for c in s["criteria"]][2:4]
    resp = amara.post(f"{base(amara)}/{oid}/focus", {
        "lesson_title": "Year 8 forces, period 3", "scheduled_on": "2026-12-10",
        "focus": keys, "focus_note": "My *questioning*, please.",
        "version": str(observation(oid).version)})
    assert resp.status_code == 303, page(resp)
    assert observation(oid).focus == keys
    # Tomasz starts, takes notes, rates; Amara sees nothing of it yet.
    assert move(tomasz, oid, "in_progress").status_code == 303
    assert sorted(ratings_of(oid).values()) == sorted(keys)
    prompts = prompts_of(oid)
    body = {"version": observation(oid).version,
            "notes": [{"key": "n1", "tag": "question", "body": "Why wait time of 2s?",
                       "at": "2026-12-10T09:03:00Z"}],
            "ratings": {k: {"rating": "3", "evidence": "Hands down, then pairs"} for k in keys},
            "answers": {prompts["What went well"]: "Everyone talked."}}
    resp = autosave(tomasz, oid, body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Why wait time" not in page(amara.get(f"{base(amara)}/{oid}"))
    assert move(tomasz, oid, "shared").status_code == 303
    shared = page(amara.get(f"{base(amara)}/{oid}"))
    assert "Why wait time of 2s?" in shared
    assert "Proficient" in shared
    # Amara reflects; her next steps become her tasks.
    resp = amara.post(f"{base(amara)}/{oid}/reflection", {
        "reflection": "I will wait longer.",
        "next_steps": "Try 5s wait time\n- Use mini whiteboards",
        "version": str(observation(oid).version), "action": "submit"})
    assert resp.status_code == 303, page(resp)
    assert observation(oid).state == "reflected"
    titles = db.session.scalars(sa.select(Task.title).order_by(Task.id)).all()
    assert titles == ["Try 5s wait time", "Use mini whiteboards"]
    mine = page(amara.get(f"/courses/{amara.course_id}/tasks/"))
    assert "Try 5s wait time" in mine
    # The follow-up conversation, then close.
    resp = tomasz.post(f"/courses/{tomasz.course_id}/discussion/observation/{oid}/comments",
                       {"body": "@Amara Okafor happy to come back next week"})
    assert resp.status_code == 303
    assert move(amara, oid, "closed").status_code == 303
    assert observation(oid).state == "closed"
