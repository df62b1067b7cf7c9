"""Placed links: what a launch of a deep-linked link opens, course copies, and the relaunch.

**Where a link's target comes from.** The deep linking response (:mod:`.deep_linking`)
writes the target (``plan:12``, see :class:`~lti_tool.courses.registry.LinkTarget`) into
the item twice: as the custom parameter ``staffroom_target`` and in the item's address
(``/lti/launch?target=plan%3A12``, which a platform sends back as the launch's
``target_link_uri``). Canvas does not send custom parameters from every placement, so
the first launch that carries the target also stores it under the platform's
``resource_link_id`` (:class:`~lti_tool.courses.models.PlacedLink`); a launch that
carries neither finds it there. A link the LMS copied with its course has a new
``resource_link_id``; its ``$ResourceLink.id.history`` (custom ``staffroom_link_history``)
names the original, whose record then serves the copy.

**Course copy.** ``$Context.id.history`` (custom ``staffroom_context_history``) names the
course a copy was made from. When a teacher of both courses launches in the copy, the
copy is linked to the original (:class:`~lti_tool.courses.models.CourseCopy`) and its
staff share the original's course space. Without the history, a link whose target lives
in another course's space is opened with a page that offers such a teacher to link the
two courses (a CSRF-protected form), and tells anyone else why it does not open.

**Relaunch.** A course page opened without a session (a plan's address in a new tab, or
sent to a colleague) answers "Open Staffroom from your course" and remembers the page for
15 minutes, twice: in a signed cookie (the whole address), and in the shared cache under
the course and a keyed hash of the browser's address and user agent (never stored as
such; the path only, for a course that exists). The next staff launch into that course
from the same browser goes to the newer of the two, once, through the course's access
checks, and says so on the page. The cookie serves a frame whose session ended (same
frame, same partition); the cache serves a new tab, whose cookies browsers keep apart
from the LMS frame's (partitioned, or blocked). Only a path inside that course's area is
ever followed. What the cache key cannot tell apart (one network, one browser build) is
in docs/architecture.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import sqlalchemy as sa
from flask import (
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from wtforms import HiddenField

from lti_tool.cache import get_cache
from lti_tool.courses import registry
from lti_tool.courses.context import CourseContext
from lti_tool.courses.links import in_course
from lti_tool.courses.models import Course, CourseCopy, Membership, PlacedLink
from lti_tool.courses.sessions import TOKEN_PARAM
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.launch import external_url

log = logging.getLogger("lti_tool.courses")

CUSTOM_TARGET = "staffroom_target"
CUSTOM_CONTEXT_HISTORY = "staffroom_context_history"
CUSTOM_LINK_HISTORY = "staffroom_link_history"
URL_PARAM = "target"

RESUME_COOKIE = "staffroom_resume"
RESUME_SALT = "staffroom.resume-path"
RESUME_MAX_AGE = 15 * 60
MAX_REMEMBERED = 1000  # the longest address remembered for a relaunch


# --- the deep linking item ----------------------------------------------------------------


def item_url(target: str) -> str:
    """The address of a placed link: the launch URL, naming the target."""
    return external_url("lti.launch") + "?" + urlencode({URL_PARAM: target})


def item_custom(target: str) -> dict[str, str]:
    """The custom parameters of a placed link; the platform fills in the ``$`` variables."""
    return {
        CUSTOM_TARGET: target,
        CUSTOM_CONTEXT_HISTORY: "$Context.id.history",
        CUSTOM_LINK_HISTORY: "$ResourceLink.id.history",
    }


# --- the target of a launch ---------------------------------------------------------------


def _from_address(target_link_uri: str | None) -> str | None:
    values = parse_qs(urlsplit(target_link_uri or "").query).get(URL_PARAM) or []
    return values[0] if len(values) == 1 else None


def _stored(platform_id: int, resource_link_id: str) -> str | None:
    return db.session.scalar(
        sa.select(PlacedLink.target).where(
            PlacedLink.platform_id == platform_id,
            PlacedLink.resource_link_id == resource_link_id,
        )
    )


def _remember(platform_id: int, resource_link_id: str, course_id: int, target: str) -> None:
    """Store (or correct) the link's target: one atomic upsert, committed."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    statement = insert(PlacedLink).values(
        platform_id=platform_id, resource_link_id=resource_link_id, course_id=course_id,
        target=target, created_at=now, updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["platform_id", "resource_link_id"],
        set_={"target": statement.excluded.target, "updated_at": now},
    )
    try:
        db.session.execute(statement)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def target_of(ctx: LaunchContext, course_id: int) -> str | None:
    """The target this launch's link was placed for, remembering it for the next launches."""
    explicit = ctx.custom.get(CUSTOM_TARGET) or _from_address(ctx.target_link_uri)
    if explicit is not None and len(explicit) > 100:
        explicit = None
    link = ctx.resource_link.id if ctx.resource_link is not None else None
    if link is None or len(link) > 255:
        return explicit
    stored = _stored(ctx.platform.id, link)
    if explicit is not None:
        if stored != explicit:
            _remember(ctx.platform.id, link, course_id, explicit)
        return explicit
    if stored is not None:
        return stored
    history = ctx.custom.get(CUSTOM_LINK_HISTORY)
    for earlier in (history or "").split(","):
        found = _stored(ctx.platform.id, earlier.strip()) if earlier.strip() else None
        if found is not None:
            _remember(ctx.platform.id, link, course_id, found)
            return found
    return None


# --- course copies ------------------------------------------------------------------------


def source_of(course_id: int) -> int | None:
    """The course this one continues (it was copied from), if linked."""
    return db.session.scalar(
        sa.select(CourseCopy.source_course_id).where(CourseCopy.course_id == course_id)
    )


def _teaches(person_id: int, course_id: int) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(
            Membership.person_id == person_id, Membership.course_id == course_id,
            Membership.is_active_staff(),
        )
    ) == 1


def may_link(ctx: CourseContext, source_id: int) -> bool:
    """May this person link their course to ``source_id`` (as continuing it)?

    They must teach in both: linking lets this course's staff into what the other
    course's staff keep together, which only someone trusted by both may decide.
    """
    course = ctx.course
    source = db.session.get(Course, source_id)
    return (
        ctx.is_staff and source is not None and source_id != course.id
        and source.platform_id == course.platform_id
        and source_of(course.id) is None
        and db.session.scalar(
            sa.select(sa.func.count()).select_from(CourseCopy)
            .where(CourseCopy.source_course_id == course.id)
        ) == 0
        and _teaches(ctx.person.id, source_id)
    )


def link_courses(ctx: CourseContext, source_id: int, how: str) -> None:
    """Record that this course continues ``source_id`` (its first course, for a copy of a copy)."""
    root = source_of(source_id) or source_id
    db.session.add(CourseCopy(course_id=ctx.course.id, source_course_id=root,
                              linked_by_id=ctx.person.id, how=how))
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("course %s linked to course %s (%s)", ctx.course.id, root, how)


def _link_from_history(ctx: LaunchContext, course_ctx: CourseContext) -> None:
    """``$Context.id.history``: the LMS copied this course from another we know."""
    history = ctx.custom.get(CUSTOM_CONTEXT_HISTORY)
    if not history or source_of(course_ctx.course.id) is not None:
        return
    for context_id in [c.strip() for c in history.split(",") if c.strip()][:10]:
        source_id = db.session.scalar(
            sa.select(Course.id).where(
                Course.platform_id == ctx.platform.id, Course.context_id == context_id
            )
        )
        if source_id is not None:
            if may_link(course_ctx, source_id):
                link_courses(course_ctx, source_id, "history")
            return


class LinkCourseForm(FlaskForm):
    source_id = HiddenField()
    target = HiddenField()


# --- opening a target ---------------------------------------------------------------------


def open_target(course_ctx: CourseContext, target: str):  # type: ignore[no-untyped-def]
    """The response that opens ``target`` in this course for this person.

    A redirect to the target's page (whose own access checks then run as for any
    request), the course-copy page, or a clear refusal (404) when the person may not
    see it or it is gone.
    """
    course = course_ctx.course
    found = registry.link_target(target)
    if found is None:
        return _refused(course_ctx, "Staffroom does not know what this link points to.")
    link_target, key = found
    home = link_target.home_course(key) if link_target.home_course else None
    opened = link_target.open(course_ctx, key)
    elsewhere = home is not None and home not in (course.id, source_of(course.id))
    if elsewhere and (opened is not None or may_link(course_ctx, home)):
        # Someone who teaches there too: they may open it, and link the two courses.
        return render_template(
            "courses/course_copy.html", ctx=course_ctx, home=db.session.get(Course, home),
            open_url=_url(course.id, opened) if opened else None,
            can_link=may_link(course_ctx, home),
            form=LinkCourseForm(source_id=str(home), target=target),
        )
    if opened is None:
        # Nothing about the other course is named: an outsider learns nothing from it.
        return _refused(course_ctx, "This link opens something you cannot see in Staffroom, "
                        "or that is no longer there." + (
                            " If this course was copied from another, a teacher of both "
                            "courses can link them by opening this link once." if elsewhere
                            else ""))
    return hand_off(_url(course.id, opened))


def hand_off(url: str) -> Response:
    """The launch's answer that goes on to ``url`` (a path of this tool).

    Not a redirect: a redirect of the LMS's cross-site launch POST is itself a
    cross-site request, which the course area refuses in a frame
    (:func:`lti_tool.courses.views.embedded_by_another_site`). The page follows its
    link at once (``follow-link.js``), from the tool's own document.
    """
    response = make_response(render_template("courses/opening.html", url=url))
    response.headers["Cache-Control"] = "no-store"
    return response


def _url(course_id: int, opened: tuple[str, dict]) -> str:  # type: ignore[type-arg]
    endpoint, values = opened
    return url_for(endpoint, **{"course_id": course_id, **values})


def _refused(course_ctx: CourseContext, message: str):  # type: ignore[no-untyped-def]
    return render_template(
        "courses/target_refused.html", ctx=course_ctx, message=message,
        dashboard=url_for("courses.dashboard", course_id=course_ctx.course.id),
    ), 404


def open_launch(ctx: LaunchContext, course_ctx: CourseContext):  # type: ignore[no-untyped-def]
    """A staff launch into a course: the page it asked for, or None for the dashboard.

    A placed link names its own target, which comes first; a launch that names none
    goes to the page remembered for this browser, if any (used once either way).
    """
    _link_from_history(ctx, course_ctx)
    target = target_of(ctx, course_ctx.course.id)
    resumed = _resume_path(course_ctx.course.id)
    if target is not None:
        return open_target(course_ctx, target)
    if resumed is not None:
        flash("Staffroom opened the page asked for a few minutes ago, outside the course "
              "(in another tab, or from a link).", "info")
        response = hand_off(resumed)
        forget_requested_path(response)
        return response
    return None


# --- relaunch: the page asked for before the session existed ------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT)


def requested_path(course_id: int) -> str | None:
    """The page this request asks for, if it may be remembered for a relaunch: a GET of a
    page inside the course's area, its address (without a session token) at most 1,000
    characters long."""
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_PARAM])
    path = request.path + ("?" + query if query else "")
    if request.method != "GET" or len(path) > MAX_REMEMBERED:
        return None
    return in_course(path, course_id)


def remember_requested_path(response: Response, course_id: int, path: str | None) -> Response:
    """On "Open Staffroom from your course": remember the page asked for, briefly.

    The cookie keeps the whole address (it is this browser's own). The shared cache,
    which anyone with the same address and browser could write to, keeps the page
    without its query string, so that nobody can choose the words a colleague's page
    opens with, and only for a course that exists.
    """
    if path is None:
        return response
    response.set_cookie(
        RESUME_COOKIE, _serializer().dumps({"c": course_id, "p": path}),
        max_age=RESUME_MAX_AGE, path="/", secure=True, httponly=True, samesite="None",
        partitioned=True,
    )
    if db.session.get(Course, course_id) is not None:
        get_cache().set(_browser_key(course_id), {"p": request.path, "t": int(time.time())},
                        RESUME_MAX_AGE)
    return response


def forget_requested_path(response: Response) -> None:
    response.delete_cookie(RESUME_COOKIE, path="/", secure=True, httponly=True,
                           samesite="None", partitioned=True)


def _browser_key(course_id: int) -> str:
    """The cache key of a page remembered for this browser in this course.

    The same browser has the same address and user agent in a new tab and in the LMS's
    frame; a colleague's browser (who was sent the link) has its own, unless they share
    an address and a browser build (a school's network and its fleet of tablets): then
    they share the key. Both are hashed with the secret key, so the cache never holds
    them.
    """
    seen = f"{request.remote_addr}\n{request.user_agent.string}".encode()
    secret = current_app.config["SECRET_KEY"]
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, seen, hashlib.sha256)
    return f"requested-path:{course_id}:{digest.hexdigest()[:40]}"


def _resume_path(course_id: int) -> str | None:
    """The page remembered for this browser in this course (used once), or None: the
    newer of the cookie's and the cache's."""
    cached = get_cache().pop(_browser_key(course_id))
    # (when, which, page): in the same second the cookie wins, as it keeps the whole address
    found: list[tuple[int, int, Any]] = []
    if isinstance(cached, dict) and isinstance(cached.get("t"), int | float):
        found.append((int(cached["t"]), 0, cached.get("p")))
    raw = request.cookies.get(RESUME_COOKIE)
    if raw:
        try:
            data, stamp = _serializer().loads(raw, max_age=RESUME_MAX_AGE, return_timestamp=True)
        except BadSignature:
            data = None
        if isinstance(data, dict) and data.get("c") == course_id:
            found.append((int(stamp.timestamp()), 1, data.get("p")))
    if not found:
        return None
    remembered = max(found, key=lambda item: item[:2])[2]
    return in_course(remembered, course_id) if isinstance(remembered, str) else None
