"""Error pages in plain words, inside the LMS frame."""

from __future__ import annotations

import logging
import math
import re
import time

from flask import Flask, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DatabaseError, DataError, IntegrityError

log = logging.getLogger("lti_tool")


def init_app(app: Flask) -> None:
    def page(status: int, title: str, message: str):  # type: ignore[no-untyped-def]
        return render_template("errors/error.html", title=title, message=message), status

    @app.errorhandler(400)
    def bad_request(exc):  # type: ignore[no-untyped-def]
        if request.is_json:  # a script's malformed body (autosave): it shows ``error`` itself
            return jsonify(error=str(exc.description)), 400
        return page(400, "Something in that request was not right", str(exc.description))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):  # type: ignore[no-untyped-def]
        from lti_tool.courses.identity import (
            opened_by_the_previous_person,
            refused_token_page,
            switched_page,
        )

        refused = refused_token_page()
        if refused is not None:
            return refused
        switched = opened_by_the_previous_person()
        if switched is not None:
            return switched_page(switched)
        return page(
            400,
            "This form could not be accepted",
            "For your security the form could not be accepted (its security token was "
            "missing or too old). Go back, reload the page and submit it again.",
        )

    @app.errorhandler(403)
    def forbidden(exc):  # type: ignore[no-untyped-def]
        return page(403, "You do not have access to this", "Your role does not allow this action.")

    @app.errorhandler(404)
    def not_found(exc):  # type: ignore[no-untyped-def]
        return render_template(
            "errors/error.html", title="Page not found",
            message="This page does not exist or is no longer available.",
            not_found=True, course_dashboard=_course_dashboard(),
        ), 404

    @app.errorhandler(429)
    def too_many(exc):  # type: ignore[no-untyped-def]
        body, status = page(
            429, "Too many attempts", "Please wait a few minutes before trying again."
        )
        retry_after = _seconds_until_the_limit_resets()
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        return body, status, headers

    def rollback() -> None:
        from lti_tool.extensions import db

        try:
            db.session.rollback()
        except DatabaseError:
            log.error("database rollback failed as well")

    @app.errorhandler(DataError)
    def value_refused(exc):  # type: ignore[no-untyped-def]
        # A value the database cannot store (a number out of range, a text longer than
        # its column) that no check before it caught: the request's fault, not a fault.
        log.warning("database refused a value: %s", exc.orig.__class__.__name__)
        rollback()
        return page(
            400,
            "Something in that request could not be stored",
            "A value was too long or could not be stored. Nothing was saved. Go back, "
            "check what you typed or pasted, and try again.",
        )

    @app.errorhandler(IntegrityError)
    def conflict(exc):  # type: ignore[no-untyped-def]
        # Two requests changed the same thing at once and the database kept one of them.
        log.warning("database integrity conflict: %s", exc.orig.__class__.__name__)
        rollback()
        return page(
            409,
            "Someone changed this at the same moment",
            "Nothing of yours was saved. Go back, reload the page to see the change, and "
            "try again.",
        )

    @app.errorhandler(DatabaseError)
    def database_down(exc):  # type: ignore[no-untyped-def]
        # Unreachable, locked, read-only or damaged: the request could not be served.
        log.error("database unavailable: %s", exc.__class__.__name__)
        rollback()
        return page(
            503,
            "Staffroom cannot reach its database",
            "Nothing was saved. Please try again in a minute; if this goes on, tell your "
            "LMS administrator.",
        )

    @app.errorhandler(500)
    def server_error(exc):  # type: ignore[no-untyped-def]
        return page(
            500,
            "Something went wrong",
            "Nothing was saved. Please try again; if this goes on, tell your LMS administrator.",
        )


_COURSE_PATH = re.compile(r"^/courses/([0-9]{1,9})(?:/|$)")


def _course_dashboard() -> str | None:
    """The dashboard of the course the missing page's address names, if this session
    launched into it: the way back from a "page not found" inside the LMS frame."""
    from lti_tool.courses.context import launched_into

    match = _COURSE_PATH.match(request.path)
    if match is None or not launched_into(int(match.group(1))):
        return None
    return url_for("courses.dashboard", course_id=int(match.group(1)))


def _seconds_until_the_limit_resets() -> int | None:
    """When the rate limit that refused this request lets it through again."""
    from lti_tool.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return None
    return max(1, math.ceil(current.reset_at - time.time()))
