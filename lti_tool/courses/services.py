"""Recording launches: upsert Person, Course and Membership in one transaction."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lti_tool.cache import get_cache
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.models import Platform

FRAME_ANCESTORS_CACHE_KEY = "frame-ancestors"


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


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


def record_launch(ctx: LaunchContext, platform: Platform | None = None) -> LaunchContext:
    """Store what a validated launch told us and return the context with database ids.

    Everything is written in one transaction: a database failure leaves no
    half-recorded launch behind.
    """
    try:
        platform = platform or db.session.get(Platform, ctx.platform.id)
        assert platform is not None
        _learn_frame_origins(platform, ctx)
        if ctx.platform.product_family and platform.product_family != ctx.platform.product_family:
            platform.product_family = ctx.platform.product_family
        now = utcnow()
        person_id = _upsert(
            Person,
            {"platform_id": platform.id, "sub": ctx.person.sub},
            {
                "name": ctx.person.name,
                "given_name": ctx.person.given_name,
                "family_name": ctx.person.family_name,
                "email": ctx.person.email,
                "picture": ctx.person.picture,
                "updated_at": now,
            },
            insert_only={"created_at": now},
        )
        course_id = None
        if ctx.course is not None:
            course_id = _upsert(
                Course,
                {"platform_id": platform.id, "context_id": ctx.course.context_id},
                {
                    "deployment_id": ctx.deployment_pk,
                    "label": ctx.course.label,
                    "title": ctx.course.title,
                    "nrps_url": ctx.nrps_url,
                    "updated_at": now,
                },
                insert_only={"created_at": now},
            )
            _upsert(
                Membership,
                {"course_id": course_id, "person_id": person_id},
                {
                    "roles": ctx.roles.course_role_names(),
                    "is_staff": ctx.roles.is_staff,
                    "is_learner": ctx.roles.is_learner,
                    "active": ctx.roles.has_course_role,
                    "source": "launch",
                    "last_launch_at": now,
                    "updated_at": now,
                },
                keep_if_none=False,
            )
        result = replace(ctx, person_id=person_id, course_id=course_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _learn_frame_origins(platform: Platform, ctx: LaunchContext) -> None:
    """Remember where this platform's pages live, for CSP frame-ancestors.

    Canvas Cloud's issuer (canvas.instructure.com) is not the school's domain
    that frames the tool; the validated launch tells us that domain through its
    return URLs and service URLs.
    """
    seen = set(platform.frame_origins or [])
    candidates = {
        _origin(ctx.return_url),
        _origin(ctx.deep_linking.return_url if ctx.deep_linking else None),
        _origin(ctx.nrps_url),
    }
    new = {c for c in candidates if c} - seen - platform.origins()
    if new:
        platform.frame_origins = sorted(seen | new)
        invalidate_frame_ancestors()


# Each worker keeps the list for a few seconds, so that pages make no cache round trip
# for it; a change by the admin reaches every worker within that time.
FRAME_ANCESTORS_MEMO_SECONDS = 5.0
_frame_ancestors_memo: tuple[float, list[str]] | None = None


def frame_ancestors() -> list[str]:
    """Origins allowed to frame the tool: every active platform's, cached for a minute."""
    global _frame_ancestors_memo
    memo = _frame_ancestors_memo
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    cache = get_cache()
    result = cache.get(FRAME_ANCESTORS_CACHE_KEY)
    if result is None:
        origins: set[str] = set()
        for platform in db.session.scalars(db.select(Platform).filter_by(active=True)):
            origins |= platform.origins()
        result = sorted(origins)
        cache.set(FRAME_ANCESTORS_CACHE_KEY, result, 60)
    _frame_ancestors_memo = (time.monotonic() + FRAME_ANCESTORS_MEMO_SECONDS, result)
    return result


def invalidate_frame_ancestors() -> None:
    """Call after adding, changing or removing a platform."""
    global _frame_ancestors_memo
    _frame_ancestors_memo = None
    get_cache().delete(FRAME_ANCESTORS_CACHE_KEY)
