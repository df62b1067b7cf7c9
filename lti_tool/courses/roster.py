"""Refreshing a course's members from the platform's roster (NRPS).

A launch tells us about one person; the roster tells us about everyone, and
about who has left. A teacher removed from the course in the LMS must lose
access to the course's notes here too, without having to launch again, so a
full sync deactivates every membership the roster no longer lists, and a
differences sync every member it lists as Inactive or Deleted.

Three ways in:

* a launch that carries the NRPS claim schedules :func:`sync_if_due` after its
  response (``after_response``): it never slows the launch, syncs only a roster
  older than ``ROSTER_SYNC_MAX_AGE``, and takes a lock in the shared cache
  (Redis in production) so that two workers or hosts never sync one course at
  once;
* the "Refresh roster" button calls :func:`refresh`;
* features read :func:`roster_status`: "from the LMS roster, synced at …" or
  "built from launches".

A platform error (401, 403, 5xx, a page that is not JSON, a timeout) changes
no member: the last good roster stays, and the error is recorded on the course
for the button to show.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lti_tool.cache import get_cache
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.errors import ServiceError
from lti_tool.lti.models import Platform
from lti_tool.lti.nrps import RosterMember, fetch_roster

log = logging.getLogger("lti_tool.courses.roster")

SOURCE = "nrps"
# Ask for large pages: fewer round trips; platforms cap it at what they allow. The
# members are written in chunks of this size, each with at most three statements.
PAGE_SIZE = 100
LOCK_PREFIX = "roster-sync:"
_PERSON_FIELDS = ("name", "given_name", "family_name", "email", "picture")
_ACCESS_FIELDS = ("roles", "is_staff", "is_learner", "active")
# An error message longer than the column is cut (the column is 1,000 characters).
_ERROR_LENGTH = 1000


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
    differences: bool = False
    """Only the members changed since the last sync were asked (``rel="differences"``)."""


@dataclass(frozen=True)
class RosterStatus:
    """Where a course's list of people comes from, for a feature to say so on its page."""

    source: str
    """``"nrps"``: the LMS roster (synced at least once); ``"launches"``: built from the
    people who have opened Staffroom from the course."""
    synced_at: datetime | None
    member_count: int | None
    """Active members the last good sync found (every role); None without a sync."""
    last_error: str | None
    offers_roster: bool
    """The platform offered a roster service (NRPS) for this course."""

    @property
    def from_roster(self) -> bool:
        return self.source == SOURCE


def roster_status(course: Course) -> RosterStatus:
    """Whether the course's people come from the LMS roster or from launches; no query."""
    synced = course.roster_synced_at is not None
    return RosterStatus(
        source=SOURCE if synced else "launches",
        synced_at=course.roster_synced_at,
        member_count=course.roster_member_count if synced else None,
        last_error=course.roster_error,
        offers_roster=bool(course.nrps_url),
    )


# --------------------------------------------------------------------------- sync


def sync_roster(course: Course, *, use_differences: bool = True) -> RosterSyncResult:
    """Fetch the course roster and bring People and Memberships in line with it.

    When the last good sync kept the platform's ``rel="differences"`` link, only
    the changes since are asked (``use_differences``); if the platform refuses
    that link, the whole roster is asked once instead.

    The roster is fetched before anything is written, then applied in one
    transaction: a platform error (:class:`~lti_tool.lti.errors.ServiceError`)
    or a database error leaves the course as it was. Each chunk of
    :data:`PAGE_SIZE` members costs at most three statements (read, upsert
    people, upsert memberships), whatever changed; concurrent launches of the
    same people cannot collide with it (``INSERT … ON CONFLICT``).

    An empty full roster is refused rather than applied: a course always has at
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
    differences_url = course.roster_differences_url if use_differences else None
    roster = None
    if differences_url:
        try:
            roster = fetch_roster(platform, differences_url)
        except ServiceError as exc:
            log.info("roster differences of course %s refused (%s): asking the whole roster",
                     course_id, exc.message)
    full = roster is None
    if roster is None:
        roster = fetch_roster(platform, nrps_url, limit=PAGE_SIZE)
        if not roster.members:
            raise ServiceError(
                "S2",
                f"the platform {platform.issuer} returned an empty roster for "
                f"{course.display_title}; nothing was changed",
                iss=platform.issuer, client_id=platform.client_id,
            )
    try:
        result = _apply(course_id, platform_id, roster.members, full=full)
        count = db.session.scalar(_ACTIVE_COUNT, {"course_id": course_id})
        now = utcnow()
        course.roster_synced_at = course.roster_attempted_at = now
        course.roster_error = None
        course.roster_differences_url = roster.differences_url
        course.roster_member_count = count
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return RosterSyncResult(
        added=result.added, updated=result.updated, deactivated=result.deactivated,
        unchanged=result.unchanged, differences=not full,
    )


_ACTIVE_COUNT = (
    sa.select(sa.func.count())
    .select_from(Membership)
    .where(Membership.course_id == sa.bindparam("course_id"), Membership.active.is_(True))
)

# What the database holds for one chunk of the roster: the people (by sub) and their
# membership in this course, if any. One statement per chunk.
_KNOWN = (
    sa.select(
        Person.sub, *(getattr(Person, f) for f in _PERSON_FIELDS),
        Membership.id.label("membership_id"), Membership.source,
        *(getattr(Membership, f) for f in _ACCESS_FIELDS),
    )
    .select_from(Person)
    .outerjoin(
        Membership,
        sa.and_(Membership.person_id == Person.id,
                Membership.course_id == sa.bindparam("course_id")),
    )
    .where(
        Person.platform_id == sa.bindparam("platform_id"),
        Person.sub.in_(sa.bindparam("subs", expanding=True)),
    )
)

# The course's memberships with access now, to find those a full roster no longer lists.
_ACTIVE = (
    sa.select(Membership.id, Person.sub)
    .join(Person, Person.id == Membership.person_id)
    .where(Membership.course_id == sa.bindparam("course_id"), Membership.active.is_(True))
)


def _upserts(dialect: str) -> tuple[Any, Any]:
    """The people and memberships upserts for a dialect, built once (see services._UPSERTS)."""
    cached = _UPSERTS.get(dialect)
    if cached is not None:
        return cached
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    person = Person.__table__
    people = insert(person)
    people = people.on_conflict_do_update(
        index_elements=["platform_id", "sub"],
        # A roster may withhold names (privacy settings) that a launch shared: keep them.
        set_={f: sa.func.coalesce(people.excluded[f], person.c[f]) for f in _PERSON_FIELDS}
        | {"updated_at": people.excluded.updated_at},
    )
    membership = Membership.__table__
    # The bound names differ from the column names: SQLAlchemy keeps those for itself.
    person_id = (
        sa.select(person.c.id)
        .where(person.c.platform_id == sa.bindparam("m_platform_id"),
               person.c.sub == sa.bindparam("m_sub"))
        .scalar_subquery()
    )
    links = insert(membership).values(
        course_id=sa.bindparam("m_course_id"), person_id=person_id,
        **{f: sa.bindparam("m_" + f) for f in (*_ACCESS_FIELDS, "source", "updated_at")},
    )
    links = links.on_conflict_do_update(
        index_elements=["course_id", "person_id"],
        set_={f: links.excluded[f] for f in (*_ACCESS_FIELDS, "source", "updated_at")},
    )
    _UPSERTS[dialect] = (people, links)
    return people, links


_UPSERTS: dict[str, tuple[Any, Any]] = {}


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0


def _apply(
    course_id: int, platform_id: int, members: list[RosterMember], *, full: bool
) -> _Counts:
    """Write the roster: at most three statements per chunk, plus two per sync.

    Only what changed is written: a roster that agrees with the database costs
    one read per chunk. ``full``: the roster lists everyone, so an active
    membership it leaves out loses access.
    """
    counts = _Counts()
    now = utcnow()
    people_upsert, links_upsert = _upserts(db.session.get_bind().dialect.name)
    active_before = (
        {row.id: row.sub for row in db.session.execute(_ACTIVE, {"course_id": course_id})}
        if full else {}
    )
    for start in range(0, len(members), PAGE_SIZE):
        chunk = members[start:start + PAGE_SIZE]
        known = {
            row.sub: row
            for row in db.session.execute(
                _KNOWN,
                {"course_id": course_id, "platform_id": platform_id,
                 "subs": [m.user_id for m in chunk]},
            )
        }
        people: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for member in chunk:
            row = known.get(member.user_id)
            has_membership = row is not None and row.membership_id is not None
            person_changed = row is None or any(
                (value := getattr(member, f)) is not None and value != getattr(row, f)
                for f in _PERSON_FIELDS
            )
            if person_changed:
                people.append(
                    {"platform_id": platform_id, "sub": member.user_id,
                     "created_at": now, "updated_at": now}
                    | {f: getattr(member, f) for f in _PERSON_FIELDS}
                )
            link = _membership(course_id, platform_id, member, now)
            access_changed = has_membership and any(
                link["m_" + f] != getattr(row, f) for f in _ACCESS_FIELDS
            )
            if not has_membership or access_changed or row.source != SOURCE:
                links.append(link)
            if not has_membership:
                counts.added += 1
            elif row.active and not link["m_active"]:
                counts.deactivated += 1
            elif person_changed or access_changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        if people:
            db.session.execute(people_upsert, people)
        if links:
            db.session.execute(links_upsert, links)
    if full:
        listed = {m.user_id for m in members}
        gone = [{"m_id": mid} for mid, sub in active_before.items() if sub not in listed]
        if gone:
            db.session.execute(
                sa.update(Membership.__table__)
                .where(Membership.__table__.c.id == sa.bindparam("m_id"))
                .values(active=False, source=SOURCE, updated_at=now),
                gone,
            )
            counts.deactivated += len(gone)
    return counts


def _membership(
    course_id: int, platform_id: int, member: RosterMember, now: datetime
) -> dict[str, Any]:
    """A membership's row, as the roster describes it (the upsert's parameters)."""
    return {
        "m_course_id": course_id,
        "m_platform_id": platform_id,
        "m_sub": member.user_id,
        "m_roles": member.roles.course_role_names(),
        "m_is_staff": member.roles.is_staff,
        "m_is_learner": member.roles.is_learner,
        "m_active": member.has_access,
        "m_source": SOURCE,
        "m_updated_at": now,
    }


# --------------------------------------------------------------------------- when and who


def record_failure(course_id: int, message: str) -> None:
    """Note a failed attempt on the course (its own transaction); members stay as they were."""
    db.session.rollback()
    db.session.execute(
        sa.update(Course)
        .where(Course.id == course_id)
        .values(roster_error=message[:_ERROR_LENGTH], roster_attempted_at=utcnow())
    )
    db.session.commit()


def refresh(course: Course, *, use_differences: bool = True) -> RosterSyncResult:
    """:func:`sync_roster`, with a failure recorded on the course before it is raised."""
    course_id = course.id
    try:
        return sync_roster(course, use_differences=use_differences)
    except ServiceError as exc:
        record_failure(course_id, exc.message)
        raise
    except RosterUnavailableError as exc:
        record_failure(course_id, str(exc))
        raise


def is_due(course: Course, now: datetime | None = None) -> bool:
    """The course offers a roster and its last attempt is older than ``ROSTER_SYNC_MAX_AGE``.

    The age counts from the last attempt, good or not: a platform that fails is
    asked again after the same interval, not on every launch.
    """
    if not course.nrps_url:
        return False
    last = course.roster_attempted_at
    max_age = timedelta(seconds=float(current_app.config["ROSTER_SYNC_MAX_AGE"]))
    return last is None or (now or utcnow()) - last >= max_age


def sync_if_due(course_id: int) -> RosterSyncResult | None:
    """Sync the course's roster if it is due and no other worker is syncing it.

    Scheduled after a launch's response. The lock is a key added atomically in the
    shared cache (``SET NX`` in Redis), with an expiry so that a worker that dies
    mid-sync does not block the course for ever. Whoever does not get it skips:
    the other one is syncing. Errors are recorded on the course and logged.
    """
    course = db.session.get(Course, course_id)
    if course is None or not is_due(course):
        return None
    cache = get_cache()
    key = f"{LOCK_PREFIX}{course_id}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, int(current_app.config["ROSTER_SYNC_LOCK_SECONDS"])):
        log.info("roster sync of course %s skipped: another worker is syncing it", course_id)
        return None
    try:
        # Another worker may have finished a sync between our check and the lock.
        db.session.refresh(course)
        if not is_due(course):
            return None
        try:
            result = refresh(course)
        except (ServiceError, RosterUnavailableError) as exc:
            log.warning("roster sync of course %s failed: %s", course_id,
                        getattr(exc, "message", str(exc)))
            return None
        log.info("roster sync of course %s: %s", course_id, result)
        return result
    finally:
        if cache.get(key) == token:
            cache.delete(key)
