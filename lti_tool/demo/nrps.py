"""The practice LMS's Names and Role Provisioning Services 2.0 and its token endpoint.

What a real platform does, and Staffroom's roster sync relies on:

* **Token endpoint** (LTI Security Framework §4.1, OAuth 2 client credentials with a
  JWT client assertion, RFC 7523): the tool signs a JWT with its own key
  (``iss`` = ``sub`` = client_id, ``aud`` = the token URL, a single-use ``jti``);
  the platform checks it against the tool's public key and answers a Bearer token
  for the scopes it grants. The practice LMS reads the tool's public keys from the
  tool's own tables rather than fetching ``/lti/jwks.json`` from itself: a
  single-threaded server asking itself would wait for itself forever.
* **Membership container** (NRPS 2.0 §2): ``GET …/nrps/<context id>/memberships``
  with the Bearer token; ``limit`` asks for a page size (capped at
  :data:`MAX_PAGE`, as Canvas caps ``per_page``), the rest comes by
  ``Link: <…>; rel="next"``. Every page also offers ``rel="differences"``: the
  members whose enrolment changed since this answer, removed members listed
  with status ``Deleted`` (§2.4).
* **Enrolment changes**: the People page can remove a member from a course and
  enrol them again, so a removed learner or teacher can be tried after
  ``make run``. The changes live in the shared cache (gone with a restart of the
  development server, like the rest of the practice LMS's state).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lti_tool.cache import get_cache
from lti_tool.demo import roster, tools
from lti_tool.demo.platform import CLIENT_ID, PREFIX, Endpoints
from lti_tool.demo.roster import CourseInfo, Member
from lti_tool.lti import keys
from lti_tool.lti.nrps import NRPS_SCOPE

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_SALT = "staffroom.practice-lms.access-token"  # noqa: S105 (a salt name, not a secret)
TOKEN_LIFETIME = 3600
# A client assertion is refused if it is older than this or names a jti seen before.
ASSERTION_MAX_AGE = 300
CLOCK_LEEWAY = 60
OFFERED_SCOPES = frozenset({NRPS_SCOPE})
DEFAULT_PAGE = 10
MAX_PAGE = 20
# When the practice enrolments were made (1 September 2026, in ms): before any sync.
ENROLLED_AT_MS = 1_788_220_800_000
CHANGES_KEY = "practice-lms:enrolment-changes"

ACTIVE, DELETED = "Active", "Deleted"


class ServiceRequestError(Exception):
    """A token or roster request the practice LMS refuses, with its OAuth error code."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def memberships_url(endpoints: Endpoints, course: CourseInfo) -> str:
    """The course's membership container: the NRPS claim's ``context_memberships_url``."""
    return f"{endpoints.lms_base_url}{PREFIX}/nrps/{course.context_id}/memberships"


# --------------------------------------------------------------------------- tokens


def _tokens() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def issue_token(form: Mapping[str, str], endpoints: Endpoints) -> dict[str, Any]:
    """The token endpoint's answer to a client-credentials request; raise if refused."""
    if form.get("grant_type") != "client_credentials":
        raise ServiceRequestError(
            400, "unsupported_grant_type", "the grant_type must be 'client_credentials'"
        )
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise ServiceRequestError(
            400, "invalid_request", f"the client_assertion_type must be '{CLIENT_ASSERTION_TYPE}'"
        )
    _check_client_assertion(form.get("client_assertion", ""), endpoints)
    requested = set(form.get("scope", "").split())
    granted = sorted(requested & OFFERED_SCOPES)
    if not granted:
        raise ServiceRequestError(
            400, "invalid_scope",
            "the practice LMS grants only the Names and Role Provisioning scope "
            f"({NRPS_SCOPE})",
        )
    return {
        "access_token": _tokens().dumps({"c": CLIENT_ID, "s": granted}),
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "scope": " ".join(granted),
    }


def _check_client_assertion(assertion: str, endpoints: Endpoints) -> None:
    """The tool's signed JWT: its key, issuer, audience, lifetime and single-use jti."""

    def refuse(why: str) -> ServiceRequestError:
        return ServiceRequestError(401, "invalid_client", f"the client_assertion {why}")

    if not assertion:
        raise refuse("is missing")
    try:
        token = jwt.decode(assertion, KeySet.import_key_set(keys.jwks()), algorithms=["RS256"])
    except (JoseError, ValueError) as exc:
        raise refuse("is not signed by a key the tool publishes") from exc
    claims = token.claims
    now = time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    # The tool's client id on the practice LMS: the seeded registration or one made by URL.
    client_id = claims.get("iss")
    if (not isinstance(client_id, str) or not client_id or claims.get("sub") != client_id
            or tools.find(client_id, endpoints) is None):
        raise refuse(f"must have iss and sub the client id of a registered tool ('{CLIENT_ID}')")
    if endpoints.token_url not in audiences:
        raise refuse(f"must have aud '{endpoints.token_url}'")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or exp + CLOCK_LEEWAY < now:
        raise refuse("has expired")
    fresh = now - ASSERTION_MAX_AGE <= (iat if isinstance(iat, (int, float)) else -1)
    if not fresh or iat > now + CLOCK_LEEWAY:
        raise refuse("was not issued just now")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise refuse("has no jti")
    if not get_cache().add(f"practice-lms:jti:{jti}", 1, ASSERTION_MAX_AGE + CLOCK_LEEWAY):
        raise refuse("was used before (its jti)")


def check_bearer(authorization: str | None) -> None:
    """A roster request must carry a live Bearer token granting the NRPS scope."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not authorization or not authorization.startswith("Bearer ") or not token:
        raise ServiceRequestError(401, "invalid_token", "a Bearer access token is required")
    try:
        data = _tokens().loads(token, max_age=TOKEN_LIFETIME)
    except BadSignature as exc:  # expired, or not issued here
        raise ServiceRequestError(
            401, "invalid_token", "the access token has expired or was not issued here"
        ) from exc
    if not isinstance(data, dict) or NRPS_SCOPE not in (data.get("s") or []):
        raise ServiceRequestError(
            403, "insufficient_scope", "the access token does not grant the roster scope"
        )


# --------------------------------------------------------------------------- enrolments


@dataclass(frozen=True)
class Enrolment:
    member: Member
    status: str
    changed_at_ms: int


def _changes() -> dict[str, dict[str, list[Any]]]:
    stored = get_cache().get(CHANGES_KEY)
    return stored if isinstance(stored, dict) else {}


def enrolments(course: CourseInfo) -> list[Enrolment]:
    """Everyone ever enrolled in ``course``, with their status now and since when."""
    changed = _changes().get(course.context_id, {})
    result = []
    for member in roster.enrolled(course):
        status, at = changed.get(member.user_id, (ACTIVE, ENROLLED_AT_MS))
        result.append(Enrolment(member, status, int(at)))
    return result


def is_enrolled(member: Member, course: CourseInfo) -> bool:
    """Enrolled in the course now (and not removed on the People page)."""
    return any(e.member == member and e.status == ACTIVE for e in enrolments(course))


def set_enrolment(member: Member, course: CourseInfo, active: bool) -> None:
    """Remove ``member`` from ``course``, or enrol them again (a practice enrolment change)."""
    if not member.enrolled_in(course):
        raise ValueError(f"{member.name} was never enrolled in {course.title}")
    changes = _changes()
    changes.setdefault(course.context_id, {})[member.user_id] = [
        ACTIVE if active else DELETED, int(time.time() * 1000)
    ]
    get_cache().set(CHANGES_KEY, changes)


# --------------------------------------------------------------------------- the container


def _int_param(args: Mapping[str, str], name: str, default: int | None,
               minimum: int) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ServiceRequestError(
            400, "invalid_request", f"'{name}' must be a whole number from {minimum}"
        )
    return int(raw)


def _member_json(enrolment: Enrolment) -> dict[str, Any]:
    member = enrolment.member
    if enrolment.status != ACTIVE:
        return {"status": enrolment.status, "user_id": member.sub, "roles": member.roles}
    return {
        "status": ACTIVE,
        "name": member.name,
        "given_name": member.given_name,
        "family_name": member.family_name,
        "email": member.email,
        "user_id": member.sub,
        "lti11_legacy_user_id": member.user_id,
        "roles": member.roles,
    }


def membership_page(
    course: CourseInfo, args: Mapping[str, str], base_url: str, now_ms: int | None = None
) -> tuple[dict[str, Any], str]:
    """One page of the course's membership container and its ``Link`` header.

    ``args``: ``limit`` (page size), ``from`` (offset, in our own next links),
    ``since`` (milliseconds: the members changed since then, removed ones with
    status Deleted) and ``role`` (a role URI or short name, NRPS §2.4.1).
    """
    limit = min(_int_param(args, "limit", DEFAULT_PAGE, 1) or DEFAULT_PAGE, MAX_PAGE)
    offset = _int_param(args, "from", 0, 0) or 0
    since = _int_param(args, "since", None, 0)
    role = args.get("role") or None
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    listed = [
        e for e in enrolments(course)
        if (e.changed_at_ms >= since if since is not None else e.status == ACTIVE)
        and (role is None or _has_role(e.member, role))
    ]
    page = listed[offset:offset + limit]
    kept = {k: v for k, v in (("since", since), ("role", role)) if v is not None}
    links = []
    if offset + limit < len(listed):
        links.append(_link(base_url, {**kept, "limit": limit, "from": offset + limit}, "next"))
    differences = {"since": now_ms, **({"role": role} if role else {})}
    links.append(_link(base_url, differences, "differences"))
    request_query = {**kept, "limit": limit, **({"from": offset} if offset else {})}
    body = {
        "id": f"{base_url}?{urlencode(request_query)}",
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": [_member_json(e) for e in page],
    }
    return body, ", ".join(links)


def _has_role(member: Member, role: str) -> bool:
    return any(uri == role or uri.rsplit("#", 1)[-1] == role for uri in member.roles)


def _link(base_url: str, query: Mapping[str, Any], rel: str) -> str:
    return f'<{base_url}?{urlencode(dict(query))}>; rel="{rel}"'

