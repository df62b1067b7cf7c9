"""Where a form may send the browser back to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g


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
