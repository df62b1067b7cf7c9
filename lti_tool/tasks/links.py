"""Where task, mention and search lists link to, and where a form may send the browser back.

A plan's page belongs to the planning blueprint; these lists only need its
URL. Plans of any space the teacher can reach are opened under the *current*
course's URL prefix: space access follows the person, not the course in the URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, url_for


def plan_url(space_id: int, plan_id: int, anchor: str | None = None) -> str:
    """The plan's page in the planning area (``courses.planning.plan``)."""
    return url_for("courses.planning.plan", space_id=space_id, plan_id=plan_id, _anchor=anchor)


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path inside this course's area, else ``fallback``.

    Forms carry the page they came from so that they can return to it; only a
    same-site path under ``/courses/<this course>/`` is followed (no open redirect).
    """
    if not target:
        return fallback
    parts = urlsplit(target)
    prefix = f"/courses/{g.course_id}/"
    if (
        parts.scheme or parts.netloc or not parts.path.startswith(prefix)
        or "\\" in target or any(ord(c) < 32 for c in target)
    ):
        return fallback
    return target
