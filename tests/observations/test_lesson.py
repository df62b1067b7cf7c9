"""During the lesson: the form, its autosave, the stale-version guard, the session-less
resume, and sharing, which is an explicit step."""

from __future__ import annotations

import re

from lti_tool.extensions import db
from lti_tool.observations.models import ObservationNote
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


def started(amara, tomasz) -> int:  # type: ignore[no-untyped-def]
    oid = start(amara, tomasz.sub)
    assert move(tomasz, oid, "scheduled").status_code == 303
    assert move(tomasz, oid, "in_progress").status_code == 303
    return oid


def test_the_form_page_has_everything_to_fill_and_says_who_sees_it(amara, tomasz):
    oid = started(amara, tomasz)
    html = page(tomasz.get(f"{base(tomasz)}/{oid}/lesson"))
    assert "Observing Amara Okafor" in html
    for tag in ("Strength", "Suggestion", "Question", "Note"):
        assert f'value="{tag.lower()}"' in html
    for level in ("Beginning", "Developing", "Proficient", "Exemplary", "Not observed"):
        assert level in html
    assert "What went well" in html
    assert "Even better if" in html
    assert 'data-editor="markdown"' in html
    assert "yours until you press “Share with Amara Okafor”" in html
    assert re.search(r'data-resume-key="[^"]{20,}"', html)
    # The observee cannot open the form; after sharing nobody can.
    assert amara.get(f"{base(amara)}/{oid}/lesson").status_code == 303


def test_autosave_keeps_notes_ratings_and_answers_and_refuses_a_stale_version(amara, tomasz):
    oid = started(amara, tomasz)
    keys = ratings_of(oid)
    key = keys["Questions drew out and checked what learners think"]
    prompt = prompts_of(oid)["Even better if"]
    v1 = observation(oid).version
    body = {"version": v1, "notes": [
        {"key": "a1", "tag": "strength", "body": "Warm welcome at the door",
         "at": "2026-12-10T09:00:00Z"},
        {"key": "a2", "tag": "suggestion", "body": "Check the back row can see",
         "at": "2026-12-10T10:04:00+01:00"}],
        "ratings": {key: {"rating": "2", "evidence": "Two questions, both recall"}},
        "answers": {prompt: "More *why* questions"}}
    resp = autosave(tomasz, oid, body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["version"] == v1 + 1
    obs = observation(oid)
    assert [(n.tag, n.body) for n in obs.notes] == [
        ("strength", "Warm welcome at the door"), ("suggestion", "Check the back row can see")]
    assert (obs.notes[1].noted_at.hour, obs.notes[1].noted_at.minute) == (9, 4)  # in UTC
    rating = next(r for r in obs.ratings if r.criterion_key == key)
    assert (rating.rating, rating.evidence) == (2, "Two questions, both recall")
    assert obs.answers[prompt] == "More *why* questions"
    # The same save again (a retry of a request that arrived) is refused: it is stale.
    resp = autosave(tomasz, oid, body)
    assert resp.status_code == 409
    assert resp.get_json()["current_version"] == v1 + 1
    # A note removed from the form goes.
    body = {**body, "version": v1 + 1, "notes": body["notes"][:1]}
    assert autosave(tomasz, oid, body).status_code == 200
    assert db.session.query(ObservationNote).count() == 1


def test_the_form_works_without_script_and_share_is_a_separate_button(amara, tomasz):
    oid = started(amara, tomasz)
    key = next(iter(ratings_of(oid).values()))
    form = {"version": str(observation(oid).version), "action": "save",
            "new_note_tag": "question", "new_note_body": "Why groups of four?",
            f"rating-{key}": "0", f"evidence-{key}": "Not in this part of the lesson"}
    resp = tomasz.post(f"{base(tomasz)}/{oid}/lesson", form)
    assert resp.status_code == 303
    obs = observation(oid)
    assert obs.state == "in_progress"
    assert [(n.tag, n.body) for n in obs.notes] == [("question", "Why groups of four?")]
    assert "Why groups of four?" not in page(amara.get(f"{base(amara)}/{oid}"))
    note = obs.notes[0]
    form = {"version": str(obs.version), "action": "share", "note_key": note.client_key,
            f"note-{note.client_key}-tag": "question",
            f"note-{note.client_key}-body": "Why groups of four? (asked after)"}
    resp = tomasz.post(f"{base(tomasz)}/{oid}/lesson", form)
    assert resp.status_code == 303
    assert observation(oid).state == "shared"
    assert "Why groups of four? (asked after)" in page(amara.get(f"{base(amara)}/{oid}"))
    # The form is closed now: autosave and the form refuse.
    assert autosave(tomasz, oid, {"version": observation(oid).version}).status_code == 403


def test_a_stale_form_post_keeps_what_was_typed(amara, tomasz):
    oid = started(amara, tomasz)
    form = {"version": "1", "action": "save", "new_note_body": "Typed in a second window",
            "new_note_key": "k9"}
    resp = tomasz.post(f"{base(tomasz)}/{oid}/lesson", form)
    assert resp.status_code == 409
    html = page(resp)
    assert "saved from another window" in html
    assert "Typed in a second window" in html


def test_after_the_session_ends_the_page_key_still_saves(app, amara, tomasz, client):
    oid = started(amara, tomasz)
    html = page(tomasz.get(f"{base(tomasz)}/{oid}/lesson"))
    key = re.search(r'data-resume-key="([^"]+)"', html).group(1)
    url = re.search(r'data-resume-url="([^"]+)"', html).group(1)
    body = {"version": observation(oid).version, "notes": [
        {"key": "late1", "tag": "note", "body": "Typed after the cookie was gone",
         "at": "2026-12-10T09:30:00Z"}]}
    # A browser without any Staffroom cookie: the course area refuses, the key works.
    assert client.post(f"{base(tomasz)}/{oid}/autosave", json=body).status_code in (400, 401)
    resp = client.post(url, json=body, headers={"X-Resume-Key": key})
    assert resp.status_code == 200, resp.get_json()
    assert [n.body for n in observation(oid).notes] == ["Typed after the cookie was gone"]
    # A key is for its own observation and must be intact.
    other = started(amara, tomasz)
    assert client.post(url.replace(str(oid), str(other)), json=body,
                       headers={"X-Resume-Key": key}).status_code == 403
    assert client.post(url, json=body, headers={"X-Resume-Key": key[:-2] + "xx"}
                       ).status_code == 403
    assert client.post(url, json=body).status_code == 403


def test_the_key_stops_working_when_the_person_leaves_the_course(amara, tomasz, client):
    from tests.tasks.helpers import deactivate

    oid = started(amara, tomasz)
    html = page(tomasz.get(f"{base(tomasz)}/{oid}/lesson"))
    key = re.search(r'data-resume-key="([^"]+)"', html).group(1)
    deactivate("teacher-2", "course-1")
    resp = client.post(f"/observation-autosave/{oid}", json={"version": 3},
                       headers={"X-Resume-Key": key})
    assert resp.status_code == 404
