"""Recording launches: upsert Person, Course and Membership in one transaction."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

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


def record_launch(ctx: LaunchContext) -> LaunchContext:
    """Store what a validated launch told us and return the context with database ids.

    Everything is written in one transaction: a database failure leaves no
    half-recorded launch behind.
    """
    try:
        platform = db.session.get(Platform, ctx.platform.id)
        assert platform is not None
        _learn_frame_origins(platform, ctx)
        if ctx.platform.product_family and platform.product_family != ctx.platform.product_family:
            platform.product_family = ctx.platform.product_family

        person = db.session.scalars(
            db.select(Person).filter_by(platform_id=platform.id, sub=ctx.person.sub)
        ).first()
        if person is None:
            person = Person(platform_id=platform.id, sub=ctx.person.sub)
            db.session.add(person)
        # Privacy settings may withhold a name on one launch and share it on the next:
        # keep what we know rather than erase it.
        for attr in ("name", "given_name", "family_name", "email", "picture"):
            value = getattr(ctx.person, attr)
            if value is not None and getattr(person, attr) != value:
                setattr(person, attr, value)

        course = None
        if ctx.course is not None:
            course = db.session.scalars(
                db.select(Course).filter_by(
                    platform_id=platform.id, context_id=ctx.course.context_id
                )
            ).first()
            if course is None:
                course = Course(platform_id=platform.id, context_id=ctx.course.context_id)
                db.session.add(course)
            course.deployment_id = ctx.deployment_pk
            if ctx.course.label is not None:
                course.label = ctx.course.label
            if ctx.course.title is not None:
                course.title = ctx.course.title
            if ctx.nrps_url:
                course.nrps_url = ctx.nrps_url
            db.session.flush()
            membership = db.session.scalars(
                db.select(Membership).filter_by(course_id=course.id, person_id=person.id)
            ).first() if person.id else None
            if membership is None:
                membership = Membership(course=course, person=person)
                db.session.add(membership)
            membership.roles = ctx.roles.course_role_names()
            membership.is_staff = ctx.roles.is_staff
            membership.is_learner = ctx.roles.is_learner
            membership.active = ctx.roles.has_course_role
            membership.source = "launch"
            membership.last_launch_at = utcnow()
        db.session.flush()
        result = replace(ctx, person_id=person.id, course_id=course.id if course else None)
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
        get_cache().delete(FRAME_ANCESTORS_CACHE_KEY)


def frame_ancestors() -> list[str]:
    """Origins allowed to frame the tool: every active platform's, cached for a minute."""
    cache = get_cache()
    cached = cache.get(FRAME_ANCESTORS_CACHE_KEY)
    if cached is not None:
        return cached
    origins: set[str] = set()
    for platform in db.session.scalars(db.select(Platform).filter_by(active=True)):
        origins |= platform.origins()
    result = sorted(origins)
    cache.set(FRAME_ANCESTORS_CACHE_KEY, result, 60)
    return result


def invalidate_frame_ancestors() -> None:
    """Call after adding, changing or removing a platform."""
    get_cache().delete(FRAME_ANCESTORS_CACHE_KEY)
