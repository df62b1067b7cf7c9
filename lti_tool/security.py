"""Response headers: a strict Content-Security-Policy that lets only registered LMSs frame us."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.lti.frames import frame_ancestors

log = logging.getLogger("lti_tool")


def _platform_origins() -> str:
    try:
        return " ".join(frame_ancestors())
    except SQLAlchemyError:
        # The database is down: the error page still gets a policy, framed by ourselves only.
        log.warning("frame-ancestors: database unavailable, allowing 'self' only")
        return ""


def _csp(framed_by_platforms: bool = True) -> str:
    platforms = _platform_origins() if framed_by_platforms else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {platforms}".strip(),
            f"frame-ancestors 'self' {platforms}".strip() if framed_by_platforms
            else "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            # The admin pages are never shown inside an LMS (or any) frame.
            admin = request.path == "/admin" or request.path.startswith("/admin/")
            headers.setdefault("Content-Security-Policy", _csp(framed_by_platforms=not admin))
        # Pages, exports and JSON hold course and learner information: no cache may keep
        # them. Responses that say otherwise (static files, the public key set) keep theirs.
        headers.setdefault("Cache-Control", "no-store")
        return response
