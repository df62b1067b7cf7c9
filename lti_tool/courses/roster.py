"""Refreshing a course's members from the platform's roster (NRPS).

A launch tells us about one person; the roster tells us about everyone, and
about who has left. A teacher removed from the course in the LMS must lose
access to the course's notes here too, without having to launch again, so a
sync deactivates every membership the roster no longer lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from lti_tool.lti.errors import ServiceError
from lti_tool.lti.models import Platform
from lti_tool.lti.nrps import RosterMember, fetch_members

SOURCE = "nrps"
# Ask for large pages: fewer round trips; platforms cap it at what they allow.
PAGE_SIZE = 100
_PERSON_FIELDS = ("name", "given_name", "family_name", "email", "picture")


class RosterUnavailableError(LookupError):
    """The course cannot be synced: no roster URL, or its platform is gone or disabled."""


@dataclass(frozen=True)
class RosterSyncResult:
    """What one sync changed, for the page or log that started it."""

    added: int
    """Memberships created."""
    updated: int
    """Existing memberships (or their person's details) that changed, other than losing access."""
    deactivated: int
    """Memberships that had access and lost it: gone from the roster, inactive or roleless."""
    unchanged: int


def sync_roster(course: Course) -> RosterSyncResult:
    """Fetch the course roster and bring People and Memberships in line with it.

    The whole roster is fetched before anything is written, then applied in one
    transaction: a platform error (:class:`~lti_tool.lti.errors.ServiceError`)
    or a database error leaves the course as it was. Existing rows are loaded
    with one query per table, so the cost does not grow per member. If a launch
    inserts one of the same people meanwhile, the sync starts over once.

    An empty roster is refused rather than applied: a course always has at
    least the teacher who set Staffroom up, so an empty answer is a platform
    fault, and applying it would lock every teacher out.

    :raise RosterUnavailableError: the course has no NRPS URL or no usable platform.
    :raise ServiceError: the platform could not be asked or gave a bad answer.
    """
    course_id, platform_id, nrps_url = course.id, course.platform_id, course.nrps_url
    if not nrps_url:
        raise RosterUnavailableError(
            f"{course.display_title} has no Names and Roles service URL: the platform did "
            "not offer one at launch (enable the Names and Roles scope for this tool)"
        )
    platform = db.session.get(Platform, platform_id)
    if platform is None or not platform.active:
        raise RosterUnavailableError(
            f"the platform of {course.display_title} is not registered or is disabled"
        )
    members = fetch_members(platform, nrps_url, limit=PAGE_SIZE)
    if not members:
        raise ServiceError(
            "S2",
            f"the platform {platform.issuer} returned an empty roster for "
            f"{course.display_title}; nothing was changed",
            iss=platform.issuer, client_id=platform.client_id,
        )
    try:
        return _apply_and_commit(course_id, platform_id, members)
    except IntegrityError:
        # A launch added one of these people (or memberships) at the same moment:
        # start once more from what the database holds now.
        return _apply_and_commit(course_id, platform_id, members)


def _apply_and_commit(
    course_id: int, platform_id: int, members: list[RosterMember]
) -> RosterSyncResult:
    try:
        result = _apply(course_id, platform_id, members)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _apply(course_id: int, platform_id: int, members: list[RosterMember]) -> RosterSyncResult:
    """Write the roster; a constant number of statements whatever its size.

    Existing rows come from one query per table. New people and memberships
    are inserted with one executemany each (the ORM would insert them one by
    one on SQLite, which cannot return generated ids for a batch in order);
    changed rows are flushed by the ORM, which batches identical UPDATEs.
    """
    people = {
        p.sub: p
        for p in db.session.scalars(
            db.select(Person).where(
                Person.platform_id == platform_id,
                Person.sub.in_([m.user_id for m in members]),
            )
        )
    }
    memberships = {
        m.person_id: m
        for m in db.session.scalars(db.select(Membership).where(Membership.course_id == course_id))
    }
    new_people: list[dict[str, object]] = []
    joining: list[RosterMember] = []
    updated = deactivated = unchanged = 0
    listed: set[int] = set()
    for member in members:
        person = people.get(member.user_id)
        if person is None:
            new_people.append(
                {"platform_id": platform_id, "sub": member.user_id}
                | {attr: getattr(member, attr) for attr in _PERSON_FIELDS}
            )
            joining.append(member)
            continue
        person_changed = False
        # A roster may withhold names (privacy settings) that a launch shared: keep them.
        for attr in _PERSON_FIELDS:
            value = getattr(member, attr)
            if value is not None and getattr(person, attr) != value:
                setattr(person, attr, value)
                person_changed = True
        membership = memberships.get(person.id)
        if membership is None:
            joining.append(member)
            continue
        listed.add(person.id)
        was_active = membership.active
        changed = _update_membership(membership, member)
        if was_active and not membership.active:
            deactivated += 1
        elif changed or person_changed:
            updated += 1
        else:
            unchanged += 1

    for person_id, membership in memberships.items():
        if person_id not in listed and membership.active:
            membership.active = False
            membership.source = SOURCE
            deactivated += 1
    db.session.flush()

    person_ids = {sub: p.id for sub, p in people.items()}
    if new_people:
        db.session.execute(sa.insert(Person), new_people)
        person_ids.update(
            db.session.execute(
                db.select(Person.sub, Person.id).where(
                    Person.platform_id == platform_id,
                    Person.sub.in_([row["sub"] for row in new_people]),
                )
            ).all()
        )
    if joining:
        db.session.execute(
            sa.insert(Membership),
            [_membership(course_id, person_ids[m.user_id], m) for m in joining],
        )
    return RosterSyncResult(
        added=len(joining), updated=updated, deactivated=deactivated, unchanged=unchanged
    )


def _membership(course_id: int, person_id: int, member: RosterMember) -> dict[str, object]:
    """The row of a new membership, as the roster describes it."""
    return {
        "course_id": course_id,
        "person_id": person_id,
        "roles": member.roles.course_role_names(),
        "is_staff": member.roles.is_staff,
        "is_learner": member.roles.is_learner,
        "active": member.has_access,
        "source": SOURCE,
    }


def _update_membership(membership: Membership, member: RosterMember) -> bool:
    """Set the roster's view on an existing membership; True if its access data changed."""
    wanted = {
        "roles": member.roles.course_role_names(),
        "is_staff": member.roles.is_staff,
        "is_learner": member.roles.is_learner,
        "active": member.has_access,
    }
    changed = False
    for attr, value in wanted.items():
        if getattr(membership, attr) != value:
            setattr(membership, attr, value)
            changed = True
    # The roster is now the last word on this membership, even when it agreed.
    membership.source = SOURCE
    return changed
