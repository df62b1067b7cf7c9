"""The tool's session cookie: Flask's signed cookie, with a plain JSON payload.

Everything Staffroom keeps in the session is plain JSON already (ids, short
strings, the course entries, Flask-WTF's token, flashed messages, which come
back as lists instead of tuples). Flask's default serializer tags every value
it writes (for tuples, bytes, dates…), and builds a new signing serializer for
every request; on a launch, which writes the session, both were a measurable
share of the server's work.

The signature is unchanged: itsdangerous, HMAC with the same salt, key
derivation and digest as Flask's default, over the current ``SECRET_KEY``
and its ``SECRET_KEY_FALLBACKS``. A value that is not plain JSON is refused
when the session is saved (``TypeError``), rather than silently changed.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from itsdangerous import URLSafeTimedSerializer


class _PlainJSON:
    """The payload serializer: compact JSON, nothing tagged.

    Reading still understands Flask's tags, so that a cookie written before this
    interface (a flashed message is a tagged tuple) opens as it was written.
    Characters outside ASCII are escaped, as Flask does: a lone surrogate (which a
    platform may send in deep linking ``data``) cannot be encoded as UTF-8 otherwise.
    """

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    @staticmethod
    def loads(value: str | bytes) -> Any:
        # The hook sees every object, innermost first, as Flask's own reading does.
        return json.loads(value, object_hook=session_json_serializer.untag)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with a plain JSON payload and one serializer per key set."""

    serializer = _PlainJSON()

    def __init__(self) -> None:
        self._signing: tuple[tuple[Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        memo = self._signing
        if memo is not None and memo[0] == keys:
            return memo[1]
        serializer = super().get_signing_serializer(app)
        assert serializer is not None
        self._signing = (keys, serializer)
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
