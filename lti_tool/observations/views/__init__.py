"""Observation views: ``/courses/<course_id>/observations/…`` (nested in the course blueprint).

One module per resource: :mod:`.cycle` (the list, starting one, its page, its moves,
the focus, sharing, the reflection), :mod:`.lesson` (the form during the lesson and
its autosave), :mod:`.reports` (coverage, growth, aggregates), :mod:`.exports`
(print, PDF, CSV, JSON) and :mod:`.templates` (forms teachers copy and adapt). The
course blueprint has already refused anyone who is not active staff of the course;
:func:`~lti_tool.observations.policy.load_observation_from_request` has put the
person's :class:`~lti_tool.observations.policy.ObservationAccess` in
``g.observation`` (or answered 404) for every URL with an ``observation_id``.
Views declare what they need with :func:`~lti_tool.courses.policy.requires`.

:mod:`.resume` is the one view outside the course area: the autosave of a form
whose session has ended, authorised by a key the form page carries.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from lti_tool.courses.registry import Subject
from lti_tool.markdown import render as render_markdown
from lti_tool.observations import services
from lti_tool.observations.export import STATE_LABELS, TAG_LABELS
from lti_tool.observations.models import Observation
from lti_tool.observations.policy import ACTION_LABELS, load_observation_from_request
from lti_tool.observations.template_text import RATING_LABELS, SCALE

bp = Blueprint("observations", __name__, url_prefix="/observations")
bp.before_request(load_observation_from_request)


def observation_subject(observation: Observation) -> Subject:
    return Subject(services.KIND, observation.id)


@bp.context_processor
def observation_globals() -> dict[str, Any]:
    return {
        "ctx": g.get("ctx"), "access": g.get("observation"), "state_labels": STATE_LABELS,
        "tag_labels": TAG_LABELS, "rating_labels": RATING_LABELS, "scale": SCALE,
        "action_labels": ACTION_LABELS, "observation_subject": observation_subject,
        "md": lambda text: render_markdown(text or ""),
    }


from lti_tool.observations.views import (  # noqa: E402,F401
    cycle,
    exports,
    lesson,
    reports,
    templates,
)
