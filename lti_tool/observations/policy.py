"""Who may see an observation, and who may move it where: written once, here.

**The rule** (:func:`observation_rule`): an observation is seen by its observer,
its observee, and the one colleague the observee chose to share it with, on the
observation's platform. Nobody else: not the other teachers of the course, not a
tool administrator, not an LMS administrator (there is no override). From this
one condition come the single-observation loader (:func:`load_observation`: 404
for anyone else, whether or not it exists), the list filters (every list of this
package, and the shared blocks' through the ``observation`` kind in the registry)
and the audience (who may own its tasks or be mentioned in its discussion).

What the observee sees of the feedback waits for the explicit "share" of the
observer (:meth:`ObservationAccess.sees_feedback`).

**The cycle** (:data:`TRANSITIONS`): who may move an observation from which state
to which, as a table of (from, to) -> the roles allowed, tested as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import abort, g, request

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.observations.models import FINISHED_STATES, Observation, State


def observation_rule(person_id: Any, platform_id: Any) -> sa.ColumnElement[bool]:
    """The rule: the observations this person may see (a condition on ``observation``)."""
    return sa.and_(
        Observation.platform_id == platform_id,
        sa.or_(
            Observation.observer_id == person_id,
            Observation.observee_id == person_id,
            Observation.shared_with_id == person_id,
        ),
    )


def visible_observation_ids(person_id: Any, platform_id: Any) -> sa.Select:
    return (
        sa.select(Observation.id)
        .where(observation_rule(person_id, platform_id))
        .correlate_except(Observation)
    )


class Role(StrEnum):
    """A person's part in one observation (a person may hold two: observer and requester)."""

    OBSERVER = "observer"
    OBSERVEE = "observee"
    REQUESTER = "requester"  # who asked (either side may start)
    INVITEE = "invitee"  # the other one of the pair, who answers the request
    COLLEAGUE = "colleague"  # the colleague the observee shared it with


S = State
TRANSITIONS: dict[tuple[State, State], frozenset[Role]] = {
    (S.REQUESTED, S.SCHEDULED): frozenset({Role.INVITEE}),
    (S.REQUESTED, S.DECLINED): frozenset({Role.INVITEE}),
    (S.REQUESTED, S.CANCELLED): frozenset({Role.REQUESTER}),
    (S.SCHEDULED, S.IN_PROGRESS): frozenset({Role.OBSERVER}),
    (S.SCHEDULED, S.CANCELLED): frozenset({Role.OBSERVER, Role.OBSERVEE}),
    (S.IN_PROGRESS, S.SHARED): frozenset({Role.OBSERVER}),
    (S.IN_PROGRESS, S.CANCELLED): frozenset({Role.OBSERVER}),
    (S.SHARED, S.REFLECTED): frozenset({Role.OBSERVEE}),
    (S.SHARED, S.CLOSED): frozenset({Role.OBSERVEE}),
    (S.REFLECTED, S.CLOSED): frozenset({Role.OBSERVEE}),
}

# The words of each move, as a button and as a sentence for the history.
ACTION_LABELS: dict[tuple[State, State], str] = {
    (S.REQUESTED, S.SCHEDULED): "Accept",
    (S.REQUESTED, S.DECLINED): "Decline",
    (S.REQUESTED, S.CANCELLED): "Withdraw the request",
    (S.SCHEDULED, S.IN_PROGRESS): "Start observing",
    (S.SCHEDULED, S.CANCELLED): "Cancel the observation",
    (S.IN_PROGRESS, S.SHARED): "Share with the observee",
    (S.IN_PROGRESS, S.CANCELLED): "Cancel the observation",
    (S.SHARED, S.REFLECTED): "Submit my reflection",
    (S.SHARED, S.CLOSED): "Close without a reflection",
    (S.REFLECTED, S.CLOSED): "Close the cycle",
}


def roles_of(observation: Observation, person_id: int) -> frozenset[Role]:
    roles: set[Role] = set()
    if observation.observer_id == person_id:
        roles.add(Role.OBSERVER)
    if observation.observee_id == person_id:
        roles.add(Role.OBSERVEE)
    if roles:
        roles.add(Role.REQUESTER if observation.requested_by_id == person_id else Role.INVITEE)
    if observation.shared_with_id == person_id:
        roles.add(Role.COLLEAGUE)
    return frozenset(roles)


def may_move(roles: frozenset[Role], current: str, target: str) -> bool:
    """The table's answer: may someone holding ``roles`` move ``current`` -> ``target``?"""
    try:
        allowed = TRANSITIONS.get((State(current), State(target)))
    except ValueError:
        return False
    return allowed is not None and bool(allowed & roles)


def moves_for(roles: frozenset[Role], current: str) -> list[State]:
    """The states this person may move the observation to from ``current``, in table order."""
    return [to for (frm, to) in TRANSITIONS if frm == current and may_move(roles, current, to)]


class ObservationPermission(StrEnum):
    """What a view of one observation needs, checked against ``g.observation``."""

    VIEW = "view"
    CHOOSE_FOCUS = "choose_focus"  # the observee, before the lesson
    FILL_FORM = "fill_form"  # the observer, during the lesson
    REFLECT = "reflect"  # the observee, once the feedback is shared
    SHARE = "share"  # the observee names a colleague to show it to

    def granted(self) -> bool:
        access = g.get("observation")
        return access is not None and access.can(self)


@dataclass(frozen=True)
class ObservationAccess:
    """A person's standing in one observation, as the rule and the state decide."""

    observation: Observation
    person: Person
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def sees_feedback(self) -> bool:
        """The observer always; the observee and the colleague once it is shared."""
        return self.has(Role.OBSERVER) or self.observation.state in FINISHED_STATES

    def can(self, permission: ObservationPermission | str) -> bool:
        state = self.observation.state
        if permission == ObservationPermission.VIEW:
            return bool(self.roles)
        if permission == ObservationPermission.CHOOSE_FOCUS:
            return self.has(Role.OBSERVEE) and state in (S.REQUESTED, S.SCHEDULED)
        if permission == ObservationPermission.FILL_FORM:
            return self.has(Role.OBSERVER) and state == S.IN_PROGRESS
        if permission == ObservationPermission.REFLECT:
            return self.has(Role.OBSERVEE) and state in (S.SHARED, S.REFLECTED)
        if permission == ObservationPermission.SHARE:
            return self.has(Role.OBSERVEE) and state not in (S.DECLINED, S.CANCELLED)
        return False

    def moves(self) -> list[State]:
        return moves_for(self.roles, self.observation.state)


def observation_access(observation_id: int, person: Person, course_id: int | None
                       ) -> ObservationAccess | None:
    """The person's access to the observation (of this course), or None. One query."""
    if not 0 < observation_id < 2**31:  # Flask's int converter takes any length of digits
        return None
    query = sa.select(Observation).where(
        Observation.id == observation_id, observation_rule(person.id, person.platform_id)
    )
    if course_id is not None:
        query = query.where(Observation.course_id == course_id)
    observation = db.session.scalars(query).first()
    if observation is None:
        return None
    return ObservationAccess(observation, person, roles_of(observation, person.id))


def load_observation(observation_id: int, person: Person, course_id: int | None
                     ) -> ObservationAccess:
    """The observation if this person may see it; otherwise 404, whether or not it exists."""
    access = observation_access(observation_id, person, course_id)
    if access is None:
        abort(404)
    return access


def load_observation_from_request() -> None:
    """``before_request`` of the observations blueprint, for URLs with ``<observation_id>``.

    Sets ``g.observation`` (an :class:`ObservationAccess`) for the person of the course
    context, or answers 404. The observation must belong to the course in the URL.
    """
    observation_id = (request.view_args or {}).get("observation_id")
    if observation_id is not None:
        g.observation = load_observation(observation_id, g.ctx.person, g.ctx.course.id)
