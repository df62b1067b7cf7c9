"""Shared learner notes, a feature: the teachers who share a learner keep what matters
about them in one trusted place ("our learners", not "my learners").

Owns the tables ``learner_note``, ``learner_note_version`` and ``note_audit`` (the
append-only audit log). Its access rule is :mod:`lti_tool.notes.policy` (staff see a
learner only while they share an active course; each note's visibility narrows that).
It plugs into the shared blocks through the registry (:mod:`lti_tool.notes.kinds`):
follow-ups as tasks, replies as a discussion, a dashboard panel and a navigation entry.
The administrator's side (audit log, export, erasure) is :mod:`lti_tool.admin.notes`;
``flask notes purge`` removes deleted notes once the retention period has passed.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.notes import cli, kinds

    app.config.setdefault("NOTES_TERM_STARTS", ["09-01", "01-01", "04-15"])
    app.config.setdefault("NOTES_RETENTION_DAYS", 30)
    kinds.init_app(app)
    app.cli.add_command(cli.notes_cli)
