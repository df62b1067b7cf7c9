"""Where a form, or a relaunch, may send the browser back to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g


def in_course(target: object, course_id: int) -> str | None:
    """``target`` if it is a same-site path inside ``/courses/<course_id>/``, else None.

    No scheme, no host, no ``//`` or backslash (which browsers read as another host),
    no control characters, no ``..``: never an open redirect.
    """
    if not isinstance(target, str) or not target:
        return None
    parts = urlsplit(target)
    prefix = f"/courses/{course_id}/"
    if (
        parts.scheme or parts.netloc or not parts.path.startswith(prefix)
        or "\\" in target or "//" in parts.path or "/../" in parts.path
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return None
    return target


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path inside this course's area, else ``fallback``.

    Forms carry the page they came from so that they can return to it; only a
    same-site path under ``/courses/<this course>/`` is followed (no open redirect).
    """
    return in_course(target, g.course_id) or fallback
