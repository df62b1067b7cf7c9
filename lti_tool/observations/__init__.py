"""Peer observation, a feature: colleagues observe each other's lessons and learn from it.

Owns the tables ``observation_template``, ``observation_template_version``,
``observation``, ``observation_note`` and ``observation_rating``. Its access rule is
:mod:`lti_tool.observations.policy` (one rule: the observer, the observee, and the
one colleague the observee shared that observation with; nobody else), and so is
the cycle's table of who may move an observation from which state to which. It
plugs into the shared blocks through the registry (:mod:`lti_tool.observations.kinds`):
the observee's next steps as tasks, the follow-up conversation as a discussion,
search, "What's new", a dashboard panel, a card under a co-planned lesson and a
navigation entry. It never imports planning: plans are reached as ``plan:<id>``
subjects of the registry.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.observations import kinds, resume

    app.config.setdefault("OBSERVATION_TERM_STARTS", ["09-01", "01-01", "04-15"])
    kinds.init_app(app)
    app.register_blueprint(resume.bp)
