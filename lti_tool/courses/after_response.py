"""Bookkeeping writes a page makes after its answer is sent, never on the request path.

Opening a page can change what another page shows: a space's home stamps the
visit that "changed since your last visit" counts from, a plan's discussion
marks the reader's mentions seen, the course dashboard clears the changes it
has shown. None of that is what the teacher asked for, so none of it may slow
the page down or break it: a GET page only reads, and schedules such writes
with :func:`after_response`.

They run once the server has sent the response (werkzeug's
``Response.call_on_close``: gunicorn calls it after the last byte), in a fresh
application context with its own database session, each in its own
transaction. A failure (a database locked for a moment, a lost connection) is
logged and rolled back; the reader has their page already and never sees it.
Nothing runs for an answer that is an error (4xx or 5xx).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, after_this_request, current_app, g, has_request_context

from lti_tool.extensions import db

log = logging.getLogger("lti_tool.after_response")

_PENDING = "_staffroom_after_response"

Task = tuple[Callable[..., Any], tuple[Any, ...]]


def after_response(task: Callable[..., Any], *args: Any) -> None:
    """Run ``task(*args)`` after the response of this request is sent.

    Give plain values (ids, timestamps), not ORM objects: the request's session is
    gone by then. Outside a request (a script, a test calling a view helper) the
    task runs at once, with the same rule: a failure is logged, never raised.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not has_request_context():
        run(app, [(task, args)])
        return
    pending: list[Task] | None = g.get(_PENDING)
    if pending is None:
        pending = []
        setattr(g, _PENDING, pending)

        @after_this_request
        def schedule(response: Response) -> Response:
            if response.status_code < 400:
                response.call_on_close(functools.partial(run, app, pending))
            return response

    pending.append((task, args))


def run(app: Flask, tasks: list[Task]) -> None:
    """Each task in its own transaction, in a fresh application context; failures logged."""
    with app.app_context():
        for task, args in tasks:
            try:
                task(*args)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - bookkeeping must never reach the reader
                db.session.rollback()
                log.warning("after-response write %s failed: %s: %s",
                            getattr(task, "__qualname__", task), exc.__class__.__name__,
                            str(exc).splitlines()[0] if str(exc) else "")
