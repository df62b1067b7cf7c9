"""Bookkeeping writes run after the response is sent, in their own context; never on errors."""

from __future__ import annotations

import logging

import pytest
from flask import g

from lti_tool.courses.after_response import after_response


def _respond(app, status: int, *tasks):  # type: ignore[no-untyped-def]
    """A request that schedules ``tasks`` and answers ``status``; the unsent response."""
    with app.test_request_context("/"):
        g.marker = "the request's"
        for task in tasks:
            after_response(task)
        return app.process_response(app.make_response(("page", status)))


def test_tasks_run_when_the_response_is_closed_in_a_fresh_context(app):
    seen: list[object] = []
    response = _respond(app, 200, lambda: seen.append(g.get("marker", "fresh")),
                        lambda: seen.append("second"))
    assert seen == []
    response.close()
    assert seen == ["fresh", "second"]


@pytest.mark.parametrize("status", [400, 404, 409, 500, 503])
def test_an_error_answer_defers_nothing(app, status):
    seen: list[object] = []
    _respond(app, status, lambda: seen.append("ran")).close()
    assert seen == []


def test_a_failing_task_is_logged_and_the_next_one_still_runs(app, caplog):
    seen: list[object] = []

    def broken() -> None:
        raise RuntimeError("database is locked")

    response = _respond(app, 200, broken, lambda: seen.append("next"))
    with caplog.at_level(logging.WARNING, logger="lti_tool.after_response"):
        response.close()
    assert seen == ["next"]
    assert "RuntimeError: database is locked" in caplog.text


def test_outside_a_request_a_task_runs_at_once(app, caplog):
    seen: list[object] = []
    after_response(seen.append, "now")
    assert seen == ["now"]
    with caplog.at_level(logging.WARNING, logger="lti_tool.after_response"):
        after_response(lambda: 1 / 0)
    assert "ZeroDivisionError" in caplog.text
