"""Sessions without a cookie: a short-lived signed token bound to a person, a course and a launch.

Safari blocks every cookie of a site framed by another, and Chrome can be set to;
then the session cookie set by the launch never comes back, and no page after the
launch would know who is asking. So each launch into a course also issues a
*session token*: ``{launch, person, course}`` signed with the app's secret and a
time stamp (itsdangerous). The page names it in a ``<meta>``; ``session-token.js``
puts it in the ``_st`` parameter of the address of the tool's own links and forms
of that course when they are used, and in the ``X-Staffroom-Session`` header of the
page's own requests (fetch, XHR: the autosaves); the server keeps it on its
redirects. It never goes into an address of another site, and pages that carry it
send ``Referrer-Policy: same-origin``.

On each request (:class:`StaffroomSessionInterface`):

- the session cookie comes first: when it holds the token's course for the token's
  person, the request is a plain cookie request and its pages carry no token;
- else a valid token opens a session made from what the launch left on the server
  (the cache record ``token-session:<launch>``, holding that one course, the
  person, their form token and their messages), and the pages it renders carry a
  renewed token;
- a token whose person is not the one the cookie now names (someone else launched
  in this browser since) is refused like a form left open by the previous person
  (``lti_tool.courses.identity``);
- an expired, altered or unknown token opens nothing: the course pages say
  "Open Staffroom from your course" (401).

A token is good for ``SESSION_TOKEN_MAX_AGE`` seconds after the page that carried
it was served (each page renews it), and never beyond the launch's record, which
lives ``PERMANENT_SESSION_LIFETIME`` seconds, as long as a cookie session. It only
opens its own course.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadData, URLSafeTimedSerializer

from lti_tool.cache import get_cache
from lti_tool.courses.context import NAME_KEY, PERSON_KEY, SESSION_KEY

TOKEN_PARAM = "_st"  # noqa: S105 (a parameter name, not a secret)
TOKEN_HEADER = "X-Staffroom-Session"  # noqa: S105 (a header name)
SALT = "staffroom.session-token"
RECORD = "token-session:"
# What of the launch's session a token session may have: its course (only), the person,
# their form token, a pending deep link, and messages waiting for the next page.
_KEPT = (PERSON_KEY, NAME_KEY, "csrf_token", "deep_link", "_flashes")
MAX_TOKEN_LENGTH = 512


class TokenSession(SecureCookieSession):
    """A session opened by a session token: kept in the cache, never sent as a cookie."""

    token_id: str = ""
    course_id: int = 0
    expires_at: int = 0


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)  # type: ignore[arg-type]


def issue(token_id: str, person_id: int, course_id: int) -> str:
    """A token for this launch's person and course, valid from now."""
    return _serializer().dumps({"l": token_id, "p": person_id, "c": course_id})


def read_token(token: str) -> dict[str, Any] | None:
    """The token's claims, if it is ours, unaltered and not older than the limit."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        claims = _serializer().loads(token, max_age=current_app.config["SESSION_TOKEN_MAX_AGE"])
    except BadData:
        return None
    if (
        not isinstance(claims, dict)
        or not isinstance(claims.get("l"), str)
        or not all(isinstance(claims.get(k), int) and not isinstance(claims.get(k), bool)
                   for k in ("p", "c"))
    ):
        return None
    return claims


def request_token(request: Request) -> str | None:
    """The session token a request carries: header (scripts), address, or form field.

    A token in the address or a form counts only for a page of the LMS frame: a browser
    says where a navigation goes (``Sec-Fetch-Dest``), and an address with a token opened
    in a tab of its own (pasted, sent to a colleague, a middle click) is refused, so
    that an address never carries someone's session out of the frame; that tab gets
    "Open Staffroom from your course" instead. A browser too old to say is believed.
    """
    token = request.headers.get(TOKEN_HEADER)
    if token:
        return token
    if request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
        return None
    token = request.args.get(TOKEN_PARAM)
    if not token and request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        token = request.form.get(TOKEN_PARAM)
    return token or None


def offer_token(person_id: int, course_id: int) -> None:
    """After a valid staff launch into a course: the pages of this response carry a token.

    The record the token names is written with the session at the end of the
    request (:meth:`StaffroomSessionInterface.save_session`), so that it holds
    the form token and messages the launch's page made.
    """
    token_id = secrets.token_urlsafe(16)
    g.token_launch = {"id": token_id, "p": person_id, "c": course_id}
    g.session_token = issue(token_id, person_id, course_id)
    g.session_token_course = course_id


def carry_token(response: Response) -> Response:
    """A redirect to the tool's own page of the token's course keeps the token.

    Pages themselves name no token in their links: ``session-token.js`` adds it to
    the address of a link or form of this tool when it is used, and sends it with
    the page's requests, so the HTML (and what a person copies from it) stays free
    of it.
    """
    token = g.get("session_token")
    location = response.headers.get("Location")
    if not token or not location or not 300 <= response.status_code < 400:
        return response
    parts = urlsplit(location)
    own = not parts.netloc or f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")
    scope = f"/courses/{g.get('session_token_course')}/"
    if own and (parts.path.startswith(scope) or parts.path.startswith("/lti/deep-link")):
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k != TOKEN_PARAM]
        query.append((TOKEN_PARAM, token))
        response.headers["Location"] = urlunsplit(parts._replace(query=urlencode(query)))
    return response


def token_scope() -> str | None:
    """The addresses this page's token is for (its course), for ``session-token.js``."""
    course_id = g.get("session_token_course")
    return f"/courses/{course_id}/" if g.get("session_token") and course_id else None


def token_conflict() -> dict[str, object] | None:
    """The request carries the token of someone other than the cookie's person, if so."""
    return g.get("session_token_conflict")


def token_refused() -> bool:
    """The request carried a session token that opened nothing (expired, altered, ended)."""
    return bool(g.get("session_token_refused"))


class StaffroomSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, or a token session when the cookie does not come."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        session = super().open_session(app, request)
        token = request_token(request)
        if session is None or token is None:
            return session
        claims = read_token(token)
        if claims is None:
            g.session_token_refused = True
            return session
        person_id, course_id = claims["p"], claims["c"]
        entry = (session.get(SESSION_KEY) or {}).get(str(course_id))
        if entry and entry.get("p") == person_id and session.get(PERSON_KEY) == person_id:
            return session  # the cookie works: it stays the session
        record = get_cache().get(RECORD + claims["l"])
        if not isinstance(record, dict) or (record.get("p"), record.get("c")) != (
            person_id, course_id
        ):
            g.session_token_refused = True
            return session
        cookie_person = session.get(PERSON_KEY)
        if cookie_person is not None and cookie_person != person_id:
            g.session_token_conflict = {
                "previous": record["data"].get(NAME_KEY) or "the person who opened this page",
                "current": session.get(NAME_KEY),
            }
            return session
        opened = TokenSession(dict(record["data"]))
        opened.token_id = claims["l"]
        opened.course_id = course_id
        opened.expires_at = int(record["exp"])
        g.session_token = issue(claims["l"], person_id, course_id)  # renewed for this page
        g.session_token_course = course_id
        return opened

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        launch = g.get("token_launch")
        if launch is not None:
            lifetime = int(app.permanent_session_lifetime.total_seconds())
            _write_record(launch["id"], launch["p"], launch["c"], dict(session),
                          int(time.time()) + lifetime)
        if isinstance(session, TokenSession):
            if session.modified:
                _write_record(session.token_id, session[PERSON_KEY], session.course_id,
                              dict(session), session.expires_at)
            return  # never a cookie: the browser would not keep it
        super().save_session(app, session, response)


def _write_record(token_id: str, person_id: int, course_id: int, data: dict[str, Any],
                  expires_at: int) -> None:
    ttl = expires_at - int(time.time())
    if ttl <= 0:
        get_cache().delete(RECORD + token_id)
        return
    kept = {k: data[k] for k in _KEPT if k in data}
    entry = (data.get(SESSION_KEY) or {}).get(str(course_id))
    kept[SESSION_KEY] = {str(course_id): entry} if entry else {}
    kept[PERSON_KEY] = person_id
    get_cache().set(
        RECORD + token_id,
        {"p": person_id, "c": course_id, "exp": expires_at, "data": kept},
        ttl,
    )


def token_headers(response: Response) -> Response:
    """Pages that carry a token: give scripts the renewed token, and keep it in the tool."""
    token = g.get("session_token")
    if token:
        response.headers[TOKEN_HEADER] = token
        response.headers["Referrer-Policy"] = "same-origin"
    return carry_token(response)


def init_app(app: Flask) -> None:
    app.session_interface = StaffroomSessionInterface()
    app.after_request(token_headers)
    app.add_template_global(lambda: g.get("session_token"), "session_token")
    app.add_template_global(token_scope, "session_token_scope")
