"""Recording launches: upsert Person, Course and Membership in one transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lti_tool.courses.context import CourseContext, course_context
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.frames import invalidate_frame_ancestors
from lti_tool.lti.models import Platform
from lti_tool.lti.tool_conf import RegisteredPlatform
from lti_tool.lti.urls import web_origin

# INSERT … ON CONFLICT statements, built once per (dialect, table, updated columns) and
# reused: a reused statement object keeps its SQLAlchemy cache key, so each launch
# goes straight to the compiled statement instead of rebuilding it (several
# milliseconds per launch). The values are bound at execution; they are never part
# of the statement. There are at most a few dozen shapes (which columns to update).
_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def _upsert_statement(
    dialect: str, table: sa.Table, keys: tuple[str, ...], updated: tuple[str, ...]
) -> Any:
    memo_key = (dialect, table.name, keys, updated)
    stmt = _UPSERTS.get(memo_key)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        base = insert(table)
        stmt = base.on_conflict_do_update(
            index_elements=list(keys), set_={k: base.excluded[k] for k in updated}
        ).returning(table.c.id)
        _UPSERTS[memo_key] = stmt
    return stmt


def _upsert(
    model: Any,
    keys: dict[str, Any],
    values: dict[str, Any],
    *,
    keep_if_none: bool = True,
    insert_only: dict[str, Any] | None = None,
) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE … RETURNING id, in one statement.

    Concurrent first launches of the same course or person (two workers, two
    teachers) cannot collide: the database decides, atomically. With
    ``keep_if_none`` a value the platform withheld this time (a name hidden by
    privacy settings) does not erase the one we know.
    """
    dialect = db.session.get_bind().dialect.name
    updated = tuple(k for k, v in values.items() if not (keep_if_none and v is None))
    if not updated:  # nothing to change: a no-op update still returns the row's id
        updated = (next(iter(keys)),)
    stmt = _upsert_statement(dialect, model.__table__, tuple(keys), updated)
    return db.session.execute(stmt, {**keys, **values, **(insert_only or {})}).scalar_one()


# How fresh Membership.last_launch_at is kept: a teacher who opens Staffroom many times
# an hour causes one write per interval, not one per launch.
LAST_LAUNCH_INTERVAL = timedelta(minutes=10)

_PERSON_FIELDS = ("name", "given_name", "family_name", "email", "picture")

# What the database already holds for this person in this course, in one statement built
# once: a returning teacher whose details have not changed costs this read and no write,
# and the rows it reads are the course context of the page the launch lands on.
_KNOWN = (
    sa.select(Person, Course, Membership)
    .select_from(Person)
    .outerjoin(
        Course,
        sa.and_(
            Course.platform_id == sa.bindparam("platform_id"),
            Course.context_id == sa.bindparam("context_id"),
        ),
    )
    .outerjoin(
        Membership,
        sa.and_(Membership.course_id == Course.id, Membership.person_id == Person.id),
    )
    .where(Person.platform_id == sa.bindparam("platform_id"), Person.sub == sa.bindparam("sub"))
)


def _differs(row: Any, wanted: dict[str, Any], *, keep_if_none: bool) -> bool:
    """Whether writing ``wanted`` would change the stored row (``None`` when not stored)."""
    if row is None:
        return True
    return any(
        value != getattr(row, name)
        for name, value in wanted.items()
        if not (keep_if_none and value is None)
    )


def _write_if_changed(
    model: Any, row: Any, keys: dict[str, Any], wanted: dict[str, Any], now: datetime
) -> tuple[int, bool]:
    """The row's id, and whether it was written: upserted when missing or different.

    A value the platform withheld (``None``) keeps the one we know.
    """
    if not _differs(row, wanted, keep_if_none=True):
        return int(row.id), False
    values = {**wanted, "updated_at": now}
    return _upsert(model, keys, values, insert_only={"created_at": now}), True


class RegistrationRemovedError(Exception):
    """The launch's registration was removed after the launch was validated."""


def record_launch(
    ctx: LaunchContext, platform: Platform | RegisteredPlatform
) -> tuple[LaunchContext, CourseContext | None]:
    """Store what a validated launch told us; return the context with database ids.

    One read finds what is already known; only what changed is written, each
    row with an atomic upsert, all in one transaction: a database failure
    leaves no half-recorded launch behind. A returning teacher whose name,
    course and roles are unchanged costs no write at all, except the
    ``last_launch_at`` stamp once per :data:`LAST_LAUNCH_INTERVAL`.

    The second value is the person's course context when the rows read are
    still current (nothing in them was written), so that the landing page
    needs no second read; otherwise ``None``.
    """
    try:
        changed = _learn_about_platform(platform, ctx)
        known = db.session.execute(
            _KNOWN,
            {
                "platform_id": platform.id,
                "sub": ctx.person.sub,
                "context_id": ctx.course.context_id if ctx.course is not None else None,
            },
        ).first()
        person, course, membership = known or (None, None, None)
        now = utcnow()
        person_id, written = _write_if_changed(
            Person, person, {"platform_id": platform.id, "sub": ctx.person.sub},
            {f: getattr(ctx.person, f) for f in _PERSON_FIELDS}, now,
        )
        rows_current = not written
        course_id = None
        if ctx.course is not None:
            course_id, written = _write_if_changed(
                Course, course,
                {"platform_id": platform.id, "context_id": ctx.course.context_id},
                {
                    "deployment_id": ctx.deployment_pk,
                    "label": ctx.course.label,
                    "title": ctx.course.title,
                    "nrps_url": ctx.nrps_url,
                },
                now,
            )
            rows_current = rows_current and not written
            wanted_membership = {
                "roles": ctx.roles.course_role_names(),
                "is_staff": ctx.roles.is_staff,
                "is_learner": ctx.roles.is_learner,
                "active": ctx.roles.has_course_role,
                "source": "launch",
            }
            if (
                _differs(membership, wanted_membership, keep_if_none=False)
                or membership.last_launch_at is None
                or now - membership.last_launch_at >= LAST_LAUNCH_INTERVAL
            ):
                _upsert(
                    Membership,
                    {"course_id": course_id, "person_id": person_id},
                    {**wanted_membership, "last_launch_at": now, "updated_at": now},
                    keep_if_none=False,
                )
                rows_current = False
        result = replace(ctx, person_id=person_id, course_id=course_id)
        if changed or not rows_current:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if rows_current and not changed and membership is not None:
        return result, course_context(membership, course, person)
    return result, None


def _learn_about_platform(platform: Platform | RegisteredPlatform, ctx: LaunchContext) -> bool:
    """Remember what a validated launch taught us about its platform; True if anything.

    Canvas Cloud's issuer (canvas.instructure.com) is not the school's domain
    that frames the tool; the launch tells us that domain through its return
    URLs and service URLs, which CSP frame-ancestors must allow. The launch
    also names the LMS product. The registration the launch was validated
    against may be a copy (:class:`RegisteredPlatform`): the row is read only
    when there is something to write.
    """
    if not (_new_frame_origins(platform, ctx) or _new_product_family(platform, ctx)):
        return False
    row = platform if isinstance(platform, Platform) else db.session.get(Platform, platform.id)
    if row is None:
        raise RegistrationRemovedError(f"platform {platform.id} is no longer stored")
    learnt = False
    new_origins = _new_frame_origins(row, ctx)
    if new_origins:
        row.frame_origins = sorted(set(row.frame_origins or []) | new_origins)
        invalidate_frame_ancestors()
        learnt = True
    if _new_product_family(row, ctx):
        row.product_family = ctx.platform.product_family
        learnt = True
    return learnt


def _new_frame_origins(platform: Platform | RegisteredPlatform, ctx: LaunchContext) -> set[str]:
    candidates = {
        web_origin(ctx.return_url),
        web_origin(ctx.deep_linking.return_url if ctx.deep_linking else None),
        web_origin(ctx.nrps_url),
    }
    return {c for c in candidates if c} - set(platform.frame_origins or []) - platform.origins()


def _new_product_family(platform: Platform | RegisteredPlatform, ctx: LaunchContext) -> bool:
    family = ctx.platform.product_family
    return bool(family) and platform.product_family != family


def platform_usage(platform_id: int) -> dict[str, int]:
    """How many courses and people deleting this platform's registration would remove."""

    def count(model: Any) -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.platform_id == platform_id)
        ) or 0

    return {"courses": count(Course), "people": count(Person)}
