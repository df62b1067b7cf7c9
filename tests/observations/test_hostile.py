"""Hostile input in every text and id field: rendered inert, stored intact, or refused with a
4xx and a message; never a 500, on SQLite or PostgreSQL (the ``app`` fixture runs both).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.boundaries import clean_text
from lti_tool.extensions import db
from lti_tool.observations.models import Observation, ObservationTemplate
from tests.observations.conftest import (
    autosave,
    base,
    move,
    observation,
    page,
    prompts_of,
    ratings_of,
    request_form,
    start,
    template_id,
)

MARKUP = ('<script>alert(1)</script><img src=x onerror=alert(2)>'
          '[link](javascript:alert(3)) <a href="javascript:alert(4)">x</a>')
TEXTS = {
    "nul": "before\x00after",
    "rtl override": "\u202eevil\u202c and \u2067isolated\u2069 text",
    "10,000 characters": "w" * 10_000,
    "markup": MARKUP,
    "non-ASCII digits": "²³ ٣ ۳",
    "emoji and combining": "e\u0301 👩🏽‍🏫",
}
# A NUL never reaches a view: it is dropped at the door (lti_tool/boundaries.py), so "1\x00"
# is the id 1 (tests/test_boundaries.py); these are the ids a view itself must refuse.
IDS = {"non-ASCII digits": "²", "huge integer": "9" * 40, "negative": "-1", "markup": MARKUP}


@dataclass
class World:
    amara: Any
    tomasz: Any
    oid: int


def at(world_state: str, amara, tomasz) -> int:  # type: ignore[no-untyped-def]
    oid = start(amara, tomasz.sub)
    if world_state in ("scheduled", "in_progress", "shared"):
        assert move(tomasz, oid, "scheduled").status_code == 303
    if world_state in ("in_progress", "shared"):
        assert move(tomasz, oid, "in_progress").status_code == 303
    if world_state == "shared":
        assert move(tomasz, oid, "shared").status_code == 303
    return oid


# Each text field: the state it is typed in, how it is sent, where it is stored, and
# which page shows it back (as whom).
def send_lesson_title(w: World, value: str):  # type: ignore[no-untyped-def]
    return w.amara.post(base(w.amara) + "/new", request_form(w.amara, w.tomasz.sub,
                                                             lesson_title=value))


def send_message(w: World, value: str):  # type: ignore[no-untyped-def]
    return w.amara.post(base(w.amara) + "/new", request_form(w.amara, w.tomasz.sub,
                                                             message=value))


def newest() -> Observation:
    db.session.expire_all()
    return db.session.scalars(sa.select(Observation).order_by(Observation.id.desc())).first()


def send_focus_note(w: World, value: str):  # type: ignore[no-untyped-def]
    return w.amara.post(f"{base(w.amara)}/{w.oid}/focus", {
        "lesson_title": "Forces", "focus_note": value,
        "version": str(observation(w.oid).version)})


def send_note(w: World, value: str):  # type: ignore[no-untyped-def]
    return autosave(w.tomasz, w.oid, {"version": observation(w.oid).version, "notes": [
        {"key": "h1", "tag": "note", "body": value, "at": "2026-12-01T09:00:00Z"}]})


def send_note_by_form(w: World, value: str):  # type: ignore[no-untyped-def]
    return w.tomasz.post(f"{base(w.tomasz)}/{w.oid}/lesson", {
        "version": str(observation(w.oid).version), "action": "save", "new_note_key": "f1",
        "new_note_tag": "strength", "new_note_body": value})


def send_evidence(w: World, value: str):  # type: ignore[no-untyped-def]
    key = ratings_of(w.oid)["Questions drew out and checked what learners think"]
    return autosave(w.tomasz, w.oid, {"version": observation(w.oid).version,
                                      "ratings": {key: {"rating": "2", "evidence": value}}})


def send_answer(w: World, value: str):  # type: ignore[no-untyped-def]
    key = prompts_of(w.oid)["What went well"]
    return autosave(w.tomasz, w.oid, {"version": observation(w.oid).version,
                                      "answers": {key: value}})


def send_reflection(w: World, value: str):  # type: ignore[no-untyped-def]
    return w.amara.post(f"{base(w.amara)}/{w.oid}/reflection", {
        "reflection": value, "next_steps": "", "action": "save",
        "version": str(observation(w.oid).version)})


def send_next_steps(w: World, value: str):  # type: ignore[no-untyped-def]
    return w.amara.post(f"{base(w.amara)}/{w.oid}/reflection", {
        "reflection": "Thoughts", "next_steps": value, "action": "submit",
        "version": str(observation(w.oid).version)})


def send_template_name(w: World, value: str):  # type: ignore[no-untyped-def]
    from tests.planning.conftest import course_space_id

    return w.amara.post(f"{base(w.amara)}/forms/{template_id(w.amara)}/copy", {
        "space_id": str(course_space_id(w.amara)), "name": value})


def stored_template_name() -> str | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ObservationTemplate.name).where(
        ObservationTemplate.owner_kind == "space"))


def send_template_text(w: World, value: str):  # type: ignore[no-untyped-def]
    assert send_template_name(w, "Ours").status_code == 303
    tid = db.session.scalar(sa.select(ObservationTemplate.id).where(
        ObservationTemplate.owner_kind == "space"))
    return w.amara.post(f"{base(w.amara)}/forms/{tid}/edit", {
        "name": "Ours", "description": "", "version": "1",
        "text": f"# Section\n- {value}\n"})


def stored_template_text() -> str | None:
    from lti_tool.observations.models import ObservationTemplateVersion

    db.session.expire_all()
    structure = db.session.scalar(sa.select(ObservationTemplateVersion.structure).where(
        ObservationTemplateVersion.number == 2))
    return structure["sections"][0]["criteria"][0]["text"] if structure else None


@dataclass(frozen=True)
class TextField:
    state: str
    send: Callable[[World, str], Any]
    stored: Callable[[World], str | None]
    shown: Callable[[World], str]  # the page that shows the value back
    normalised: Callable[[str], str] = lambda v: v


def view_as_amara(w: World) -> str:
    return w.amara.get(f"{base(w.amara)}/{newest().id}").get_data(as_text=True)


def lesson_as_tomasz(w: World) -> str:
    return w.tomasz.get(f"{base(w.tomasz)}/{w.oid}/lesson").get_data(as_text=True)


def one_line(value: str) -> str:
    return " ".join(value.split())


TEXT_FIELDS = {
    "lesson title": TextField("none", send_lesson_title, lambda w: newest().lesson_title,
                              view_as_amara, lambda v: v.strip()),
    "request message": TextField("none", send_message, lambda w: newest().request_message,
                                 view_as_amara),
    "focus note": TextField("scheduled", send_focus_note,
                            lambda w: observation(w.oid).focus_note, view_as_amara),
    "running note": TextField("in_progress", send_note,
                              lambda w: next((n.body for n in observation(w.oid).notes), None),
                              lesson_as_tomasz),
    "running note (form)": TextField(
        "in_progress", send_note_by_form,
        lambda w: next((n.body for n in observation(w.oid).notes), None), lesson_as_tomasz),
    "evidence": TextField("in_progress", send_evidence, lambda w: next(
        r.evidence for r in observation(w.oid).ratings
        if r.criterion.startswith("Questions drew")) or None, lesson_as_tomasz),
    "prompt answer": TextField("in_progress", send_answer,
                               lambda w: (observation(w.oid).answers or {}).get(
                                   prompts_of(w.oid)["What went well"]), lesson_as_tomasz),
    "reflection": TextField("shared", send_reflection, lambda w: observation(w.oid).reflection,
                            view_as_amara),
    "next steps": TextField("shared", send_next_steps, lambda w: observation(w.oid).next_steps,
                            view_as_amara),
    "form name": TextField("none", send_template_name, lambda w: stored_template_name(),
                           lambda w: w.amara.get(f"{base(w.amara)}/forms").get_data(
                               as_text=True), lambda v: v.strip()),
    "form look-for": TextField("none", send_template_text, lambda w: stored_template_text(),
                               lambda w: w.amara.get(f"{base(w.amara)}/forms").get_data(
                                   as_text=True), one_line),
}


def assert_inert(html_text: str) -> None:
    assert "<script>alert(1)" not in html_text
    assert "<img src=x onerror" not in html_text
    assert '<a href="javascript:' not in html_text
    assert 'href="javascript:alert(3)' not in html_text


@pytest.mark.parametrize("value_name", list(TEXTS))
@pytest.mark.parametrize("field_name", list(TEXT_FIELDS))
def test_hostile_text_is_stored_intact_or_refused_with_a_message(
        amara, tomasz, field_name, value_name):
    field = TEXT_FIELDS[field_name]
    value = TEXTS[value_name]
    oid = at(field.state, amara, tomasz) if field.state != "none" else 0
    world = World(amara, tomasz, oid)
    resp = field.send(world, value)
    assert resp.status_code < 500
    if resp.status_code >= 400:
        assert resp.status_code in (400, 409, 422), resp.status_code
        text = html.unescape(resp.get_data(as_text=True))
        assert any(word in text for word in ("NUL", "longer than", "not text", "Line ")), \
            text[:3000]
        return
    stored = field.stored(world)
    expected = clean_text(value)[0]  # NUL and lone surrogates are dropped at the door
    assert stored == field.normalised(expected), (field_name, value_name)
    shown = field.shown(world)
    assert_inert(shown)


def test_nul_is_dropped_everywhere_it_could_be_typed(amara, tomasz):
    """A NUL cannot be stored in PostgreSQL text: every field stores the text without it."""
    for field_name, field in TEXT_FIELDS.items():
        oid = at(field.state, amara, tomasz) if field.state != "none" else 0
        world = World(amara, tomasz, oid)
        resp = field.send(world, "a\x00b")
        assert resp.status_code in (200, 303), field_name
        assert field.stored(world) == "ab", field_name
        db.session.execute(sa.delete(ObservationTemplate).where(
            ObservationTemplate.owner_kind == "space"))
        db.session.commit()


def test_a_lone_surrogate_in_json_is_dropped(amara, tomasz):
    oid = at("in_progress", amara, tomasz)
    version = observation(oid).version
    raw = '{"version": ' + str(version) + \
        ', "notes": [{"key": "s1", "tag": "note", "body": "x\\ud800y"}]}'
    resp = tomasz._request("POST", f"{base(tomasz)}/{oid}/autosave", data=raw,
                           content_type="application/json",
                           headers={"X-CSRFToken": tomasz.token()})
    assert resp.status_code == 200
    assert [n.body for n in observation(oid).notes] == ["xy"]


def test_invalid_utf8_in_a_form_arrives_as_storable_text(amara, tomasz):
    """A browser cannot send a lone surrogate in a form; invalid UTF-8 bytes are decoded
    (by Werkzeug) into text every database stores: no 500."""
    oid = at("scheduled", amara, tomasz)
    body = (f"csrf_token={amara.token()}&lesson_title=Forces&version="
            f"{observation(oid).version}&focus_note=a%ED%A0%80b")
    resp = amara._request("POST", f"{base(amara)}/{oid}/focus", data=body.encode(),
                          content_type="application/x-www-form-urlencoded")
    assert resp.status_code in (303, 400, 422)
    assert resp.status_code == 303
    stored = observation(oid).focus_note
    assert stored.startswith("a")
    assert stored.endswith("b")
    assert not any("\ud800" <= ch <= "\udfff" for ch in stored)


@pytest.mark.parametrize("value_name", list(IDS))
@pytest.mark.parametrize("field", ["colleague_id", "template_id", "lesson_id"])
def test_hostile_ids_when_starting_are_refused_with_a_message(amara, tomasz, field, value_name):
    resp = amara.post(base(amara) + "/new", request_form(amara, tomasz.sub,
                                                         **{field: IDS[value_name]}))
    assert resp.status_code == 422
    assert "from the list" in page(resp)
    assert db.session.scalar(sa.select(sa.func.count(Observation.id))) == 0
    assert "Year 8 forces, period 3" in page(resp)  # what was typed is kept


@pytest.mark.parametrize("value_name", list(IDS))
def test_hostile_ids_elsewhere_are_4xx(amara, tomasz, value_name):
    value = IDS[value_name]
    oid = at("shared", amara, tomasz)
    version = observation(oid).version
    resp = amara.post(f"{base(amara)}/{oid}/share", {"colleague_id": value,
                                                      "version": str(version)})
    assert resp.status_code == 422
    assert "Choose a colleague from the list" in page(resp)
    for url, data in (
        (f"{base(amara)}/{oid}/move", {"to": "closed", "version": value}),
        (f"{base(amara)}/{oid}/reflection", {"reflection": "r", "version": value}),
        (f"{base(amara)}/{oid}/share", {"colleague_id": "", "version": value}),
    ):
        assert amara.post(url, data).status_code == 400, url
    assert observation(oid).version == version
    # In the URL: Flask's int converter takes ASCII digits only; a huge id is not found.
    for path in ("²", "9" * 40, "-1", "2147483648"):
        assert amara.get(f"{base(amara)}/{path}").status_code == 404
        assert amara.get(f"{base(amara)}/forms/{path}").status_code == 404
    resp = autosave(tomasz, oid, {"version": value})
    assert resp.status_code in (400, 403)


@pytest.mark.parametrize("payload", [
    [], "text", {"version": True}, {"version": 2**40}, {"version": 1, "notes": "x"},
    {"version": 1, "notes": [{"key": "../../x", "body": "b"}]},
    {"version": 1, "notes": [{"key": "k", "tag": "shout", "body": "b"}]},
    {"version": 1, "notes": [{"key": "k", "body": 5}]},
    {"version": 1, "notes": [{"key": "k", "body": "b", "at": "2026-13-45"}]},
    {"version": 1, "ratings": {"not-a-key": {"rating": "1"}}},
    {"version": 1, "answers": {"p": "x"}},
    {"version": 1, "ratings": []},
])
def test_malformed_autosave_bodies_are_400_with_a_message(amara, tomasz, payload):
    oid = at("in_progress", amara, tomasz)
    if isinstance(payload, dict) and type(payload.get("version")) is int and \
            payload["version"] == 1:  # "this page's version": the current one
        payload = {**payload, "version": observation(oid).version}
    resp = autosave(tomasz, oid, payload)
    notes = payload.get("notes") if isinstance(payload, dict) else None
    if isinstance(notes, list) and notes[0].get("at") == "2026-13-45":
        assert resp.status_code == 200  # an unreadable time is replaced by the server's
        return
    assert resp.status_code == 400
    assert resp.get_json()["error"]


def test_hostile_ratings_are_refused(amara, tomasz):
    oid = at("in_progress", amara, tomasz)
    key = next(iter(ratings_of(oid).values()))
    for rating in ("5", "²", "9" * 40, "-1", "1.5", MARKUP):
        resp = autosave(tomasz, oid, {"version": observation(oid).version,
                                      "ratings": {key: {"rating": rating, "evidence": ""}}})
        assert resp.status_code == 400, rating
        assert "scale" in resp.get_json()["error"]
