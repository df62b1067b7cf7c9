"""The Flask application class: Flask, with each URL built once per worker.

A page builds the same few URLs on every visit (stylesheet, the course's
navigation, the dashboard's buttons), and building one goes through the URL
defaults and the routing map each time. The URLs never change while a worker
runs, so each worker remembers what it built, keyed by everything the result
depends on.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.globals import _cv_app, _cv_request

# Bounded: keys include ids (plans, spaces), so a long-running worker sees many.
URL_MEMO_SIZE = 4096
# Longer string values are not remembered (see _memo_key).
MEMO_VALUE_LENGTH = 64

# What the application's ``url_defaults`` functions read, besides the values passed:
# ``lti_tool.courses.views.add_course`` fills ``course_id`` from ``g``. A test checks
# that no other ``url_defaults`` function exists; one that reads anything else must be
# added to the key in ``_memo_key``.
URL_DEFAULTS_READ_FROM_G = ("course_id",)


class StaffroomFlask(Flask):
    """Flask, with :meth:`url_for` remembered per worker inside requests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url_memo: dict[tuple[Any, ...], str] = {}

    def url_for(  # type: ignore[override]
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        key = _memo_key(endpoint, _anchor, _method, _scheme, _external, values)
        if key is not None:
            url = self._url_memo.get(key)
            if url is not None:
                return url
        url = super().url_for(
            endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external,
            **values,
        )
        if key is not None:
            if len(self._url_memo) >= URL_MEMO_SIZE:
                self._url_memo.clear()
            self._url_memo[key] = url
        return url


def _memo_key(
    endpoint: str, anchor: str | None, method: str | None, scheme: str | None,
    external: bool | None, values: dict[str, Any],
) -> tuple[Any, ...] | None:
    """Everything a URL built in this request depends on; None outside a request, or when
    a value is not a short int or string (a list of query values, a float, a long text)."""
    req_ctx = _cv_request.get(None)
    if req_ctx is None:
        return None
    adapter = req_ctx.url_adapter
    app_ctx = _cv_app.get(None)
    if adapter is None or app_ctx is None:
        return None
    # Only short ints and strings: each is its own URL text, and a long value (a "next"
    # address carrying a query string, say) would let requests fill the memo with junk.
    for value in values.values():
        if not (type(value) is int or (type(value) is str and len(value) <= MEMO_VALUE_LENGTH)):
            return None
    return (
        endpoint,
        req_ctx.request.blueprint if endpoint[:1] == "." else None,
        anchor, method, scheme, external,
        adapter.script_name, adapter.url_scheme, adapter.server_name, adapter.subdomain,
        adapter.default_method,
        tuple(map(app_ctx.g.__dict__.get, URL_DEFAULTS_READ_FROM_G)),
        # In the order given: Flask writes query arguments in that order.
        tuple(values.items()),
    )
