"""Limits at the edges: what a request may carry before any code of the tool reads it.

* Ids: ASCII digits only, within the range of the database's integers. Werkzeug's
  ``<int:…>`` accepts any Unicode decimal digit ("٣") and any size; a huge id
  reached PostgreSQL as an out-of-range integer (a 500). :class:`IdConverter`
  replaces it for every route, and :func:`parse_id` does the same for ids in
  query strings and forms ("²".isdigit() is True in Python, so ``isdigit`` is no test).
* JSON: bodies nested deeper than :data:`JSON_MAX_DEPTH` are refused as malformed
  (Python's parser raised ``RecursionError`` on 100,000 levels: a 500).
* Text: NUL bytes and lone surrogates cannot be stored in PostgreSQL text (or
  encoded as UTF-8), browsers never send them for typed text, and they reached the
  database as a ``DataError`` (a 500). :class:`CleanRequest` removes them from every
  query string and form value, and the JSON provider from every JSON string, before
  any view reads them; everything else typed is kept as it was. (Only what a request
  sends: the session cookie keeps what the tool wrote into it, such as the opaque
  deep linking ``data`` of a platform.)
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import BaseConverter, ValidationError

ID_MAX = 2**31 - 1  # PostgreSQL's integer (and SQLAlchemy's Integer) upper bound
JSON_MAX_DEPTH = 64


def parse_id(value: Any) -> int | None:
    """A positive id from text, or None: ASCII digits only, at most :data:`ID_MAX`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= ID_MAX else None
    if not isinstance(value, str) or not value or len(value) > 10:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= ID_MAX else None


class IdConverter(BaseConverter):
    """``<int:…>`` for the whole application: ASCII digits, 1 to :data:`ID_MAX`."""

    regex = r"[0-9]{1,10}"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()  # no route matches: 404
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def _depth_ok(text: str | bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest at most ``limit`` deep (a linear scan)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON: text nested deeper than :data:`JSON_MAX_DEPTH` is malformed."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if not _depth_ok(s):
            raise json.JSONDecodeError("nested too deeply", "", 0)
        return super().loads(s, **kwargs)


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)[0]
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k))[0]: _clean_json(v) for k, v in value.items()}
    return value


class CleanMultiDict(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query string and form values without NUL bytes or lone surrogates."""

    def __init__(self, mapping: Any = None) -> None:
        pairs = MultiDict(mapping).items(multi=True) if mapping is not None else []
        super().__init__([
            (clean_text(k)[0] if isinstance(k, str) else k,
             clean_text(v)[0] if isinstance(v, str) else v)
            for k, v in pairs
        ])


class CleanRequest(Request):
    """Query strings, forms and JSON bodies without NUL bytes or lone surrogates."""

    parameter_storage_class = CleanMultiDict

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        return _clean_json(super().get_json(force=force, silent=silent, cache=cache))


def clean_text(value: str) -> tuple[str, bool]:
    """``value`` without NUL bytes and lone surrogates, and whether any were removed."""
    if "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value):
        return value, False
    return "".join(c for c in value if c != "\x00" and not "\ud800" <= c <= "\udfff"), True


def json_bodies_are_objects() -> None:
    """``before_request``: every JSON body the tool accepts is an object.

    A form endpoint given a JSON body reads it as its fields (Flask-WTF); a body that is
    a string, a number or a list was a 500 there. Refuse it as the malformed request it is.
    """
    if request.is_json and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400, "The request's JSON body must be an object.")


def init_app(app: Flask) -> None:
    """Install the id converter and the JSON limits (before any blueprint is registered)."""
    app.url_map.converters["int"] = IdConverter
    app.json = BoundedJSONProvider(app)
    app.request_class = CleanRequest
    app.before_request(json_bodies_are_objects)
