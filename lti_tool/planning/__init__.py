"""Co-planning, a feature: spaces where teachers plan units, lessons, meetings and cycles together.

Owns the tables ``space``, ``space_member``, ``plan``, ``plan_revision``,
``space_template`` and ``draft``; its access rule is
:mod:`lti_tool.planning.policy` (one rule: course staff, or active members of a
team space). It plugs into the shared blocks through the registry
(:mod:`lti_tool.planning.kinds`): tasks and discussion on plans and spaces,
plans in search, "changed since your last visit" in what's new, and the "Plan
together" panel on the course dashboard. Its spaces, units and lessons can be
placed in the LMS by deep linking (:mod:`lti_tool.planning.link_targets`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.planning import kinds, link_targets

    kinds.init_app(app)
    link_targets.init_app(app)
