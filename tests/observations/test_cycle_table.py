"""The cycle as a table: every move from every state, by everyone, allowed or refused.

:data:`lti_tool.observations.policy.TRANSITIONS` is the rule. The tests check the
table itself (what it says, state by state), then that the server enforces exactly
it: each person tries every move from every state over HTTP, and gets 303 where the
table allows the move and 403 everywhere else, with nothing changed.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.observations.models import Observation, State
from lti_tool.observations.policy import TRANSITIONS, Role, may_move
from tests.observations.conftest import base, observation, person_id, start

S = State
# The table as the issue states the cycle, spelled out: (from, to) -> who may.
EXPECTED = {
    (S.REQUESTED, S.SCHEDULED): {"invitee"},
    (S.REQUESTED, S.DECLINED): {"invitee"},
    (S.REQUESTED, S.CANCELLED): {"requester"},
    (S.SCHEDULED, S.IN_PROGRESS): {"observer"},
    (S.SCHEDULED, S.CANCELLED): {"observer", "observee"},
    (S.IN_PROGRESS, S.SHARED): {"observer"},
    (S.IN_PROGRESS, S.CANCELLED): {"observer"},
    (S.SHARED, S.REFLECTED): {"observee"},
    (S.SHARED, S.CLOSED): {"observee"},
    (S.REFLECTED, S.CLOSED): {"observee"},
}


def test_the_table_is_the_cycle_of_the_issue():
    assert {k: {r.value for r in v} for k, v in TRANSITIONS.items()} == EXPECTED


def test_terminal_states_lead_nowhere():
    for state in (S.CLOSED, S.DECLINED, S.CANCELLED):
        for target in State:
            for roles in ({Role.OBSERVER, Role.REQUESTER}, {Role.OBSERVEE, Role.INVITEE}):
                assert not may_move(frozenset(roles), state, target)


def test_unknown_states_are_refused():
    assert not may_move(frozenset({Role.OBSERVER}), "scheduled", "nonsense")
    assert not may_move(frozenset({Role.OBSERVER}), "nonsense", "shared")


# Who tries: the observer and the observee (one of them asked, the other is invited),
# and the colleague the observee shared the observation with.
ACTORS = ("observer", "observee", "colleague")


def roles(actor: str, requested_by: str) -> set[str]:
    if actor == "colleague":
        return {"colleague"}
    return {actor, "requester" if actor == requested_by else "invitee"}


CASES = [(frm, to, requested_by) for frm in State for to in State if frm != to
         for requested_by in ("observee", "observer")]


@pytest.mark.parametrize(("frm", "to", "requested_by"), CASES,
                         ids=[f"{f.value}->{t.value}-asked-by-{r}" for f, t, r in CASES])
def test_every_move_by_everyone_over_http(people, amara, tomasz, frm, to, requested_by):
    priya = people("teacher-3", "Priya Raman")
    if requested_by == "observee":
        oid = start(amara, tomasz.sub)
    else:
        oid = start(tomasz, amara.sub, as_role="observer")
    db.session.execute(sa.update(Observation).where(Observation.id == oid).values(
        shared_with_id=person_id("teacher-3")))
    db.session.commit()
    actors = {"observer": tomasz, "observee": amara, "colleague": priya}
    for actor in ACTORS:
        db.session.execute(sa.update(Observation).where(Observation.id == oid).values(
            state=frm, version=7))
        db.session.commit()
        allowed = bool(EXPECTED.get((frm, to), set()) & roles(actor, requested_by))
        person = actors[actor]
        resp = person.post(f"{base(person)}/{oid}/move", {"to": to.value, "version": "7"})
        after = observation(oid)
        if allowed:
            assert resp.status_code == 303, (actor, frm, to)
            assert (after.state, after.version) == (to, 8)
        else:
            assert resp.status_code == 403, (actor, frm, to, resp.status_code)
            assert (after.state, after.version) == (frm, 7)


def test_a_move_from_a_stale_page_is_refused_and_changes_nothing(amara, tomasz):
    oid = start(amara, tomasz.sub)
    stale = observation(oid).version
    db.session.execute(sa.update(Observation).where(Observation.id == oid).values(
        version=Observation.version + 1))
    db.session.commit()
    resp = tomasz.post(f"{base(tomasz)}/{oid}/move", {"to": "scheduled", "version": str(stale)})
    assert resp.status_code == 303
    assert observation(oid).state == "requested"
    shown = tomasz.get(f"{base(tomasz)}/{oid}").get_data(as_text=True)
    assert "Amara Okafor changed this observation while you were on the page" in shown


@pytest.mark.parametrize("version", ["", "²", "1" * 40, "-1", "abc"])
def test_a_move_without_a_usable_version_is_a_clear_400(amara, tomasz, version):
    oid = start(amara, tomasz.sub)
    resp = tomasz.post(f"{base(tomasz)}/{oid}/move", {"to": "scheduled", "version": version})
    assert resp.status_code == 400
    assert observation(oid).state == "requested"


def test_an_unknown_step_is_a_400(amara, tomasz):
    oid = start(amara, tomasz.sub)
    resp = tomasz.post(f"{base(tomasz)}/{oid}/move", {"to": "teleported", "version": "1"})
    assert resp.status_code == 400
