"""Task views: "My tasks" and the tasks of a plan (nested in the course blueprint)."""

from __future__ import annotations

from flask import Blueprint

from lti_tool.planning.policy import load_space_from_request

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.before_request(load_space_from_request)
