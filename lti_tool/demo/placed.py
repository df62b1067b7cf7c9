"""The practice LMS's deep linking: "Add Staffroom content", and the links it placed.

What a platform does (LTI Deep Linking 2.0):

1. A teacher presses "Add Staffroom content": the practice LMS starts a launch whose
   id_token is an ``LtiDeepLinkingRequest`` (:func:`deep_linking_settings`): accept
   ``ltiResourceLink``, several at once, come back to ``/demo/deep-link-return`` and
   echo ``data`` (a token of the practice LMS naming who asked).
2. Staffroom's picker answers with an ``LtiDeepLinkingResponse`` JWT, which the browser
   posts to the return URL. The practice LMS checks it (:func:`read_response`): signed
   by a key of the key set the tool publishes, issued by the tool's client id for this
   platform, fresh, the deployment and ``data`` it sent.
3. Each ``ltiResourceLink`` becomes a link of the course (:class:`PlacedItem`, kept in
   the shared cache: the practice LMS keeps no tables), with its own
   ``resource_link_id``; launching it sends its address as ``target_link_uri`` and its
   custom parameters, with the substitution variables filled in as an LMS does.

The key set is read from the function that serves ``/lti/jwks.json``
(:func:`lti_tool.lti.keys.jwks`) rather than over HTTP: a single-threaded
development server fetching from itself during a request would wait for itself.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lti_tool.cache import get_cache
from lti_tool.demo import roster, tools
from lti_tool.demo.platform import Endpoints
from lti_tool.demo.roster import CourseInfo, Member
from lti_tool.lti import keys

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CACHE_KEY = "demo:placed-links"
KEEP_FOR = 30 * 24 * 3600
DATA_SALT = "staffroom.practice-lms.deep-link-data"
DATA_MAX_AGE = 3600
MAX_LINKS = 100
# What the practice LMS substitutes in custom parameters: it has no course copies.
SUBSTITUTIONS = {"$Context.id.history": "", "$ResourceLink.id.history": ""}


@dataclass(frozen=True)
class PlacedItem:
    """A Staffroom link in the practice course, made from a deep linking response."""

    id: str
    title: str
    url: str
    custom: dict[str, str] = field(default_factory=dict)
    placed_by: str = ""
    course: str = roster.COURSE.context_id
    """The context id of the practice course the link was placed in."""

    def launch_custom(self) -> dict[str, str]:
        """The custom claim of a launch of this link, variables filled in."""
        return {k: SUBSTITUTIONS.get(v, v) for k, v in self.custom.items()}


class DeepLinkResponseError(Exception):
    """A deep linking response the practice LMS refuses, and why."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DATA_SALT)


def deep_linking_settings(endpoints: Endpoints, member: Member, course: CourseInfo
                          ) -> dict[str, Any]:
    """The ``deep_linking_settings`` claim of the practice LMS's request."""
    return {
        "deep_link_return_url": endpoints.lms_base_url + "/demo/deep-link-return",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe"],
        "accept_multiple": True,
        "auto_create": True,
        "title": "Staffroom content",
        "data": _serializer().dumps({"u": member.user_id, "c": course.context_id}),
    }


def read_response(token: str, endpoints: Endpoints
                  ) -> tuple[str, CourseInfo, list[dict[str, Any]]]:
    """Check a deep linking response JWT; who asked for it, in which course, and its
    content items."""
    try:
        key_set = KeySet.import_key_set(keys.jwks())
        decoded = jwt.decode(token, key_set, algorithms=["RS256"])
    except (JoseError, ValueError) as exc:
        raise DeepLinkResponseError(
            "its signature does not match any key the tool publishes at /lti/jwks.json"
        ) from exc
    claims = decoded.claims
    now = time.time()
    # The seeded registration or one made by URL (lti_tool.demo.tools) answers.
    issuer = claims.get("iss")
    tool = tools.find(issuer, endpoints) if isinstance(issuer, str) and issuer else None
    checks = [
        (tool is not None, "it was not issued by the client id of a registered tool"),
        (claims.get("aud") in (endpoints.issuer, [endpoints.issuer]),
         "it is not addressed to the practice LMS"),
        (isinstance(claims.get("exp"), int) and claims["exp"] > now - 60, "it has expired"),
        (claims.get(CLAIM + "message_type") == "LtiDeepLinkingResponse",
         "it is not a deep linking response"),
        (tool is not None and claims.get(CLAIM + "deployment_id") == tool.deployment_id,
         "it names another deployment"),
    ]
    for ok, reason in checks:
        if not ok:
            raise DeepLinkResponseError(reason)
    try:
        data = _serializer().loads(claims.get(DL + "data") or "", max_age=DATA_MAX_AGE)
    except BadSignature as exc:
        raise DeepLinkResponseError("it does not echo the data the request sent") from exc
    course = roster.find_course(data.get("c")) if isinstance(data, dict) else None
    if course is None:
        raise DeepLinkResponseError("its data names no course of the practice LMS")
    items = claims.get(DL + "content_items") or []
    if not isinstance(items, list):
        raise DeepLinkResponseError("its content_items are not a list")
    return str(data.get("u", "")), course, [i for i in items if isinstance(i, dict)]


def place(items: list[dict[str, Any]], placed_by: str, course: CourseInfo,
          endpoints: Endpoints) -> list[PlacedItem]:
    """Add the response's ``ltiResourceLink`` items to ``course``, each with a new id."""
    new = []
    for item in items:
        url = item.get("url")
        if item.get("type") != "ltiResourceLink" or not isinstance(url, str):
            continue
        if not url.startswith(endpoints.tool_base_url + "/"):
            continue  # a platform launches only its registered tool
        custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
        new.append(PlacedItem(
            id="practice-link-" + secrets.token_hex(6),
            title=str(item.get("title") or "Staffroom")[:200],
            url=url,
            custom={str(k): str(v) for k, v in (custom or {}).items()},
            placed_by=placed_by,
            course=course.context_id,
        ))
    links = _all_links() + new
    get_cache().set(CACHE_KEY, [asdict(link) for link in links[-MAX_LINKS:]], KEEP_FOR)
    return new


def _all_links() -> list[PlacedItem]:
    return [PlacedItem(**row) for row in get_cache().get(CACHE_KEY) or []]


def placed_links(course: CourseInfo = roster.COURSE) -> list[PlacedItem]:
    """The Staffroom links teachers placed in ``course``, oldest first."""
    return [link for link in _all_links() if link.course == course.context_id]


def find_link(link_id: str | None, course: CourseInfo = roster.COURSE) -> PlacedItem | None:
    """The link ``link_id`` placed in ``course``, or None."""
    return next((link for link in placed_links(course) if link.id == link_id), None)
