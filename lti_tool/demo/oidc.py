"""The practice LMS's side of an LTI 1.3 launch: login initiation and the OIDC auth endpoint.

What a real platform does, step by step (LTI Security Framework §5.1.1):

1. The course page starts a third-party initiated login: it sends the browser to
   the tool's ``/lti/login`` with ``iss``, ``login_hint``, ``target_link_uri``,
   ``lti_message_hint``, ``client_id`` and ``lti_deployment_id``
   (:func:`login_initiation`).
2. The tool redirects back to the platform's auth endpoint with ``state`` and
   ``nonce``; the platform checks the request as Moodle's ``mod/lti/auth.php``
   does (:func:`validate_auth_request`): an unregistered ``redirect_uri`` or a
   forged hint gets an error page, never a redirect.
3. The platform signs an ``LtiResourceLinkRequest`` id_token
   (:func:`id_token_claims`, :func:`sign_id_token`) and form-POSTs it with the
   ``state`` to the redirect URI.

The ``lti_message_hint`` is an HMAC-signed token (the app's ``SECRET_KEY``)
saying who launched which resource link, so the auth endpoint needs no
server-side memory and a hint cannot be made up or moved to another person.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from joserfc import jwt

from lti_tool.demo import nrps, placed, roster
from lti_tool.demo.placed import PlacedItem
from lti_tool.demo.platform import (
    CLIENT_ID,
    PLATFORM_NAME,
    PRODUCT_FAMILY,
    Endpoints,
    signing_key,
)
from lti_tool.demo.roster import CourseInfo, Member
from lti_tool.demo.tools import Tool, find, seeded
from lti_tool.version import __version__

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
HINT_SALT = "staffroom.practice-lms.lti-message-hint"
# A launch page left open this long must be reloaded before Staffroom opens again.
HINT_MAX_AGE = 3600
ID_TOKEN_LIFETIME = 300
# The frame that answers the tool's storage messages: the course page around the iframe.
STORAGE_TARGET = "_parent"


class AuthRequestError(Exception):
    """An auth request the practice LMS refuses; ``error`` is the OIDC error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=HINT_SALT)


def make_message_hint(member: Member, course: CourseInfo = roster.COURSE,
                      link: PlacedItem | None = None, deep_linking: bool = False,
                      client_id: str = CLIENT_ID) -> str:
    """The signed ``lti_message_hint``: who is launching, from which link of which course
    (or asking to add content: a deep linking request), through which tool registration."""
    hint: dict[str, Any] = {"u": member.user_id, "c": course.context_id,
                            "rl": link.id if link else course.resource_link_id,
                            "t": client_id}
    if deep_linking:
        hint["dl"] = True
    return _serializer().dumps(hint)


def login_initiation(endpoints: Endpoints, member: Member, course: CourseInfo = roster.COURSE,
                     link: PlacedItem | None = None, deep_linking: bool = False,
                     tool: Tool | None = None) -> dict[str, str]:
    """The third-party initiated login parameters for ``member`` opening Staffroom in
    ``course`` (the course navigation's link, a placed ``link``, or "Add Staffroom
    content").

    ``tool`` is a registration made by URL (``lti_tool.demo.tools``); by default the
    one ``flask demo`` seeds.
    """
    tool = tool or seeded(endpoints)
    return {
        "iss": endpoints.issuer,
        "login_hint": member.user_id,
        "target_link_uri": link.url if link else tool.target_link_uri,
        "lti_message_hint": make_message_hint(member, course, link, deep_linking,
                                              tool.client_id),
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
        # The course page keeps the tool's launch state for it (LTI postMessage Storage):
        # demo-frame.js answers lti.put_data / lti.get_data from the tool's origin.
        "lti_storage_target": STORAGE_TARGET,
    }


@dataclass(frozen=True)
class AuthRequest:
    """A checked auth request: everything the id_token and the response form need."""

    member: Member
    course: CourseInfo
    redirect_uri: str
    nonce: str
    state: str | None
    link: PlacedItem | None = None
    deep_linking: bool = False
    tool: Tool | None = None


def validate_auth_request(params: Mapping[str, str], endpoints: Endpoints) -> AuthRequest:
    """Check an OIDC auth request as a platform must; raise :class:`AuthRequestError`."""
    client_id = params.get("client_id", "")
    tool = find(client_id, endpoints) if client_id else None
    if tool is None:
        raise AuthRequestError(
            "unauthorized_client",
            f"no tool is registered in the practice LMS with client_id '{client_id}'",
        )
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in tool.redirect_uris:
        raise AuthRequestError(
            "invalid_request",
            f"the redirect_uri '{redirect_uri}' is not the tool's registered redirect URI "
            f"({', '.join(tool.redirect_uris)})",
        )
    if "openid" not in params.get("scope", "").split():
        raise AuthRequestError("invalid_scope", "the scope must be 'openid'")
    if params.get("response_type") != "id_token":
        raise AuthRequestError(
            "unsupported_response_type", "the response_type must be 'id_token'"
        )
    if params.get("response_mode") != "form_post":
        raise AuthRequestError("invalid_request", "the response_mode must be 'form_post'")
    if params.get("prompt") != "none":
        raise AuthRequestError("invalid_request", "the prompt must be 'none'")
    nonce = params.get("nonce", "")
    if not nonce:
        raise AuthRequestError("invalid_request", "the request has no nonce")
    member = roster.find_member(params.get("login_hint"))
    if member is None:
        raise AuthRequestError(
            "login_required", "the login_hint does not name anyone in the practice LMS"
        )
    course, link, deep_linking = _check_message_hint(
        params.get("lti_message_hint", ""), member, tool)
    if deep_linking and not member.is_staff:
        raise AuthRequestError("invalid_request", "only teachers may add content to the course")
    return AuthRequest(
        member=member, course=course, redirect_uri=redirect_uri, nonce=nonce,
        state=params.get("state") or None, link=link, deep_linking=deep_linking, tool=tool,
    )


def _check_message_hint(hint: str, member: Member, tool: Tool
                        ) -> tuple[CourseInfo, PlacedItem | None, bool]:
    """The course, placed link (None: the course navigation's) and whether it asks to add
    content, of a genuine hint for ``member``, who is enrolled in the course now, issued for
    ``tool``."""
    if not hint:
        raise AuthRequestError("invalid_request", "the request has no lti_message_hint")
    try:
        data = _serializer().loads(hint, max_age=HINT_MAX_AGE)
    except SignatureExpired as exc:
        raise AuthRequestError(
            "invalid_request",
            "the lti_message_hint has expired: reload the course page and open Staffroom again",
        ) from exc
    except BadSignature as exc:
        raise AuthRequestError(
            "invalid_request", "the lti_message_hint was not issued by the practice LMS"
        ) from exc
    if not isinstance(data, dict) or data.get("u") != member.user_id:
        raise AuthRequestError(
            "invalid_request", "the lti_message_hint was issued for someone else's launch"
        )
    course = roster.find_course(data.get("c"))
    link = placed.find_link(data.get("rl"), course) if course is not None else None
    if course is None or (data.get("rl") != course.resource_link_id and link is None):
        raise AuthRequestError(
            "invalid_request", "the lti_message_hint names a link that is not in this course"
        )
    if data.get("t", CLIENT_ID) != tool.client_id:
        raise AuthRequestError(
            "invalid_request", "the lti_message_hint was issued for another tool registration"
        )
    if not nrps.is_enrolled(member, course):
        raise AuthRequestError(
            "login_required", f"{member.name} is not enrolled in {course.title}"
        )
    return course, link, data.get("dl") is True


def id_token_claims(
    auth: AuthRequest, endpoints: Endpoints, now: int | None = None
) -> dict[str, Any]:
    """A complete id_token for the member in ``auth``: an ``LtiResourceLinkRequest`` (the
    course navigation's link or a placed link) or an ``LtiDeepLinkingRequest``."""
    issued = int(time.time()) if now is None else now
    member = auth.member
    claims = _claims(auth, endpoints, issued)
    if auth.deep_linking:
        claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
        del claims[CLAIM + "resource_link"]
        claims[DL_SETTINGS] = placed.deep_linking_settings(endpoints, member, auth.course)
    elif auth.link is not None:
        claims[CLAIM + "target_link_uri"] = auth.link.url
        claims[CLAIM + "resource_link"] = {"id": auth.link.id, "title": auth.link.title}
        claims[CLAIM + "custom"] = auth.link.launch_custom()
    return claims


def _claims(auth: AuthRequest, endpoints: Endpoints, issued: int) -> dict[str, Any]:
    member = auth.member
    course = auth.course
    tool = auth.tool or seeded(endpoints)
    return {
        "iss": endpoints.issuer,
        "aud": tool.client_id,
        "azp": tool.client_id,
        "sub": member.sub,
        "iat": issued,
        "exp": issued + ID_TOKEN_LIFETIME,
        "nonce": auth.nonce,
        "name": member.name,
        "given_name": member.given_name,
        "family_name": member.family_name,
        "email": member.email,
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": tool.deployment_id,
        CLAIM + "target_link_uri": tool.target_link_uri,
        CLAIM + "resource_link": {
            "id": course.resource_link_id,
            "title": roster.RESOURCE_LINK_TITLE,
        },
        CLAIM + "roles": member.roles,
        CLAIM + "context": {
            "id": course.context_id,
            "label": course.label,
            "title": course.title,
            "type": [course.context_type],
        },
        CLAIM + "launch_presentation": {
            "document_target": "iframe",
            "return_url": endpoints.course_url + "?" + urlencode(
                roster.page_query(member, course)
            ),
            "locale": "en-GB",
        },
        CLAIM + "tool_platform": {
            "product_family_code": PRODUCT_FAMILY,
            "name": PLATFORM_NAME,
            "version": __version__,
            "guid": endpoints.issuer,
        },
        CLAIM + "custom": {},
        NRPS_CLAIM: {
            "context_memberships_url": nrps.memberships_url(endpoints, course),
            "service_versions": ["2.0"],
        },
    }


def sign_id_token(claims: Mapping[str, Any]) -> str:
    """RS256 with the practice LMS's key; the header names the key by its ``kid``."""
    key = signing_key()
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, dict(claims), key)
